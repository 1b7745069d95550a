import type { RunEvent } from 'tsdags';

/** The events that carry an attempt number (of stage `name`, or of every stage), as `type attempt`. */
export function attemptTrail(events: readonly RunEvent[], name?: string): string[] {
  return events.flatMap((e) =>
    'stage' in e && 'attempt' in e && (name === undefined || e.stage === name)
      ? [`${e.type} ${e.attempt}`]
      : [],
  );
}
