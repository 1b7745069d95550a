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

type GcOptions = { type: 'major' | 'minor'; execution: 'sync' | 'async' };

function exposedGc(): (options?: GcOptions) => void {
  const gc = (globalThis as { gc?: (options?: GcOptions) => void }).gc;
  if (!gc)
    throw new Error(
      'Expected global.gc, got none. Run the benchmark with `npm run bench` (node --expose-gc).',
    );
  return gc;
}

/**
 * A full, memory-reducing garbage collection (twice: the first can leave finalised objects for the
 * second), for measuring what the heap keeps. It also discards optimised code and inline caches.
 */
export function collectGarbage(): void {
  const gc = exposedGc();
  gc();
  gc();
}

/**
 * A full mark-compact between timed runs, so one contender's garbage stays off the next one's
 * clock. Not `gc()` without options: that one is memory-reducing and throws away the optimised
 * code of everything that ran (measured: 138 functions re-optimised inside the next tsdags run),
 * which makes every timed run a cold start, and penalises most the contender with the most code.
 */
export function collectBetweenRuns(): void {
  exposedGc()({ type: 'major', execution: 'sync' });
}

/**
 * Runs every contender `runs` times, interleaved (one run of each in turn, the order rotated each
 * round) so that noise on a shared machine falls on all of them alike, after `warmups` untimed
 * rounds, with a full GC before each run (see collectBetweenRuns).
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
      collectBetweenRuns();
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
