import type { ResumeInfo, RunEvent } from '../run/events.js';

/** A stage in flight, as the live display shows it. */
export interface RunningStage {
  readonly name: string;
  readonly since: number;
  readonly attempt: number;
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
  /** Stages that succeeded without running: results reused from the cache or the resumed run. */
  reused = 0;
  resume: ResumeInfo | undefined;
  readonly running = new Map<string, RunningStage>();

  /** Folds one event in. */
  apply(event: RunEvent): void {
    switch (event.type) {
      case 'run:start':
        this.runId = event.runId;
        this.total = event.stages;
        this.cores = event.cores;
        this.startedAt = event.time;
        this.resume = event.resume;
        break;
      case 'stage:retry':
        // It waits out its back-off, then starts again (a new stage:start).
        this.running.delete(event.stage);
        break;
      case 'stage:start':
        this.running.set(event.stage, { name: event.stage, since: event.time, attempt: event.attempt });
        break;
      case 'stage:done':
        this.running.delete(event.stage);
        this.succeeded++;
        if (event.cached) this.reused++;
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
