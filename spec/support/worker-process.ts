/**
 * A remote worker in a child process (spec/fixtures/remote/worker.mjs), its stdout read line by
 * line so that a test waits on what the worker says, never on a clock.
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
  /** Another script than worker.mjs, run with `args`. */
  script?: string;
  args?: string[];
  env?: Record<string, string>;
}

export interface WorkerProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Every stdout line so far. */
  readonly lines: string[];
  /** Resolves with the first line (past or future) that matches; rejects if the process exits first. */
  waitFor(pattern: RegExp): Promise<string>;
  /** Resolves with the exit code and signal. */
  readonly exited: Promise<[number | null, NodeJS.Signals | null]>;
  /** SIGKILL unless it has exited; waits for the exit. */
  stop(): Promise<void>;
}

const fixtures = new URL('../fixtures/remote/', import.meta.url);

export function spawnWorker(options: WorkerProcessOptions): WorkerProcess {
  const script = fileURLToPath(new URL(options.script ?? 'worker.mjs', fixtures));
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    TSDAGS_REDIS: options.redis,
    TSDAGS_QUEUE: options.queue,
    TSDAGS_CONCURRENCY: String(options.concurrency ?? 1),
    ...options.env,
  };
  if (options.module) env.TSDAGS_MODULE = options.module;
  if (options.lockDuration) env.TSDAGS_LOCK_DURATION = String(options.lockDuration);
  if (options.stalledInterval) env.TSDAGS_STALLED_INTERVAL = String(options.stalledInterval);
  const child = spawn(process.execPath, [script, ...(options.args ?? [])], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  return {
    child,
    pid: child.pid!,
    lines,
    exited,
    waitFor(pattern) {
      const seen = lines.find((line) => pattern.test(line));
      if (seen !== undefined) return Promise.resolve(seen);
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
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
