/**
 * What `pipeline.run()` takes: the run options, their checks (all before anything runs or is
 * recorded), and the stores they choose for the run record and for `ctx.store`.
 */
import { availableParallelism } from 'node:os';
import { describeValue } from './errors.js';
import type { RedisConnection } from './remote/redis-connection.js';
import type { StageDefaults } from './run/engine.js';
import { checkStageOptions } from './stage/check-options.js';
import type { KeyValueStore, Thread } from './stage/stage.js';
import { FileKeyValueStore } from './store/file-key-value-store.js';
import { FileRunStore } from './store/file-run-store.js';
import { checkRunId } from './store/keys.js';
import { RedisKeyValueStore } from './store/redis-key-value-store.js';
import { RedisRunStore } from './store/redis-run-store.js';
import type { RunStore } from './store/run-store.js';

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

/** The options of a run, checked, with their defaults. */
export interface Settings {
  cores: number;
  thread: Thread | undefined;
  onError: 'stop' | 'continue';
  storeDir: string | false;
  resume: string | undefined;
  executor: 'local' | 'bullmq';
}

export function checkRunOptions(options: RunOptions): Settings {
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

export function keyValueStore(store: RunOptions['store'], storeDir: string | false): KeyValueStore {
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
