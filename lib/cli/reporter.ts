import type { RunEvent } from '../run/events.js';
import type { RunResult } from '../run/run-result.js';

/** How `tsdags run` shows a run: a live display on a terminal, plain lines elsewhere, or JSON. */
export interface Reporter {
  /** One event of the run, in the order they happened. */
  event(event: RunEvent): void;
  /** A remark of the CLI itself ("stopping…", "wrote run.svg"), kept apart from the pipeline's output. */
  note(message: string): void;
  /** The run is over: show its summary. */
  finish(result: RunResult): void;
  /** Stops what the reporter started (timers, hooks on the process streams). */
  close(): void;
}
