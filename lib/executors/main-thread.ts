import { isPromiseLike } from '../stage/inputs.js';
import type { Attempt, Executor } from './executor.js';

/**
 * Runs stages on the main thread: for I/O-bound stages and stages that hold closures. Code on the
 * main thread cannot be stopped from outside: on a timeout or a cancel the attempt is abandoned
 * (it rejects at once) and the stage is told through `ctx.signal`.
 */
export class MainThreadExecutor implements Executor {
  run(attempt: Attempt): unknown {
    const { signal } = attempt;
    if (signal.aborted) throw signal.reason;
    attempt.begin(0);
    const { stage } = attempt;
    const fn = stage.definition.fn;
    const result = fn ? fn(...attempt.args) : stage.run(attempt.context());
    return isPromiseLike(result) ? untilAborted(result, signal) : result;
  }

  async cancel(): Promise<void> {
    // Main-thread stages stop through their context's AbortSignal; nothing to terminate.
  }

  async close(): Promise<void> {}
}

function untilAborted<T>(work: PromiseLike<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    // The stage itself, or whoever saw its stage:start, may have cancelled the run already.
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const abort = () => reject(signal.reason);
    signal.addEventListener('abort', abort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', abort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', abort);
        reject(error);
      },
    );
  });
}
