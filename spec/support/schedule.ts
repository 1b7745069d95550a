import type { RunEvent } from 'tsdags';

/** The index in `events` of the first event of `type` for `stage`; fails the test when there is none. */
export function indexOf(events: readonly RunEvent[], type: RunEvent['type'], stage: string): number {
  const i = events.findIndex((e) => e.type === type && 'stage' in e && e.stage === stage);
  if (i < 0) throw new Error(`no ${type} event for stage "${stage}"`);
  return i;
}

/** The most stages running at once, counted from the events' order (start +1, done/error/cancel -1). */
export function peakConcurrency(events: readonly RunEvent[]): number {
  let running = 0;
  let peak = 0;
  for (const e of events) {
    if (e.type === 'stage:start') peak = Math.max(peak, ++running);
    else if (e.type === 'stage:done' || e.type === 'stage:error') running--;
    else if (e.type === 'stage:cancel' && e.attempt > 0) running--;
  }
  return peak;
}

/** Names of the stages that got an event of `type`, in event order. */
export function stagesWith(events: readonly RunEvent[], type: RunEvent['type']): string[] {
  return events.flatMap((e) => (e.type === type && 'stage' in e ? [e.stage] : []));
}

/** A promise with its resolve function outside: gates a main-thread stage until the test opens it. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
