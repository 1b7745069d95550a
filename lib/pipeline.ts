import { availableParallelism } from 'node:os';
import { randomBytes } from 'node:crypto';
import { RunFailedError, CancelledError, describeValue } from './errors.js';
import { buildGraph, type Graph } from './graph/graph.js';
import { BullMQExecutor } from './executors/bullmq.js';
import { MainThreadExecutor } from './executors/main-thread.js';
import { WorkerThreadExecutor } from './executors/worker-thread.js';
import { Engine, type StageDefaults } from './run/engine.js';
import { EventLog } from './run/event-log.js';
import { Run } from './run/run.js';
import type { RunResult } from './run/run-result.js';
import { checkStageOptions } from './stage/check-options.js';
import { captured, inWorker, reachedStart } from './stage/registry.js';
import { Stage, type KeyValueStore, type Thread } from './stage/stage.js';
import { FileKeyValueStore } from './store/file-key-value-store.js';
import { FileRunStore } from './store/file-run-store.js';
import { checkRunId } from './store/keys.js';
import type { RedisConnection } from './remote/redis-connection.js';
import { RedisKeyValueStore } from './store/redis-key-value-store.js';
import { RedisRunStore } from './store/redis-run-store.js';
import { RunRecorder } from './store/run-recorder.js';
import type { RunStore } from './store/run-store.js';
import { pipelineSvg, type PipelineSvgOptions } from './viz/pipeline-svg.js';
import { writeSvg } from './viz/write-svg.js';

/** How a run runs. The stage options here are defaults for stages that do not set their own. */
export interface RunOptions extends StageDefaults {
  /** At most this many stages run at once; default `os.availableParallelism()`. */
  cores?: number;
  /** Where function stages run unless they say otherwise: `'worker'` (default) or `'main'`. */
  thread?: Thread;
  /**
   * After a stage fails: `'stop'` (default) starts no new stage, lets those in flight finish and
   * skips the rest; `'continue'` runs every stage that is not downstream of a failure.
   */
  onError?: 'stop' | 'continue';
  /** The run's id; default a new time-ordered one. Letters, digits, '_' and '-'. */
  runId?: string;
  /** Cancels the run when it aborts, like `run.cancel()`. */
  signal?: AbortSignal;
  /**
   * Where run records, stage results and the cache are kept: a directory (default `.tsdags` in the
   * working directory), or `false` to keep nothing (no resume, no cache). Without it, a run with
   * `store: { redis }` or `executor: 'bullmq'` keeps them in Redis.
   */
  storeDir?: string | false;
  /** Resumes an earlier run (an id, or `'last'`): stages with a stored result are not run again. */
  resume?: string;
  /**
   * What `ctx.store` is: files in `storeDir` (default), or Redis (`{ redis: 'redis://host:6379' }`,
   * keys under `prefix`, default `'tsdags'`), which then also keeps the run record unless `storeDir` is given.
   */
  store?: 'file' | { redis: RedisConnection; prefix?: string };
  /**
   * Where `thread: 'worker'` stages run: `'local'` worker threads (default) or `'bullmq'`, remote
   * workers (`tsdags worker`) reached through Redis. With `'bullmq'`, set `cores` to the workers'
   * total concurrency: it caps the jobs in flight.
   */
  executor?: 'local' | 'bullmq';
  /** With executor `'bullmq'`: `redis://host:6379`, or ioredis options (password, TLS, db). */
  redis?: RedisConnection;
  /** With executor `'bullmq'`: the workers' queue; default `'tsdags'`. */
  queue?: string;
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
    const settings = checkOptions(options);
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
    const done = engine.done.finally(() => (keyValues as Partial<RedisKeyValueStore>).close?.());
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

interface Settings {
  cores: number;
  thread: Thread | undefined;
  onError: 'stop' | 'continue';
  storeDir: string | false;
  resume: string | undefined;
  executor: 'local' | 'bullmq';
}

function checkOptions(options: RunOptions): Settings {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Expected an options object in run(), got ${describeValue(options)}.`);
  }
  const {
    cores = availableParallelism(),
    thread,
    onError = 'stop',
    storeDir = '.tsdags',
    resume,
    signal,
  } = options;
  if (!Number.isInteger(cores) || cores < 1) {
    throw new TypeError(`Expected \`cores\` to be a whole number from 1 up, got ${describeValue(cores)}.`);
  }
  if (thread !== undefined && thread !== 'worker' && thread !== 'main') {
    throw new TypeError(`Expected \`thread\` to be 'worker' or 'main', got ${describeValue(thread)}.`);
  }
  if (onError !== 'stop' && onError !== 'continue') {
    throw new TypeError(`Expected \`onError\` to be 'stop' or 'continue', got ${describeValue(onError)}.`);
  }
  if (storeDir !== false && (typeof storeDir !== 'string' || storeDir.length === 0)) {
    throw new TypeError(
      `Expected \`storeDir\` to be a directory path or false, got ${describeValue(storeDir)}.`,
    );
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError(`Expected \`signal\` to be an AbortSignal, got ${describeValue(signal)}.`);
  }
  if (resume !== undefined) {
    if (storeDir === false) {
      throw new TypeError(
        'Expected a `storeDir` to resume from, got storeDir: false. Runs kept nowhere cannot resume.',
      );
    }
    if (resume !== 'last') checkRunId(resume);
  }
  if (options.cache && storeDir === false) {
    throw new TypeError(
      'Expected a `storeDir` for cache: true, got storeDir: false. Cached results need a store.',
    );
  }
  if (options.runId !== undefined) checkRunId(options.runId);
  const { executor = 'local', redis, queue } = options;
  if (executor !== 'local' && executor !== 'bullmq') {
    throw new TypeError(`Expected \`executor\` to be 'local' or 'bullmq', got ${describeValue(executor)}.`);
  }
  if (executor === 'local' && (redis !== undefined || queue !== undefined)) {
    throw new TypeError(
      `Expected \`${redis !== undefined ? 'redis' : 'queue'}\` only with executor: 'bullmq', got executor: 'local'. ` +
        "Add executor: 'bullmq' to run stages on remote workers.",
    );
  }
  if (executor === 'bullmq' && redis === undefined) {
    throw new TypeError(
      "Expected `redis` with executor: 'bullmq' (e.g. redis: 'redis://127.0.0.1:6379'), got none.",
    );
  }
  checkStageOptions(options, 'run()');
  return { cores, thread, onError, storeDir, resume, executor };
}

