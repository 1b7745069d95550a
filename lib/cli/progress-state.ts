import type { RunEvent } from '../run/events.js';

/** A stage in flight, as the live display shows it. */
export interface RunningStage {
  readonly name: string;
  readonly since: number;
  readonly attempt: number;
}

/** A failed attempt that will be tried again (`stage:retry`). */
export interface RetryNotice {
  readonly stage: string;
  readonly attempt: number;
  readonly delayMs: number;
  readonly error: Error;
}

/**
 * The `stage:retry` event, read by its shape so that the reporters work with and without it in
 * the event union (retries with back-off are arriving in the engine).
 */
export function retryOf(event: RunEvent): RetryNotice | undefined {
  const candidate = event as unknown as { type: string };
  return candidate.type === 'stage:retry' ? (candidate as unknown as RetryNotice) : undefined;
}

/** What the live display knows of a run so far, folded from its events. */
export class ProgressState {
  runId = '';
  total = 0;
  cores = 0;
  startedAt: number | undefined;
  succeeded = 0;
  failed = 0;
  skipped = 0;
  cancelled = 0;
  readonly running = new Map<string, RunningStage>();

  /** Folds one event in. */
  apply(event: RunEvent): void {
    const retry = retryOf(event);
    if (retry) {
      // It waits out its back-off, then starts again (a new stage:start).
      this.running.delete(retry.stage);
      return;
    }
    switch (event.type) {
      case 'run:start':
        this.runId = event.runId;
        this.total = event.stages;
        this.cores = event.cores;
        this.startedAt = event.time;
        break;
      case 'stage:start':
        this.running.set(event.stage, { name: event.stage, since: event.time, attempt: event.attempt });
        break;
      case 'stage:done':
        this.running.delete(event.stage);
        this.succeeded++;
        break;
      case 'stage:error':
        this.running.delete(event.stage);
        this.failed++;
        break;
      case 'stage:skip':
        this.skipped++;
        break;
      case 'stage:cancel':
        this.running.delete(event.stage);
        this.cancelled++;
        break;
      case 'stage:ready':
      case 'run:done':
        break;
    }
  }

  /** Stages that reached an end state. */
  get finished(): number {
    return this.succeeded + this.failed + this.skipped + this.cancelled;
  }

  /** The stages in flight, the longest-running first. */
  runningLongestFirst(): RunningStage[] {
    return [...this.running.values()].sort((a, b) => a.since - b.since);
  }
}
