/** Axis ticks: round steps (1, 2 or 5 times a power of ten) from 0 to at least `span`. */
export function ticks(span: number, target = 8): { values: number[]; step: number } {
  if (!(span > 0)) return { values: [0], step: 1 };
  const raw = span / target;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw)!;
  const values: number[] = [];
  for (let k = 0; k * step <= span * (1 + 1e-9); k++) values.push(k * step);
  return { values, step };
}

/** A tick label in seconds with just enough decimals for the step: `0.25 s`, `12 s`. */
export function secondsLabel(seconds: number, step: number): string {
  const decimals = Math.max(0, Math.min(6, -Math.floor(Math.log10(step) + 1e-9)));
  return `${seconds.toFixed(decimals)} s`;
}