function workerStageCount(graph: Graph, thread: Thread | undefined): number {
  let count = 0;
  for (const stage of graph.stages) if ((stage.options.thread ?? thread ?? 'worker') === 'worker') count++;
  return count;
}

/**
 * The store `run(options)` keeps its record in: none with `storeDir: false`; Redis when the run is
 * on Redis (`store: { redis, prefix }`, or the bullmq executor's `redis`) and names no `storeDir`;
 * files in `storeDir` (`.tsdags`) otherwise. The CLI checks `--run-id` and `--resume` there.
 */
export function recordStoreOf(options: RunOptions): RunStore | undefined {
  const { storeDir, store } = options;
  if (storeDir === false) return undefined;
  const onRedis = typeof store === 'object' && store !== null;
  const redis = onRedis ? store.redis : options.executor === 'bullmq' ? options.redis : undefined;
  if (redis === undefined || storeDir !== undefined) return new FileRunStore(storeDir ?? '.tsdags');
  return new RedisRunStore(redis, onRedis && store.prefix !== undefined ? { prefix: store.prefix } : {});
}

function keyValueStore(store: RunOptions['store'], storeDir: string | false): KeyValueStore {
  if (store === undefined || store === 'file')
    return new FileKeyValueStore(storeDir === false ? '.tsdags' : storeDir);
  if (typeof store === 'object' && store !== null && 'redis' in store)
    return new RedisKeyValueStore(
      store.redis,
      store.prefix === undefined ? undefined : `${store.prefix}:kv:`,
    );
  throw new TypeError(
    `Expected \`store\` to be 'file' or { redis: 'redis://host:port' }, got ${describeValue(store)}.`,
  );
}

// Time-ordered and unique: 20261125T003512-3f9a1c. No ':' (BullMQ job ids) and no '/'.
function newRunId(): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}
