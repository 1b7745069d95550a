import { availableParallelism, hostname } from 'node:os';
import type { Redis } from 'ioredis';
import type { Worker } from 'bullmq';
import { TsdagsError, describeValue } from '../errors.js';
import { JobRunner, remoteThreads, type RemoteThread, type RunnableJob } from './job-runner.js';
import { loadPipelineModule, moduleUrl } from './load-module.js';
import { cancelChannel, defaultQueue, parseCancel, type StageJobResult } from './protocol.js';
import {
  closeRedisClient,
  createRedisClient,
  dropRedisClient,
  isAuthError,
  redisTarget,
  type RedisConnection,
} from './redis-connection.js';
import { checkQueueNames } from './executor-options.js';
import { jobBackoff } from './retries.js';
import { RedisUnavailableError } from './remote-errors.js';
import { StageIndex } from './stage-index.js';

/** How a remote worker runs. */
export interface RemoteWorkerOptions {
  /** The pipeline module: a file path (relative to the working directory) or a file: URL. */
  module: string | URL;
  /** Where Redis is: `redis://host:6379`, or ioredis options (password, TLS, db). */
  redis: RedisConnection;
  /** How many stages it runs at once; default `os.availableParallelism()`. */
  concurrency?: number;
  /** The BullMQ queue; default `'tsdags'`. Orchestrator and workers must use the same one. */
  queue?: string;
  /** BullMQ's Redis key prefix; default `'bull'`. */
  prefix?: string;
  /**
   * Where stages run: `auto` (default) runs a stage on this process's main thread once its recent
   * runs all took under 1 ms and its attempt has no timeout, else on a worker thread; `worker`
   * always on worker threads; `main` always on this process's main thread (I/O-bound stages).
   */
  thread?: RemoteThread;
  /** BullMQ's job lock (ms): a worker silent this long has its job re-run elsewhere; default 30000. */
  lockDuration?: number;
  /** How often (ms) this worker looks for jobs of lost workers; default 30000. */
  stalledInterval?: number;
  /** How many times a job of a lost worker is re-run before it fails; default 1. */
  maxStalledCount?: number;
  /** Where status lines go; default `console.log`. */
  log?: (line: string) => void;
}

/** A running remote worker. */
export interface RemoteWorker {
  /** `host:pid`: how it appears in `stage:start` events. */
  readonly id: string;
  readonly queue: string;
  /** The stage names it runs. */
  readonly stages: readonly string[];
  /**
   * Stops taking jobs. By default it lets its running stages finish first; with `force` (also
   * while a graceful close waits), it stops them now and puts their jobs back in the queue.
   */
  close(options?: { force?: boolean }): Promise<void>;
}

/**
 * Starts a remote worker: imports the pipeline module once (its `run()`/`start()` calls are inert
 * here) and runs the stages it defines, found by name, for jobs an orchestrator puts on the queue.
 * A job that names another stage, or carries a module path, fails and runs nothing.
 *
 * @example
 * const worker = await startWorker({ module: './pipeline.js', redis: 'redis://10.0.0.5:6379' });
 * process.once('SIGTERM', () => void worker.close());
 */
