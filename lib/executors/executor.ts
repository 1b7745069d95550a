import type { Stage, StageContext } from '../stage/stage.js';

/** One attempt of one stage, as handed to an executor. */
export interface Attempt {
  readonly stage: Stage;
  readonly name: string;
  /** The function stage's arguments, inputs resolved. */
  readonly args: unknown[];
  readonly attempt: number;
  /** Builds the class stage's context (on demand: function stages do not need one). */
  context(): StageContext;
  /** The executor calls this once, with the thread it runs on, just before the stage's code runs. */
  begin(threadId: number): void;
}

/**
 * Where stages run. `run` returns the stage's result, or a promise of it; a throw or a rejection
 * fails the attempt. At most `cores` attempts are in flight at once: the engine guarantees it.
 */
export interface Executor {
  run(attempt: Attempt): unknown;
  /** Stops every attempt in flight (they reject) and frees the executor's threads. */
  cancel(): Promise<void>;
  /** Frees the executor's threads once the run is over. */
  close(): Promise<void>;
}
