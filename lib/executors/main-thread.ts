import type { Attempt, Executor } from './executor.js';

/** Runs stages on the main thread: for I/O-bound stages and stages that hold closures. */
export class MainThreadExecutor implements Executor {
  run(attempt: Attempt): unknown {
    attempt.begin(0);
    const { stage } = attempt;
    const fn = stage.definition.fn;
    return fn ? fn(...attempt.args) : stage.run(attempt.context());
  }

  async cancel(): Promise<void> {
    // Main-thread stages stop through their context's AbortSignal; nothing to terminate.
  }

  async close(): Promise<void> {}
}