export async function startWorker(options: RemoteWorkerOptions): Promise<RemoteWorker> {
  const settings = checkOptions(options);
  const target = redisTarget(options.redis);
  const url = moduleUrl(options.module);
  await loadPipelineModule(url);
  const stages = new StageIndex(url);
  if (stages.names.length === 0) {
    throw new TsdagsError(
      'NO_STAGES',
      `Expected ${url} to define stages with stage(), but importing it defined none. Start the worker with ` +
        `the pipeline file that the orchestrator runs.`,
    );
  }
  const id = `${hostname()}:${process.pid}`;
  const log = options.log ?? ((line: string) => console.log(line));
  const runner = new JobRunner(stages, id, settings.thread);
  const client = await createRedisClient(target, `tsdags-worker-${id}`);
  watchConnection(client, target.address, log);

  const { Worker: BullWorker } = await import('bullmq');
  const worker: Worker<unknown, StageJobResult> = new BullWorker<unknown, StageJobResult>(
    settings.queue,
    (job, token, signal) => runner.run(job as unknown as RunnableJob, token, signal),
    {
      connection: client,
      prefix: settings.prefix,
      concurrency: settings.concurrency,
      name: id,
      // A failed stage's job waits as the stage's back-off says before BullMQ retries it.
      settings: { backoffStrategy: jobBackoff },
      ...pick(options, ['lockDuration', 'stalledInterval', 'maxStalledCount']),
    },
  );
  let closing = false;
  // A stage on this thread that leaves a promise to reject unhandled would end the process (Node's
  // default), where on a worker thread it costs nothing: say so instead, while this worker runs.
  const onStray = (reason: unknown): void =>
    log(`tsdags worker ${id}: a stage left a promise that rejected unhandled: ${describeReason(reason)}`);
  if (settings.thread !== 'worker') process.on('unhandledRejection', onStray);
  // Errors of the job loop (a lost connection, a lock lost after a long pause): reported, never fatal.
  worker.on('error', (error) => {
    if (!closing) log(`tsdags worker ${id}: ${error.message}`);
  });

  // Cancelled runs and stopped attempts (timeouts): the orchestrator publishes which; running
  // stages concerned are stopped.
  const subscriber = client.duplicate({ connectionName: `tsdags-worker-cancel-${id}` });
  subscriber.on('error', () => {});
  subscriber.on('message', (_channel: string, message: string) => {
    const target = parseCancel(message);
    if (!target) return;
    const stopped = runner.cancel(
      target,
      'runId' in target ? 'the run was cancelled' : 'the attempt was stopped',
    );
    if (stopped > 0) log(`tsdags worker ${id}: stopped ${stopped} stage(s) (${message})`);
  });
  try {
    await subscriber.subscribe(cancelChannel(settings.prefix, settings.queue));
    await worker.waitUntilReady();
  } catch (error) {
    // Redis refused us (a wrong password): say so and stop, rather than try again forever.
    closing = true;
    void worker.close(true).catch(() => undefined);
    dropRedisClient(subscriber);
    dropRedisClient(client);
    await runner.close();
    process.off('unhandledRejection', onStray);
    throw isAuthError(error) ? new RedisUnavailableError(target.address, 0, error) : error;
  }
  log(
    `tsdags worker ${id}: ready on queue "${settings.queue}" at ${target.address}, ${settings.concurrency} at ` +
      `once (thread: ${settings.thread}), stages: ${stages.names.join(', ')}`,
  );

  let graceful: Promise<void> | undefined;
  let forced: Promise<void> | undefined;
  return {
    id,
    queue: settings.queue,
    stages: stages.names,
    close({ force = false } = {}) {
      closing = true;
      if (force) {
        return (forced ??= (async () => {
          // Stop taking jobs, give the running ones back to the queue, then cut Redis before
          // stopping their stages, so that no stopped stage marks its job failed.
          const stopping = worker.close(true);
          await runner.handBack();
          client.disconnect(false);
          subscriber.disconnect(false);
          await runner.close();
          await stopping.catch(() => undefined);
          process.off('unhandledRejection', onStray);
        })());
      }
      return (graceful ??= (async () => {
        await worker.close();
        await runner.close();
        await closeRedisClient(subscriber);
        await closeRedisClient(client);
        process.off('unhandledRejection', onStray);
      })());
    },
  };
}

function describeReason(reason: unknown): string {
  return reason instanceof Error ? (reason.stack ?? reason.message) : String(reason);
}

interface Settings {
  concurrency: number;
  queue: string;
  prefix: string;
  thread: RemoteThread;
}

function checkOptions(options: RemoteWorkerOptions): Settings {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Expected an options object in startWorker(), got ${describeValue(options)}.`);
  }
  const { module, concurrency = availableParallelism(), queue = defaultQueue, prefix = 'bull' } = options;
  const { thread = 'auto' } = options;
  if (!(module instanceof URL) && (typeof module !== 'string' || module.length === 0)) {
    throw new TypeError(
      `Expected \`module\` to be the pipeline file's path or URL, got ${describeValue(module)}.`,
    );
  }
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new TypeError(
      `Expected \`concurrency\` to be a whole number from 1 up, got ${describeValue(concurrency)}.`,
    );
  }
  checkQueueNames(queue, prefix);
  if (!remoteThreads.includes(thread)) {
    throw new TypeError(
      `Expected \`thread\` to be 'auto', 'worker' or 'main', got ${describeValue(thread)}.`,
    );
  }
  for (const name of ['lockDuration', 'stalledInterval', 'maxStalledCount'] as const) {
    const value = options[name];
    if (value !== undefined && (!Number.isInteger(value) || value < (name === 'maxStalledCount' ? 0 : 1))) {
      throw new TypeError(
        `Expected \`${name}\` to be a whole number of ${name === 'maxStalledCount' ? 'times' : 'ms'}, got ${describeValue(value)}.`,
      );
    }
  }
  return { concurrency, queue, prefix, thread };
}

// One line when Redis is lost and one when it is back, not one per reconnection attempt.
function watchConnection(client: Redis, address: string, log: (line: string) => void): void {
  let lost = false;
  client.on('error', (error: Error) => {
    // Refused credentials are not a lost Redis: startWorker() fails with them, or the job loop says so.
    if (lost || isAuthError(error)) return;
    lost = true;
    log(`tsdags worker: lost Redis at ${address} (${error.message}); retrying until it is back`);
  });
  client.on('ready', () => {
    if (lost) log(`tsdags worker: Redis at ${address} is back`);
    lost = false;
  });
}

function pick<T extends object, K extends keyof T>(object: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const key of keys) if (object[key] !== undefined) out[key] = object[key];
  return out;
}
