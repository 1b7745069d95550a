import { el, escapeXml, num, svgDocument, textEl } from '../../lib/viz/svg.js';
import { fitText, textWidth } from '../../lib/viz/text-metrics.js';
import { closeSvgParser, parseSvg } from './read-svg.js';

afterAll(closeSvgParser);

describe('escapeXml()', () => {
  test('escapes markup characters', () => {
    expect(escapeXml(`<script>alert("x")</script> & 'co'`)).toBe(
      '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;co&#39;',
    );
  });

  test('drops terminal colour codes and replaces characters XML cannot hold', () => {
    expect(escapeXml('\u001b[31mred\u001b[39m')).toBe('red');
    expect(escapeXml('a\u0000b\u0007c\td\ne')).toBe('a\uFFFDb\uFFFDc\td\ne');
    expect(escapeXml('lone \uD800 surrogate, pair \uD83D\uDE00')).toBe(
      'lone \uFFFD surrogate, pair \uD83D\uDE00',
    );
  });
});

describe('el() and svgDocument()', () => {
  test('writes attributes escaped and rounded, and leaves out undefined ones', () => {
    expect(el('rect', { x: 1.23456, y: -0.001, fill: '"red"', stroke: undefined })).toBe(
      '<rect x="1.23" y="0" fill="&quot;red&quot;"/>',
    );
    expect(textEl('text', {}, '1 < 2')).toBe('<text>1 &lt; 2</text>');
    expect(num(12)).toBe('12');
  });

  test('makes a well-formed, self-contained document with width, height and viewBox', async () => {
    const svg = svgDocument({ width: 100.2, height: 50, title: 'a & b', body: textEl('text', {}, '<x>') });
    const root = await parseSvg(svg);
    expect(root.tag).toBe('svg');
    expect(root.namespace).toBe('http://www.w3.org/2000/svg');
    expect(root.attrs).toMatchObject({ width: '101', height: '50', viewBox: '0 0 101 50' });
    expect(root.children[0]).toMatchObject({ tag: 'title', text: 'a & b' });
    expect(svg).not.toMatch(/href|@import|url\(http|<script|<style/);
  });
});

describe('textWidth() and fitText()', () => {
  test('estimates wider text for wider letters, and cuts text to a width with an ellipsis', () => {
    expect(textWidth('WWWW', 13)).toBeGreaterThan(textWidth('iiii', 13));
    expect(fitText('short', 200, 13)).toBe('short');
    const cut = fitText('a rather long stage name indeed', 80, 13);
    expect(cut.endsWith('…')).toBe(true);
    expect(textWidth(cut, 13)).toBeLessThanOrEqual(80);
    expect(fitText('😀😀😀😀😀😀😀😀😀😀', 40, 13)).toMatch(/^(😀)+…$/u);
  });
});
