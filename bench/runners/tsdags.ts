import { Pipeline, type RunResult, type Stage, type Thread } from 'tsdags';
import type { Dag } from '../dag.js';
import { noop, spin } from '../stages/spin.mjs';

/** A workload as a tsdags pipeline, and its stages by workload index. */
export interface TsdagsPipeline {
  readonly pipeline: Pipeline;
  readonly stages: readonly Stage[];
}

/**
 * The workload as a tsdags pipeline: one stage per task, `.after()` its parents (order only, as
 * the comparators have no data to pass). Stages with work spin in `bench/stages/spin.mjs`, which
 * worker threads import; the others are no-ops.
 */
export function pipelineOf(dag: Dag): TsdagsPipeline {
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
  return { pipeline: new Pipeline({ name: dag.name }).addStages(stages), stages };
}

/**
 * Where a run keeps its records: `false` for none (the engine alone), or a directory. The
 * benchmark's directory is a fresh temporary one, so that durations remembered from earlier runs
 * (which weight the priority of the critical path) come from this benchmark only.
 */
export type StoreDir = string | false;

/** Builds the pipeline and runs it to its end: what a user's `await pipeline.start()` costs. */
export function runTsdags(
  dag: Dag,
  thread: Thread,
  cores: number,
  storeDir: StoreDir = false,
): Promise<RunResult> {
  return pipelineOf(dag).pipeline.start({ cores, thread, storeDir });
}

/**
 * Runs a spinning workload on worker threads; resolves with its schedule makespan: from the first
 * stage's start to the last one's end, as the stages themselves stamped them in their threads.
 */
export async function runTsdagsSpans(dag: Dag, cores: number, storeDir: StoreDir): Promise<number> {
  const { pipeline, stages } = pipelineOf(dag);
  const result = await pipeline.start({ cores, thread: 'worker', storeDir });
  const span = new Span();
  for (const s of stages) span.add(result.output(s) as [number, number]);
  return span.ms;
}

/** The union of [start, end] stamps: first start to last end. */
export class Span {
  #first = Infinity;
  #last = -Infinity;

  add([start, end]: readonly [number, number]): void {
    if (start < this.#first) this.#first = start;
    if (end > this.#last) this.#last = end;
  }

  get ms(): number {
    return this.#last - this.#first;
  }
}
