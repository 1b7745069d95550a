/**
 * A remote worker in a child process, its stdout read line by line so that a test waits on what
 * the worker says, never on a clock: `spawnWorker` runs spec/fixtures/remote/worker.mjs (startWorker
 * with settings from the environment), `spawnCliWorker` runs the built CLI, `tsdags worker`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface WorkerProcessOptions {
  redis: string;
  queue: string;
  concurrency?: number;
  /** The pipeline module the worker loads; default spec/fixtures/remote/pipeline.mjs. */
  module?: string;
  lockDuration?: number;
  stalledInterval?: number;
  env?: Record<string, string>;
}

export interface WorkerProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Every stdout line so far. */
  readonly lines: string[];
  /** Everything on stderr so far. */
  readonly stderr: () => string;
  /** Resolves with the first line (past or future) that matches; rejects if the process exits first. */
  waitFor(pattern: RegExp): Promise<string>;
  /** As waitFor, but only a line written from now on. */
  next(pattern: RegExp): Promise<string>;
  /** Resolves with the exit code and signal, once its output is read. */
  readonly exited: Promise<[number | null, NodeJS.Signals | null]>;
  /** SIGKILL unless it has exited; waits for the exit. */
  stop(): Promise<void>;
}

const fixtures = new URL('../fixtures/remote/', import.meta.url);
const defaultModule = fileURLToPath(new URL('pipeline.mjs', fixtures));
/** The repository's root, where `tsdags` runs from. */
const root = fileURLToPath(new URL('../../', import.meta.url));

export function spawnWorker(options: WorkerProcessOptions): WorkerProcess {
  const env: Record<string, string> = {
    TSDAGS_REDIS: options.redis,
    TSDAGS_QUEUE: options.queue,
    TSDAGS_CONCURRENCY: String(options.concurrency ?? 1),
  };
  if (options.module) env.TSDAGS_MODULE = options.module;
  if (options.lockDuration) env.TSDAGS_LOCK_DURATION = String(options.lockDuration);
  if (options.stalledInterval) env.TSDAGS_STALLED_INTERVAL = String(options.stalledInterval);
  return watch(spawnNode([fileURLToPath(new URL('worker.mjs', fixtures))], { ...env, ...options.env }));
}

/** `tsdags worker <module> --redis <url> --queue <queue> --concurrency <n>`, from the build. */
export function spawnCliWorker(options: Omit<WorkerProcessOptions, 'lockDuration' | 'stalledInterval'>) {
  const args = ['dist/cli/bin.js', 'worker', options.module ?? defaultModule];
  args.push('--redis', options.redis, '--queue', options.queue);
  args.push('--concurrency', String(options.concurrency ?? 1));
  return watch(spawnNode(args, options.env ?? {}));
}

function spawnNode(args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function watch(child: ChildProcess): WorkerProcess {
  const lines: string[] = [];
  const waiters = new Set<{ pattern: RegExp; resolve: (line: string) => void }>();
  createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line);
    for (const waiter of waiters) {
      if (waiter.pattern.test(line)) {
        waiters.delete(waiter);
        waiter.resolve(line);
      }
    }
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // 'close', not 'exit': by then every line the worker wrote has been read.
  const exited = once(child, 'close') as Promise<[number | null, NodeJS.Signals | null]>;
  return {
    child,
    pid: child.pid!,
    lines,
    stderr: () => stderr,
    exited,
    waitFor(pattern) {
      const seen = lines.find((line) => pattern.test(line));
      if (seen !== undefined) return Promise.resolve(seen);
      return next(pattern);
    },
    next,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };

  function next(pattern: RegExp): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      const waiter = { pattern, resolve };
      waiters.add(waiter);
      void exited.then(([code, signal]) => {
        if (!waiters.delete(waiter)) return;
        reject(
          new Error(
            `worker ${child.pid} exited (${code ?? signal}) before printing ${pattern}:\n` +
              `${lines.join('\n')}\n${stderr}`,
          ),
        );
      });
    });
  }
}
