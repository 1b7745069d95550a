import { stripVTControlCharacters } from 'node:util';

/** Attribute values: numbers are rounded to two decimals; `undefined` leaves the attribute out. */
export type Attrs = Readonly<Record<string, string | number | undefined>>;

// Characters XML 1.0 forbids (C0 controls but tab, newline and return; U+FFFE/FFFF) and lone
// surrogates: one of them anywhere makes a browser refuse the whole file.
const invalidXml =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const special = /[&<>"']/g;
const entities: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/**
 * Text made safe for XML text and attribute values: markup characters escaped, terminal colour
 * codes (error messages often carry them) removed, characters XML cannot hold replaced by U+FFFD.
 */
export function escapeXml(text: string): string {
  return stripVTControlCharacters(text)
    .replace(invalidXml, '\uFFFD')
    .replace(special, (c) => entities[c]!);
}

/** A number for an SVG attribute: at most two decimals, no `-0`. */
export function num(n: number): string {
  const rounded = Math.round(n * 100) / 100;
  return String(rounded === 0 ? 0 : rounded);
}

/** An element; `content` is markup already (escape text with `escapeXml` or use `textEl`). */
export function el(name: string, attrs: Attrs, content?: string): string {
  let out = `<${name}`;
  for (const key in attrs) {
    const value = attrs[key];
    if (value === undefined) continue;
    out += ` ${key}="${typeof value === 'number' ? num(value) : escapeXml(value)}"`;
  }
  return content === undefined ? `${out}/>` : `${out}>${content}</${name}>`;
}

/** An element holding text, escaped. */
export function textEl(name: string, attrs: Attrs, text: string): string {
  return el(name, attrs, escapeXml(text));
}

/** A `<title>`: browsers show it as the tooltip of its parent element. */
export function titleEl(text: string): string {
  return textEl('title', {}, text);
}

/** Font settings every drawing shares: the system's UI font, no web fonts to fetch. */
export const font = {
  family: "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif",
  size: 13,
  small: 11,
} as const;

export interface DocumentParts {
  readonly width: number;
  readonly height: number;
  /** The drawing's name: the document's `<title>`. */
  readonly title: string;
  /** Definitions (markers) for `<defs>`. */
  readonly defs?: string;
  readonly body: string;
}

/** A standalone SVG document: width, height and viewBox set, white background, no external resources. */
export function svgDocument(parts: DocumentParts): string {
  const width = Math.ceil(parts.width);
  const height = Math.ceil(parts.height);
  const root = {
    xmlns: 'http://www.w3.org/2000/svg',
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    'font-family': font.family,
    'font-size': font.size,
    role: 'img',
  };
  const inner =
    titleEl(parts.title) +
    (parts.defs ? el('defs', {}, parts.defs) : '') +
    el('rect', { width, height, fill: '#ffffff' }) +
    parts.body;
  return `<?xml version="1.0" encoding="UTF-8"?>\n${el('svg', root, inner)}\n`;
}
