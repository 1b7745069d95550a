import type { RunResult } from '../run/run-result.js';
import type { DrawnState } from './palette.js';

/** What the run drawing shows of one stage. */
export interface StageSummary {
  readonly state: DrawnState;
  readonly attempts: number;
  readonly durationMs: number | undefined;
  /** The failure's message, for a failed stage. */
  readonly error: string | undefined;
  /** Why it was skipped, for a skipped stage. */
  readonly reason: string | undefined;
}

/**
 * Event fields read without trusting the event union: `cached` (on `stage:done`) and `worker`
 * (on `stage:start`) are newer than some of the runs a picture may be drawn from.
 */
export interface LooseEvent {
  readonly type: string;
  readonly time: number;
  readonly stage?: unknown;
  readonly attempt?: unknown;
  readonly threadId?: unknown;
  readonly worker?: unknown;
  readonly cached?: unknown;
  readonly error?: unknown;
  readonly reason?: unknown;
}

/** Each stage's final state by index in `result.graph`, `cached` told apart from `succeeded`. */
export function stageSummaries(result: RunResult): StageSummary[] {
  const cached = new Set<string>();
  const reasons = new Map<string, string>();
  for (const event of result.events as readonly LooseEvent[]) {
    if (typeof event.stage !== 'string') continue;
    if (event.type === 'stage:done' && event.cached === true) cached.add(event.stage);
    else if (event.type === 'stage:skip' && typeof event.reason === 'string')
      reasons.set(event.stage, event.reason);
  }
  const records = result.stages;
  return result.graph.names.map((name) => {
    const record = records[name];
    const status = record?.status ?? 'pending';
    const state: DrawnState =
      status === 'pending' ? 'not run' : status === 'succeeded' && cached.has(name) ? 'cached' : status;
    return {
      state,
      attempts: record?.attempts ?? 0,
      durationMs: record?.durationMs,
      error: state === 'failed' ? errorText(record?.error) : undefined,
      reason: state === 'skipped' ? reasons.get(name) : undefined,
    };
  });
}

/** An error's message, and its cause's when the message does not already hold it. */
export function errorText(error: unknown): string | undefined {
  if (error === undefined || error === null) return undefined;
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? error.cause.message : undefined;
  return cause && !error.message.includes(cause) ? `${error.message}\n${cause}` : error.message;
}

/** A duration for people: `840 ms`, `1.25 s`, `2 min 05 s`. */
export function formatDuration(ms: number): string {
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}
