import type { RunResult } from '../run/run-result.js';
import type { AttemptOutcome } from './palette.js';
import { errorText, type LooseEvent } from './stage-states.js';

/** One attempt of one stage, from its `stage:start` event to the event that ended it. */
export interface AttemptBar {
  readonly stage: string;
  readonly attempt: number;
  /** Where it ran: a remote worker's name, or a thread (see `laneName`). */
  readonly lane: string;
  /** Milliseconds since the epoch. */
  readonly start: number;
  readonly end: number;
  readonly outcome: AttemptOutcome;
  readonly error: string | undefined;
}

/** The main thread's lane. */
export const mainLane = 'main thread';

/** A lane's name: the remote worker's name when there is one, else the thread's. */
export function laneName(threadId: unknown, worker: unknown): string {
  if (typeof worker === 'string' && worker.length > 0) return worker;
  return threadId === 0 || typeof threadId !== 'number' ? mainLane : `thread ${threadId}`;
}

const endings: Readonly<Record<string, AttemptOutcome>> = {
  'stage:done': 'succeeded',
  'stage:error': 'failed',
  'stage:retry': 'failed',
  'stage:cancel': 'cancelled',
};

/**
 * Every attempt of the run, in the order they started. An attempt still open when the events end
 * (a run that stopped abnormally) ends at the run's end as `unfinished`. Results reused without
 * running (`cached` with no `stage:start`) have no attempt to draw.
 */
export function attemptBars(result: RunResult): AttemptBar[] {
  interface Open {
    stage: string;
    attempt: number;
    lane: string;
    start: number;
    end: number;
    outcome: AttemptOutcome;
    error: string | undefined;
  }
  const open = new Map<string, Open>();
  const bars: Open[] = [];
  for (const event of result.events as readonly LooseEvent[]) {
    if (typeof event.stage !== 'string' || typeof event.attempt !== 'number') continue;
    const key = `${event.attempt}\u0000${event.stage}`;
    if (event.type === 'stage:start') {
      const bar: Open = {
        stage: event.stage,
        attempt: event.attempt,
        lane: laneName(event.threadId, event.worker),
        start: event.time,
        end: result.finishedAt,
        outcome: 'unfinished',
        error: undefined,
      };
      open.set(key, bar);
      bars.push(bar);
      continue;
    }
    const outcome = endings[event.type];
    const bar = outcome && open.get(key);
    if (!outcome || !bar) continue;
    open.delete(key);
    bar.end = Math.max(bar.start, event.time);
    bar.outcome = event.type === 'stage:done' && event.cached === true ? 'cached' : outcome;
    bar.error = outcome === 'failed' ? errorText(event.error) : undefined;
  }
  return bars;
}

/** Lanes in reading order: the main thread, then threads by id, then remote workers by name. */
export function sortLanes(lanes: Iterable<string>): string[] {
  const rank = (lane: string): [number, number, string] => {
    if (lane === mainLane) return [0, 0, ''];
    const thread = /^thread (\d+)$/.exec(lane);
    return thread ? [1, Number(thread[1]), ''] : [2, 0, lane];
  };
  return [...new Set(lanes)].sort((a, b) => {
    const [ga, na, sa] = rank(a);
    const [gb, nb, sb] = rank(b);
    return ga - gb || na - nb || (sa < sb ? -1 : sa > sb ? 1 : 0);
  });
}

/**
 * Rows within each lane so that bars that overlap in time (async stages sharing the main thread)
 * do not cover each other: each bar goes to the first row free at its start.
 */
export function assignRows(bars: readonly AttemptBar[]): { row: number[]; rowsPerLane: Map<string, number> } {
  const order = bars.map((_, i) => i).sort((a, b) => bars[a]!.start - bars[b]!.start);
  const rowEnds = new Map<string, number[]>();
  const row = new Array<number>(bars.length).fill(0);
  for (const i of order) {
    const bar = bars[i]!;
    let ends = rowEnds.get(bar.lane);
    if (!ends) rowEnds.set(bar.lane, (ends = []));
    let r = ends.findIndex((end) => end <= bar.start);
    if (r < 0) r = ends.push(bar.end) - 1;
    else ends[r] = bar.end;
    row[i] = r;
  }
  const rowsPerLane = new Map([...rowEnds].map(([lane, ends]) => [lane, ends.length]));
  return { row, rowsPerLane };
}
