/**
 * One contender in a side-by-side measurement: a name and one full run. A run may resolve with a
 * number of ms it measured inside itself (a schedule makespan), kept beside its wall time.
 */
export interface Contender {
  readonly name: string;
  run(): Promise<unknown>;
}

/** Samples in ms, per contender name. */
export type Samples = Map<string, number[]>;

/**
 * Wall-clock samples; the process's CPU time (user + system, every thread: steadier than wall time
 * when other processes share the cores); and the ms the runs measured inside themselves.
 */
export interface Measured {
  readonly wall: Samples;
  readonly cpu: Samples;
  readonly inner: Samples;
}

/** A full garbage collection (twice: the first can leave finalised objects for the second). */
export function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc)
    throw new Error(
      'Expected global.gc, got none. Run the benchmark with `npm run bench` (node --expose-gc).',
    );
  gc();
  gc();
}

/**
 * Runs every contender `runs` times, interleaved (one run of each in turn, the order rotated each
 * round) so that noise on a shared machine falls on all of them alike, after `warmups` untimed
 * rounds. A full GC before each run keeps one contender's garbage off the next one's clock.
 */
export async function sideBySide(
  contenders: readonly Contender[],
  runs: number,
  warmups = 1,
): Promise<Measured> {
  const wall: Samples = new Map(contenders.map((c) => [c.name, []]));
  const cpu: Samples = new Map(contenders.map((c) => [c.name, []]));
  const inner: Samples = new Map(contenders.map((c) => [c.name, []]));
  for (let round = -warmups; round < runs; round++) {
    for (let k = 0; k < contenders.length; k++) {
      const c = contenders[(k + Math.max(round, 0)) % contenders.length]!;
      collectGarbage();
      const start = performance.now();
      const cpuStart = process.cpuUsage();
      const value = await c.run();
      const ms = performance.now() - start;
      const used = process.cpuUsage(cpuStart);
      if (round < 0) continue;
      wall.get(c.name)!.push(ms);
      cpu.get(c.name)!.push((used.user + used.system) / 1000);
      if (typeof value === 'number') inner.get(c.name)!.push(value);
    }
  }
  return { wall, cpu, inner };
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** `min–max` of the samples, to show how noisy the median is. */
export function spread(values: readonly number[], digits = 0): string {
  if (values.length === 0) return '';
  return `${fixed(Math.min(...values), digits)}–${fixed(Math.max(...values), digits)}`;
}

export function fixed(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}
