import type { RecordLine, RunMeta } from '../store/run-record.js';

/** A stage's state in a stored run: the run statuses, plus `reused` and the states of a cut-off run. */
export type StoredStageStatus =
  'pending' | 'running' | 'retrying' | 'succeeded' | 'reused' | 'failed' | 'skipped' | 'cancelled';

/** One row of `tsdags show`: a stage as its run's event log tells it. */
export interface StoredStage {
  readonly name: string;
  readonly status: StoredStageStatus;
  /** Attempts started; 0 for a stage that never ran (or whose result was reused). */
  readonly attempts: number;
  /** The duration of its last attempt, in ms, once it ended. */
  readonly durationMs: number | undefined;
  /** When its first attempt started, ms since the epoch. */
  readonly startedAt: number | undefined;
  /** What its last failed attempt threw, or why it was skipped. */
  readonly error: string | undefined;
}

interface Row {
  name: string;
  status: StoredStageStatus;
  attempts: number;
  durationMs: number | undefined;
  startedAt: number | undefined;
  error: string | undefined;
}

/**
 * Each stage of a stored run, folded from its event log, in the order they started (those that
 * never started last, in the pipeline's order). A run whose process was killed keeps the states
 * its log reached: `running` for a stage whose start is recorded and not its end (it had not ended
 * when the process died: ends are written before anything else happens), `pending` for one with
 * no start recorded (it may have started after the record's last line: see recordEnd()).
 */
export function storedStages(meta: RunMeta, lines: readonly RecordLine[]): StoredStage[] {
  const rows = new Map<string, Row>();
  const row = (name: string): Row => {
    let found = rows.get(name);
    if (!found) {
      found = {
        name,
        status: 'pending',
        attempts: 0,
        durationMs: undefined,
        startedAt: undefined,
        error: undefined,
      };
      rows.set(name, found);
    }
    return found;
  };
  for (const name of Object.keys(meta.stages)) row(name);
  for (const line of lines) {
    if (line.stage === undefined) continue;
    const stage = row(line.stage);
    switch (line.type) {
      case 'stage:start':
        stage.status = 'running';
        stage.attempts = Math.max(stage.attempts, line.attempt ?? 1);
        stage.startedAt ??= line.time;
        break;
      case 'stage:retry':
        stage.status = 'retrying';
        stage.error = errorText(line);
        break;
      case 'stage:done':
        stage.status = line.cached ? 'reused' : 'succeeded';
        stage.durationMs = line.cached ? undefined : line.durationMs;
        stage.error = undefined;
        break;
      case 'stage:error':
        stage.status = 'failed';
        stage.durationMs = line.durationMs;
        stage.error = errorText(line);
        break;
      case 'stage:skip':
        stage.status = 'skipped';
        stage.error = line.reason;
        break;
      case 'stage:cancel':
        stage.status = 'cancelled';
        break;
    }
  }
  return [...rows.values()]
    .map((r, order) => ({ r, order }))
    .sort((a, b) => (a.r.startedAt ?? Infinity) - (b.r.startedAt ?? Infinity) || a.order - b.order)
    .map(({ r }) => r);
}

/**
 * When the record of a run with no end recorded stops: the time of its latest line. A stage's end
 * is written (and flushed) before it is announced, while a start waits in memory for the next end,
 * or a quarter of a second; so a stage started in the record's last moments, or whose start was
 * announced late (a worker stage's thread stamps it, read with another's end or a look every 50
 * ms), has no start in the record.
 */
export function recordEnd(meta: RunMeta, lines: readonly RecordLine[]): number {
  let end = meta.startedAt;
  for (const line of lines) if (line.time > end) end = line.time;
  return end;
}

/** Stage counts by state, in a fixed order: `5 succeeded, 1 failed, 2 skipped`. */
export function countStages(stages: readonly { status: string }[]): string {
  const counts = new Map<string, number>();
  for (const stage of stages) counts.set(stage.status, (counts.get(stage.status) ?? 0) + 1);
  return countsText(counts);
}

const order = ['succeeded', 'reused', 'failed', 'skipped', 'cancelled', 'running', 'retrying', 'pending'];

/** Counts by state as text, known states in a fixed order, the rest after them. */
export function countsText(counts: ReadonlyMap<string, number>): string {
  const known = order.filter((status) => counts.has(status));
  const others = [...counts.keys()].filter((status) => !order.includes(status));
  return [...known, ...others].map((status) => `${counts.get(status)} ${status}`).join(', ');
}

// The log keeps the StageFailedError's message, `Stage "x" failed on attempt n: <cause>`: the
// table has the stage and attempts in their own columns, so it shows the cause.
function errorText(line: RecordLine): string | undefined {
  const message = line.error?.message;
  if (message === undefined) return undefined;
  const prefix = `Stage "${line.stage}" failed on attempt ${line.attempt}: `;
  const text = message.startsWith(prefix) ? message.slice(prefix.length) : message;
  const end = text.indexOf('\n');
  return end < 0 ? text : `${text.slice(0, end)} …`;
}
