import { randomBytes } from 'node:crypto';
import { RunFailedError, CancelledError, describeValue } from './errors.js';
import { buildGraph, type Graph } from './graph/graph.js';
import { BullMQExecutor } from './executors/bullmq.js';
import { MainThreadExecutor } from './executors/main-thread.js';
import { WorkerThreadExecutor } from './executors/worker-thread.js';
import { threadOf } from './run/cores.js';
import { Engine } from './run/engine.js';
import { EventLog } from './run/event-log.js';
import { Run } from './run/run.js';
import type { RunResult } from './run/run-result.js';
import { captured, inWorker, reachedStart } from './stage/registry.js';
import { Stage, type Thread } from './stage/stage.js';
import { RedisKeyValueStore } from './store/redis-key-value-store.js';
import { RunRecorder } from './store/run-recorder.js';
import { pipelineSvg, type PipelineSvgOptions } from './viz/pipeline-svg.js';
import { writeSvg } from './viz/write-svg.js';
import { checkRunOptions, keyValueStore, recordStoreOf, type RunOptions } from './run-options.js';

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
   * Draws the pipeline as SVG, laid out by d3-dag: a box per stage, an arrow per dependency from
   * upstream to downstream, `.after()` edges dashed. Resolves with the SVG text, after writing it
   * to `file` (directories created) when given. Inside a worker thread it draws nothing and
   * resolves with `''`, so that a module that draws and then starts does not draw once per thread.
   *
   * @example
   * await pipeline.visualize('pipeline.svg');
   */
  async visualize(file?: string, options: Omit<PipelineSvgOptions, 'name'> = {}): Promise<string> {
    if (inWorker()) return '';
    const svg = pipelineSvg(this.graph(), { ...options, name: this.name });
    if (file !== undefined) await writeSvg(file, svg);
    return svg;
  }

  /**
   * Starts a run and returns it at once. Throws (before any stage runs) when the graph is invalid,
   * an option is wrong or the run to resume cannot be read. Inside a worker thread it returns a
   * run that never starts.
   */
  run(options: RunOptions = {}): Run {
    const runId = options.runId ?? newRunId();
    if (inWorker()) {
      reachedStart();
      return Run.inert(runId);
    }
    if (captured(this, options)) return Run.inert(runId);
    const settings = checkRunOptions(options);
    const graph = this.graph();
    // Everything that can refuse the options comes before the run record, so that a refused run
    // leaves no record behind (a later `resume: 'last'` would pick it).
    const keyValues = keyValueStore(options.store, settings.storeDir);
    const worker =
      settings.executor === 'bullmq'
        ? new BullMQExecutor({
            runId,
            redis: options.redis!,
            cores: settings.cores,
            ...(options.queue ? { queue: options.queue } : {}),
          })
        : new WorkerThreadExecutor(settings.cores, workerStageCount(graph, settings.thread));
    const store = recordStoreOf(options);
    const recorder =
      store &&
      new RunRecorder({
        store,
        graph,
        runId,
        pipeline: this.name,
        cores: settings.cores,
        resume: settings.resume,
        cache: options.cache ?? false,
      });
    // A resumed remote run takes over the jobs its earlier run left running or finished.
    if (recorder?.resume && worker instanceof BullMQExecutor) worker.resumeFrom(recorder.resume.from);
    const log = new EventLog();
    const engine = new Engine(
      graph,
      {
        runId,
        cores: settings.cores,
        thread: settings.thread,
        onError: settings.onError,
        executors: { main: new MainThreadExecutor(), worker },
        defaults: options,
        recorder,
        resume: recorder?.resume,
        store: keyValues,
        durations: store?.readDurations(this.name),
        signal: options.signal,
      },
      log,
    );
    // Its stages' names hold still while it runs, whatever other pipelines are built with them.
    for (const s of graph.stages) s.hold(1);
    const done = engine.done.finally(() => {
      for (const s of graph.stages) s.hold(-1);
      return (keyValues as Partial<RedisKeyValueStore>).close?.();
    });
    const run = new Run(runId, log.observable, done, engine, graph);
    engine.start();
    return run;
  }

  /**
   * Runs the pipeline to its end: resolves with the result, rejects with StageFailedError when a
   * stage failed (RunFailedError when several did) or CancelledError when the run was cancelled.
   */
  async start(options: RunOptions = {}): Promise<RunResult> {
    const result = await this.run(options).done;
    if (result.status === 'cancelled') throw new CancelledError(result.cancelReason);
    if (result.status === 'failed') {
      const errors = result.errors;
      throw errors.length === 1 ? errors[0]! : new RunFailedError(errors);
    }
    return result;
  }
}

function workerStageCount(graph: Graph, thread: Thread | undefined): number {
  let count = 0;
  for (const stage of graph.stages) if (threadOf(stage, thread) === 'worker') count++;
  return count;
}

// Time-ordered and unique: 20261125T003512-3f9a1c. No ':' (BullMQ job ids) and no '/'.
function newRunId(): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}
