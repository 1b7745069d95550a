import { padEnd, type Colors } from './format.js';

/** A column of a text table: its heading, and how a cell is painted (after padding). */
export interface Column {
  readonly heading: string;
  readonly paint?: (padded: string, text: string) => string;
}

/**
 * Rows as aligned columns, two spaces apart, indented by two, with a dim heading line. Cells are
 * plain text; colours are added after padding so that they do not count towards the width. The
 * last column is not padded.
 */
export function textTable(
  columns: readonly Column[],
  rows: readonly (readonly string[])[],
  colors: Colors,
): string {
  const widths = columns.map((column, k) =>
    Math.max(column.heading.length, ...rows.map((row) => (row[k] ?? '').length)),
  );
  const line = (cells: readonly string[], paint: (k: number, padded: string, text: string) => string) =>
    `  ${cells
      .map((text, k) => paint(k, k === cells.length - 1 ? text : padEnd(text, widths[k]!), text))
      .join('  ')}`.trimEnd();
  return [
    colors.dim(
      line(
        columns.map((c) => c.heading),
        (_k, padded) => padded,
      ),
    ),
    ...rows.map((row) =>
      line(
        columns.map((_c, k) => row[k] ?? ''),
        (k, padded, text) => columns[k]!.paint?.(padded, text) ?? padded,
      ),
    ),
  ].join('\n');
}
