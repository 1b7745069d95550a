/** How a stage ended, or `'pending'` while it has not. */
export type StageStatus = 'pending' | 'succeeded' | 'failed' | 'skipped' | 'cancelled';

/** How a run ended. */
export type RunStatus = 'succeeded' | 'failed' | 'cancelled';

interface EventBase {
  /** Milliseconds since the epoch (fractional). */
  readonly time: number;
}

export interface RunStartEvent extends EventBase {
  readonly type: 'run:start';
  readonly runId: string;
  readonly stages: number;
  readonly cores: number;
  /** When the run resumes an earlier one: that run's id, how many stages were restored from it, and which changed. */
  readonly resume?: ResumeInfo;
}
export interface ResumeInfo {
  readonly from: string;
  /** Stages whose stored results were reused. */
  readonly restored: number;
  /** Stages that differ from the earlier run (new, renamed or with other source or arguments): they run again, with their dependents. */
  readonly changed: readonly string[];
}
/** All of a stage's dependencies finished: it waits for a free core. */
export interface StageReadyEvent extends EventBase {
  readonly type: 'stage:ready';
  readonly stage: string;
}
export interface StageStartEvent extends EventBase {
  readonly type: 'stage:start';
  readonly stage: string;
  readonly attempt: number;
  /**
   * The thread running it: `0` for the main thread, else the worker thread's `threadId`; `-1` on a
   * remote worker (`worker` names it).
   */
  readonly threadId: number;
  /** For a stage on a remote worker: which one, as `host:pid`. */
  readonly worker?: string;
}
/** An attempt failed and the stage will be tried again after `delayMs`. */
export interface StageRetryEvent extends EventBase {
  readonly type: 'stage:retry';
  readonly stage: string;
  /** The attempt that failed; the next one is `attempt + 1`. */
  readonly attempt: number;
  readonly delayMs: number;
  readonly error: Error;
}
export interface StageDoneEvent extends EventBase {
  readonly type: 'stage:done';
  readonly stage: string;
  /** The attempt that succeeded; 0 when the result was reused (`cached`). */
  readonly attempt: number;
  readonly threadId: number;
  readonly durationMs: number;
  /** The result was reused without running: from the cache, or from the run being resumed. */
  readonly cached?: true;
}
export interface StageErrorEvent extends EventBase {
  readonly type: 'stage:error';
  readonly stage: string;
  readonly attempt: number;
  readonly threadId: number;
  readonly durationMs: number;
  readonly error: Error;
}
/** The stage will not run: an upstream stage failed, or the run stopped after a failure. */
export interface StageSkipEvent extends EventBase {
  readonly type: 'stage:skip';
  readonly stage: string;
  readonly reason: string;
}
/** The run was cancelled before this stage finished. */
export interface StageCancelEvent extends EventBase {
  readonly type: 'stage:cancel';
  readonly stage: string;
  /** The attempt that was stopped, or 0 when the stage had not started. */
  readonly attempt: number;
}
export interface RunDoneEvent extends EventBase {
  readonly type: 'run:done';
  readonly runId: string;
  readonly status: RunStatus;
  readonly durationMs: number;
}

/** Everything a run reports, in the order it happened. */
export type RunEvent =
  | RunStartEvent
  | StageReadyEvent
  | StageStartEvent
  | StageRetryEvent
  | StageDoneEvent
  | StageErrorEvent
  | StageSkipEvent
  | StageCancelEvent
  | RunDoneEvent;

/** Fractional milliseconds since the epoch. */
export function now(): number {
  return performance.timeOrigin + performance.now();
}
