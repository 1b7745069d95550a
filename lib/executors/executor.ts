import type { RetryPolicy } from '../run/retry.js';
import type { Stage, StageContext } from '../stage/stage.js';

/** One attempt of one stage, as handed to an executor. */
export interface Attempt {
  readonly stage: Stage;
  readonly name: string;
  /** The function stage's arguments, inputs resolved. */
  readonly args: unknown[];
  readonly attempt: number;
  /**
   * Aborts when the run is cancelled or the attempt times out, with the reason to reject with.
   * The executor stops the stage when it aborts and rejects with `signal.reason`.
   */
  readonly signal: AbortSignal;
  /** Builds the class stage's context (on demand: function stages do not need one). */
  context(): StageContext;
  /**
   * Whether a timeout applies to this attempt: its clock starts at begin(), so the executor
   * calls begin() as soon as the stage starts, not later with the time it started.
   */
  readonly timed?: boolean;
  /**
   * The executor calls this once, as the stage's code starts (or later, with `at`: when it
   * started, ms since the epoch as `performance.timeOrigin + performance.now()` gives it), with the
   * thread it runs on and, for remote workers, which worker that is (`host:pid`).
   */
  begin(threadId: number, worker?: string, at?: number): void;
  /**
   * For a timed attempt, an executor whose thread loads the stage's module before its code starts
   * calls this as the thread takes the attempt up: the load may take as long as the stage's
   * timeout, then fails with a TimeoutError (a module whose top level waits forever).
   */
  loading?(): void;
  /**
   * The retries left to this attempt and their back-off, for an executor that retries failed
   * tries itself (BullMQ's attempts) rather than failing the attempt for the engine to retry.
   */
  readonly retry: RetryPolicy;
  /**
   * Such an executor calls this after each failed try but the last, with the try's error and the
   * wait before the next: the engine announces `stage:retry` and counts the next try as the next
   * attempt, whose begin() starts its clock. False when the engine takes no more retries (the run
   * stopped): the executor takes the next try back if it can and fails the attempt with `error`.
   */
  retried(error: unknown, delayMs: number): boolean;
}

/**
 * Where stages run. `run` returns the stage's result, or a promise of it; a throw or a rejection
 * fails the attempt. At most `cores` attempts are in flight at once, plus those an executor
 * queues itself (canQueue): the engine guarantees it.
 */
export interface Executor {
  run(attempt: Attempt): unknown;
  /**
   * Whether the executor takes one more attempt of `stage` now, beyond `cores`: it keeps it
   * queued and starts it itself the moment one of its running stages ends, so no core idles while
   * the main thread handles that end. The engine asks only while all `cores` in flight are this
   * executor's, and hands it at most `queueAhead` more. Without it, `cores` caps what is in flight.
   */
  canQueue?(stage: Stage): boolean;
  readonly queueAhead?: number;
  /**
   * Takes back the attempts it queued ahead that have not started (the run stopped after a
   * failure: nothing new starts); they reject with AttemptWithdrawn.
   */
  withdraw?(): void;
  /** Stops every attempt in flight (they reject) and frees the executor's threads. */
  cancel(): Promise<void>;
  /** Frees the executor's threads once the run is over. */
  close(): Promise<void>;
}

/** What a withdrawn attempt rejects with: it never started, and the stage is not over. */
export class AttemptWithdrawn extends Error {
  constructor() {
    super('the attempt was taken back before it started');
  }
}
