// Text is measured without a browser: per-character advance widths (in em) close to the common
// sans-serif UI fonts, rounded up, so that a box sized from them holds its label in any of them.
const narrow = new Set("il.,:;|!'`ijI ");
const thin = new Set('frt()[]{}-/\\"');
const wide = new Set('mwMW@%');

function advance(c: string): number {
  if (narrow.has(c)) return 0.3;
  if (thin.has(c)) return 0.38;
  if (wide.has(c)) return 0.9;
  const code = c.codePointAt(0)!;
  if (code >= 0x30 && code <= 0x39) return 0.58;
  if (code >= 0x41 && code <= 0x5a) return 0.7;
  if (code >= 0x61 && code <= 0x7a) return 0.58;
  // CJK, emoji and the like are about a full em; other scripts like Latin capitals.
  return code >= 0x2e80 ? 1.05 : 0.7;
}

/** The width in pixels that `text` takes at `fontSize`, estimated on the generous side. */
export function textWidth(text: string, fontSize: number): number {
  let em = 0;
  for (const c of text) em += advance(c);
  return em * fontSize;
}

/** `text`, or as much of it as fits in `maxWidth` followed by an ellipsis. */
export function fitText(text: string, maxWidth: number, fontSize: number): string {
  if (textWidth(text, fontSize) <= maxWidth) return text;
  const budget = maxWidth - advance('…') * fontSize;
  let em = 0;
  let out = '';
  for (const c of text) {
    em += advance(c);
    if (em * fontSize > budget) break;
    out += c;
  }
  return `${out}…`;
}
