/**
 * `tsdags worker <file> --redis url [--concurrency N] [--queue name] [--thread auto|worker|main]`: the CLI's part is flag
 * parsing; this runs the worker until SIGTERM or SIGINT. The first signal lets running stages
 * finish; a second one stops them at once and hands their jobs back to the queue.
 */
import { describeValue } from '../errors.js';
import { remoteThreads, type RemoteThread } from './job-runner.js';
import { startWorker, type RemoteWorker } from './start-worker.js';

/** The flags of `tsdags worker`, as the CLI parsed them. */
export interface WorkerCommandOptions {
  redis: string;
  /** A whole number from 1 up (a string from the command line is accepted). */
  concurrency?: number | string;
  queue?: string;
  /** Where stages run (`--thread`): auto (default), worker threads, or the worker's main thread. */
  thread?: RemoteThread;
}

/** What the command talks to: replaceable in tests. */
export interface WorkerCommandIo {
  log(line: string): void;
  /** Where SIGTERM and SIGINT come from; default `process`. */
  signals: Pick<NodeJS.Process, 'on' | 'off'>;
}

/**
 * Runs a worker for `file` until a signal stops it; resolves once it has stopped (exit code 0).
 * Rejects when the module cannot be loaded or an option is wrong (the CLI prints it, exit code 1).
 */
export async function workerCommand(
  file: string,
  options: WorkerCommandOptions,
  io: WorkerCommandIo = { log: (line) => console.log(line), signals: process },
): Promise<void> {
  if (typeof options.redis !== 'string' || options.redis.length === 0) {
    throw new TypeError(
      `Expected --redis with the Redis URL the orchestrator uses (redis://host:6379), got ${describeValue(options.redis)}.`,
    );
  }
  const worker = await startWorker({
    module: file,
    redis: options.redis,
    ...(options.concurrency === undefined ? {} : { concurrency: parseCount(options.concurrency) }),
    ...(options.queue === undefined ? {} : { queue: options.queue }),
    ...(options.thread === undefined ? {} : { thread: checkThread(options.thread) }),
    log: io.log,
  });
  await untilStopped(worker, io);
}

function untilStopped(worker: RemoteWorker, io: WorkerCommandIo): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals): void => {
      signals++;
      if (signals === 1) {
        io.log(
          `tsdags worker ${worker.id}: ${signal}: finishing the running stages, then stopping ` +
            `(send it again to stop them now; their jobs go back to the queue)`,
        );
        worker.close().then(done, fail);
      } else if (signals === 2) {
        io.log(`tsdags worker ${worker.id}: ${signal}: stopping now`);
        worker.close({ force: true }).then(done, fail);
      }
    };
    const cleanup = (): void => {
      io.signals.off('SIGTERM', onSignal);
      io.signals.off('SIGINT', onSignal);
    };
    const done = (): void => {
      cleanup();
      io.log(`tsdags worker ${worker.id}: stopped`);
      resolve();
    };
    const fail = (error: unknown): void => {
      cleanup();
      reject(error instanceof Error ? error : new Error(String(error)));
    };
    io.signals.on('SIGTERM', onSignal);
    io.signals.on('SIGINT', onSignal);
  });
}

function checkThread(value: unknown): RemoteThread {
  if (!remoteThreads.includes(value as RemoteThread)) {
    throw new TypeError(`Expected --thread to be auto, worker or main, got ${describeValue(value)}.`);
  }
  return value as RemoteThread;
}

function parseCount(value: number | string): number {
  const count = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1) {
    throw new TypeError(
      `Expected --concurrency to be a whole number from 1 up, got ${describeValue(value)}.`,
    );
  }
  return count;
}
