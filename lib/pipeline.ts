import { availableParallelism } from 'node:os';
import { randomBytes } from 'node:crypto';
import { RunFailedError, CancelledError, describeValue } from './errors.js';
import { buildGraph, type Graph } from './graph/graph.js';
import { MainThreadExecutor } from './executors/main-thread.js';
import { WorkerThreadExecutor } from './executors/worker-thread.js';
import { Engine } from './run/engine.js';
import { EventLog } from './run/event-log.js';
import { Run } from './run/run.js';
import type { RunResult } from './run/run-result.js';
import { inWorker, reachedStart } from './stage/registry.js';
import { Stage, type Thread } from './stage/stage.js';

/** How a run runs. */
export interface RunOptions {
  /** At most this many stages run at once; default `os.availableParallelism()`. */
  cores?: number;
  /** Where function stages run unless they say otherwise: `'worker'` (default) or `'main'`. */
  thread?: Thread;
  /**
   * After a stage fails: `'stop'` (default) starts no new stage, lets those in flight finish and
   * skips the rest; `'continue'` runs every stage that is not downstream of a failure.
   */
  onError?: 'stop' | 'continue';
}

export interface PipelineOptions {
  /** A name for the pipeline, used in pictures and run records. */
  name?: string;
}

/**
 * A DAG of stages.
 *
 * @example
 * const pipeline = new Pipeline();
 * pipeline.addStages([s1, s2, s3]);
 * await pipeline.visualize('pipeline.svg');
 * const result = await pipeline.start({ cores: 4 });
 */
export class Pipeline {
  readonly name: string;
  readonly #added: Stage[] = [];
  readonly #seen = new Set<Stage>();

  constructor(options: PipelineOptions = {}) {
    this.name = options.name ?? 'pipeline';
  }

  /** Adds a stage (and, when the graph is built, every stage upstream of it). */
  addStage(stage: Stage): this {
    if (!(stage instanceof Stage)) {
      throw new TypeError(
        `Expected a stage in pipeline.addStage(), got ${describeValue(stage)}. Call the stage factory ` +
          `first: pipeline.addStage(clean(rows)), not pipeline.addStage(clean).`,
      );
    }
    if (!this.#seen.has(stage)) {
      this.#seen.add(stage);
      this.#added.push(stage);
    }
    return this;
  }

  /** Adds stages in order; upstream stages not added are added with their dependents. */
  addStages(stages: readonly Stage[]): this {
    if (!Array.isArray(stages)) {
      throw new TypeError(
        `Expected an array of stages in pipeline.addStages(), got ${describeValue(stages)}.`,
      );
    }
    for (const s of stages) this.addStage(s);
    return this;
  }

  /** Builds and validates the graph: throws CycleError or DuplicateStageError. */
  graph(): Graph {
    return buildGraph(this.#added);
  }

  /**
   * Starts a run and returns it at once. Throws (before any stage runs) when the graph is invalid
   * or an option is wrong. Inside a worker thread it returns a run that never starts.
   */
  run(options: RunOptions = {}): Run {
    const runId = newRunId();
    if (inWorker()) {
      reachedStart();
      return Run.inert(runId);
    }
    const settings = checkOptions(options);
    const graph = this.graph();
    const log = new EventLog();
    const engine = new Engine(
      graph,
      {
        runId,
        cores: settings.cores,
        thread: settings.thread,
        onError: settings.onError,
        executors: { main: new MainThreadExecutor(), worker: new WorkerThreadExecutor(settings.cores) },
      },
      log,
    );
    const run = new Run(runId, log.observable, engine.done, engine, graph);
    engine.start();
    return run;
  }

  /**
   * Runs the pipeline to its end: resolves with the result, rejects with StageFailedError when a
   * stage failed (RunFailedError when several did) or CancelledError when the run was cancelled.
   */
  async start(options: RunOptions = {}): Promise<RunResult> {
    const result = await this.run(options).done;
    if (result.status === 'cancelled') throw new CancelledError();
    if (result.status === 'failed') {
      const errors = result.errors;
      throw errors.length === 1 ? errors[0]! : new RunFailedError(errors);
    }
    return result;
  }
}

interface Settings {
  cores: number;
  thread: Thread | undefined;
  onError: 'stop' | 'continue';
}

function checkOptions(options: RunOptions): Settings {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Expected an options object in run(), got ${describeValue(options)}.`);
  }
  const { cores = availableParallelism(), thread, onError = 'stop' } = options;
  if (!Number.isInteger(cores) || cores < 1) {
    throw new TypeError(`Expected \`cores\` to be a whole number from 1 up, got ${describeValue(cores)}.`);
  }
  if (thread !== undefined && thread !== 'worker' && thread !== 'main') {
    throw new TypeError(`Expected \`thread\` to be 'worker' or 'main', got ${describeValue(thread)}.`);
  }
  if (onError !== 'stop' && onError !== 'continue') {
    throw new TypeError(`Expected \`onError\` to be 'stop' or 'continue', got ${describeValue(onError)}.`);
  }
  return { cores, thread, onError };
}

// Time-ordered and unique: 20261125T003512-3f9a1c. No ':' (BullMQ job ids) and no '/'.
function newRunId(): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}
