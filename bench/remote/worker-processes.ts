/**
 * Remote workers for the BullMQ suite, as a user starts them: `tsdags worker <module> --redis <url>
 * --queue <name> --concurrency <n> [--thread auto|worker|main]` from the build (dist/cli/bin.js), each in its own process, with
 * plain node. Ready once each has printed its "ready on queue" line; stopped with SIGTERM (the
 * graceful stop), then SIGKILL if one has not exited within a few seconds.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** The repository's root, beside .bench/ (and bench/). */
const root = fileURLToPath(new URL('../../', import.meta.url));
const cli = fileURLToPath(new URL('../../dist/cli/bin.js', import.meta.url));

export interface WorkerSettings {
  readonly redis: string;
  readonly queue: string;
  readonly concurrency: number;
  /** The pipeline module the workers load (a path). */
  readonly module: string;
  /** Where they run stages (`--thread`): auto (the default), worker threads or their main thread. */
  readonly thread?: 'auto' | 'worker' | 'main';
}

/** Some running `tsdags worker` processes on one queue. */
export interface WorkerProcesses {
  readonly pids: readonly number[];
  /** Rejects if one of them exits before `stop()`: a run waiting for its jobs would wait forever. */
  readonly lost: Promise<never>;
  /** Stops them all and waits for their exit. Safe to call twice. */
  stop(): Promise<void>;
}

export async function startWorkers(count: number, settings: WorkerSettings): Promise<WorkerProcesses> {
  const children: ChildProcess[] = [];
  const exits: Promise<unknown>[] = [];
  const outputs: { text: string }[] = [];
  let stopping: Promise<void> | undefined;
  let lose: (error: Error) => void = () => {};
  const lost = new Promise<never>((_, reject) => (lose = reject));
  lost.catch(() => undefined); // raced by the runs; unhandled only if no run is waiting
  const stop = (): Promise<void> =>
    (stopping ??= Promise.all(children.map((child, k) => stopOne(child, exits[k]!))).then(() => undefined));
  try {
    for (let k = 0; k < count; k++) {
      const child = spawn(
        process.execPath,
        [
          cli,
          'worker',
          settings.module,
          '--redis',
          settings.redis,
          '--queue',
          settings.queue,
          '--concurrency',
          String(settings.concurrency),
          ...(settings.thread ? ['--thread', settings.thread] : []),
        ],
        { cwd: root, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      children.push(child);
      exits.push(once(child, 'exit').catch(() => undefined));
      const output = (outputs[k] = { text: '' });
      child.once('exit', (code, signal) => {
        if (!stopping)
          lose(
            new Error(
              `Expected tsdags worker ${child.pid} to run until stopped, got its exit (${code ?? signal}):\n${output.text}`,
            ),
          );
      });
    }
    await Promise.all(children.map((child, k) => ready(child, outputs[k]!)));
  } catch (error) {
    await stop();
    throw error;
  }
  return { pids: children.map((child) => child.pid!), lost, stop };
}

// Resolves on the worker's "ready on queue" line; rejects with its output if it exits first.
// Everything it prints is kept in `output`, for the message if it dies later.
function ready(child: ChildProcess, output: { text: string }): Promise<void> {
  child.stderr!.on('data', (chunk: Buffer) => (output.text += chunk.toString()));
  return new Promise<void>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      output.text += `${line}\n`;
      if (/ready on queue/.test(line)) resolve();
    });
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      reject(new Error(`Expected a ready tsdags worker, got its exit (${code ?? signal}):\n${output.text}`)),
    );
  });
}

async function stopOne(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  // A graceful stop waits for running stages: no-op stages end at once, so a worker still there
  // after 5 s is stuck and is killed.
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}
