import { forkJoin, type Observable } from './rx.js';

// forkJoin's inner subscribers each remove themselves from one shared array when they finish
// (indexOf + splice), which is O(width) per input: a 100,000-wide join would be quadratic
// (DESIGN.md, trap 3). Joining at most this many per forkJoin, in a tree, keeps it linear.
const maxJoinWidth = 32;

/** forkJoin over any number of sources in linear time; emits once all have completed. */
export function joinAll(sources: Observable<unknown>[]): Observable<unknown> {
  let level = sources;
  while (level.length > maxJoinWidth) {
    const next: Observable<unknown>[] = [];
    for (let i = 0; i < level.length; i += maxJoinWidth)
      next.push(forkJoin(level.slice(i, i + maxJoinWidth)));
    level = next;
  }
  return forkJoin(level);
}
