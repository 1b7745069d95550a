import type { Dag } from '../dag.js';
import { sideBySide, type Samples } from '../measure.js';
import { greedy } from '../runners/greedy.js';
import { levelSync } from '../runners/level-sync.js';
import { pGraph } from '../runners/p-graph.js';
import { withPool } from '../runners/pool.js';
import { runTsdags } from '../runners/tsdags.js';

export const tsdagsName = 'tsdags';
export const greedyName = `${greedy.name} + tinypool`;
export const levelName = `${levelSync.name} + tinypool`;

/**
 * Makespans of a CPU-bound DAG on `cores` worker threads: tsdags' worker executor against the
 * comparators driving a tinypool pool of `cores` threads with the same spin task.
 */
export function makespans(dag: Dag, cores: number, runs: number): Promise<Samples> {
  const task = (pool: { run(ms: number): Promise<unknown> }) => (i: number) => pool.run(dag.work[i]!);
  return sideBySide(
    [
      { name: tsdagsName, run: () => runTsdags(dag, 'worker', cores) },
      ...[pGraph, greedy, levelSync].map((s) => ({
        name: `${s.name} + tinypool`,
        run: () => withPool(cores, (pool) => s.schedule(dag, task(pool), cores)),
      })),
    ],
    runs,
    0,
  );
}
