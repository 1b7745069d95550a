/** A results table, printed and written as Markdown. */
export interface Table {
  readonly title: string;
  readonly columns: readonly string[];
  /** Columns whose cells are right-aligned (numbers). */
  readonly numeric?: readonly number[];
  readonly rows: string[][];
  readonly notes?: readonly string[];
}

/** One target of issue 3: what was measured, against which limit, and whether it holds. */
export interface Target {
  readonly target: string;
  readonly measured: string;
  readonly limit: string;
  /** undefined: its workload was not run (`--quick` or `--only`). */
  readonly pass: boolean | undefined;
}

/** What a suite hands back. */
export interface SuiteResult {
  readonly tables: Table[];
  readonly targets: Target[];
}

export function verdict(pass: boolean | undefined): string {
  return pass === undefined ? 'not run' : pass ? 'PASS' : 'MISS';
}

export function markdownTable(
  columns: readonly string[],
  rows: readonly string[][],
  numeric: readonly number[] = [],
): string {
  const align = columns.map((_, k) => (numeric.includes(k) ? '---:' : '---'));
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(columns), `|${align.join('|')}|`, ...rows.map(line)].join('\n');
}

export function renderTable(table: Table): string {
  const parts = [`## ${table.title}`, '', markdownTable(table.columns, table.rows, table.numeric)];
  if (table.notes?.length) parts.push('', ...table.notes);
  return parts.join('\n');
}

export function renderTargets(targets: readonly Target[]): string {
  const rows = targets.map((t) => [t.target, t.measured, t.limit, verdict(t.pass)]);
  return markdownTable(['target', 'measured', 'limit', 'result'], rows);
}

/** `1.23x`, the way every ratio is shown. */
export function ratio(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}x` : 'n/a';
}

/** `+4.1%`: a makespan's gap over its lower bound. */
export function gap(makespan: number, bound: number): string {
  const g = (makespan / bound - 1) * 100;
  return `${g >= 0 ? '+' : ''}${g.toFixed(1)}%`;
}
