import { Pipeline, type RunResult, type Stage, type Thread } from 'tsdags';
import type { Dag } from '../dag.js';
import { noop, spin } from '../stages/spin.mjs';

/**
 * The workload as a tsdags pipeline: one stage per task, `.after()` its parents (order only, as
 * the comparators have no data to pass). Stages with work spin in `bench/stages/spin.mjs`, which
 * worker threads import; the others are no-ops.
 */
export function pipelineOf(dag: Dag): Pipeline {
  const stages = new Array<Stage>(dag.size);
  const spins = dag.work.some((ms) => ms > 0);
  for (let i = 0; i < dag.size; i++) {
    const s: Stage = spins ? spin(dag.work[i]!) : noop();
    const first = dag.parentStart[i]!;
    const count = dag.parentStart[i + 1]! - first;
    if (count > 0) {
      const parents = new Array<Stage>(count);
      for (let k = 0; k < count; k++) parents[k] = stages[dag.parents[first + k]!]!;
      s.after(parents);
    }
    stages[i] = s;
  }
  return new Pipeline({ name: dag.name }).addStages(stages);
}

/** Builds the pipeline and runs it to its end: what a user's `await pipeline.start()` costs. */
export function runTsdags(dag: Dag, thread: Thread, cores: number): Promise<RunResult> {
  return pipelineOf(dag).start({ cores, thread });
}
