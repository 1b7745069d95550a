import type { Dag } from '../dag.js';
import { fixed, median, sideBySide, spread, type Measured } from '../measure.js';
import { gap, ratio } from '../report.js';
import { greedy } from '../runners/greedy.js';
import { levelSync } from '../runners/level-sync.js';
import { pGraph } from '../runners/p-graph.js';
import { withPool } from '../runners/pool.js';
import { runTsdagsSpans, Span } from '../runners/tsdags.js';

export const tsdagsName = 'tsdags';
export const greedyName = `${greedy.name} + tinypool`;
export const levelName = `${levelSync.name} + tinypool`;

/**
 * Makespans of a CPU-bound DAG on `cores` worker threads: tsdags' worker executor against the
 * comparators driving a tinypool pool of `cores` threads with the same spin task. Wall times hold
 * the threads' start-up and teardown; inner times are schedule makespans, first task start to last
 * task end as the tasks stamped them in their threads, the same measure for every contender.
 */
export function makespans(dag: Dag, cores: number, runs: number, storeDir: string): Promise<Measured> {
  return sideBySide(
    [
      { name: tsdagsName, run: () => runTsdagsSpans(dag, cores, storeDir) },
      ...[pGraph, greedy, levelSync].map((s) => ({
        name: `${s.name} + tinypool`,
        run: () =>
          withPool(cores, async (pool) => {
            const span = new Span();
            const task = (i: number): Promise<void> =>
              pool.run(dag.work[i]!).then((stamps: [number, number]) => span.add(stamps));
            await s.schedule(dag, task, cores);
            return span.ms;
          }),
      })),
    ],
    runs,
    // The warm-up round lets tsdags' store remember each stage's duration for the runs that count.
    1,
  );
}

/** The table rows of one workload: wall and schedule makespan, gaps over the bound, ratio to greedy. */
export function makespanRows(label: string[], measured: Measured, bound: number): string[][] {
  const greedySpan = median(measured.inner.get(greedyName)!);
  return [...measured.wall].map(([system, wall]) => {
    const inner = measured.inner.get(system)!;
    return [
      ...label,
      system,
      fixed(median(wall), 0),
      gap(median(wall), bound),
      fixed(median(inner), 0),
      spread(inner),
      gap(median(inner), bound),
      ratio(median(inner) / greedySpan),
    ];
  });
}

export const makespanColumns = [
  'system',
  'wall ms',
  'wall gap',
  'makespan ms',
  'range ms',
  'gap over bound',
  'ratio to greedy',
];

export const makespanNote =
  'One untimed warm-up round first: tsdags runs with its file store (in a temporary directory), so the ' +
  'timed runs order ready stages by the durations the store remembered. ' +
  '*wall*: the whole run, threads started and stopped inside it (tsdags does so on every run). ' +
  '*makespan*: first task start to last task end, stamped by the tasks in their threads; gaps and ' +
  'ratios to greedy are on it, and the targets judge it.';
