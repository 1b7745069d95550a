import { childrenOf, workAndCriticalPath, type Dag } from './dag.js';

/**
 * A makespan lower bound at least as tight as max(CP, W / cores), from idle time that no schedule
 * avoids. While the tasks of a chain C (each an ancestor or descendant of the next) run, one at a
 * time, the other cores can only run tasks that are neither ancestors nor descendants of some task
 * of C: if those hold less work than (cores - 1) × work(C), the rest is idle, and every schedule
 * takes at least (W + that idle) / cores. Any chain gives a valid bound; this tries the heaviest
 * tasks alone, comparable pairs of them, and the heaviest path through each.
 *
 * On 2 cores, bwa-chameleon-large-005 has a 334 ms task every other task waits for and a 142 ms
 * one that waits for all: no schedule is within 11.9% of max(CP, W / 2).
 */
export function forcedIdleBound(dag: Dag, cores: number, candidates = 60): number {
  const n = dag.size;
  const words = (n + 31) >>> 5;
  const { childStart, children } = childrenOf(dag);
  // Bit sets: comparable[i] holds i, its ancestors and its descendants.
  const ancestors = closure(n, words, (i, visit) => {
    for (let e = dag.parentStart[i]!; e < dag.parentStart[i + 1]!; e++) visit(dag.parents[e]!);
  });
  const comparable = closure(
    n,
    words,
    (i, visit) => {
      for (let e = childStart[i]!; e < childStart[i + 1]!; e++) visit(children[e]!);
    },
    true,
  );
  for (let i = 0; i < n * words; i++) comparable[i]! |= ancestors[i]!;
  const has = (set: Uint32Array, base: number, j: number): boolean =>
    ((set[base + (j >>> 5)]! >>> (j & 31)) & 1) === 1;

  const idleOf = (chain: readonly number[]): number => {
    const inChain = new Set(chain);
    const alongside = new Uint32Array(words);
    for (const v of chain) for (let w = 0; w < words; w++) alongside[w]! |= ~comparable[v * words + w]!;
    let other = 0;
    for (let j = 0; j < n; j++) if (has(alongside, 0, j) && !inChain.has(j)) other += dag.work[j]!;
    let own = 0;
    for (const v of chain) own += dag.work[v]!;
    return (cores - 1) * own - other;
  };
  const heaviest = (from: number, next: (v: number, visit: (u: number) => void) => void): number[] => {
    const path: number[] = [];
    for (let v = from; ;) {
      let best = -1;
      next(v, (u) => {
        if (best < 0 || dag.work[u]! > dag.work[best]!) best = u;
      });
      if (best < 0) return path;
      path.push(best);
      v = best;
    }
  };
  const up = (v: number, visit: (u: number) => void): void => {
    for (let e = dag.parentStart[v]!; e < dag.parentStart[v + 1]!; e++) visit(dag.parents[e]!);
  };
  const down = (v: number, visit: (u: number) => void): void => {
    for (let e = childStart[v]!; e < childStart[v + 1]!; e++) visit(children[e]!);
  };

  const heavy = [...dag.work.keys()].sort((a, b) => dag.work[b]! - dag.work[a]!).slice(0, candidates);
  let idle = 0;
  for (const v of heavy) {
    idle = Math.max(idle, idleOf([v]), idleOf([...heaviest(v, up), v, ...heaviest(v, down)]));
    for (const u of heavy) if (u < v && has(comparable, v * words, u)) idle = Math.max(idle, idleOf([u, v]));
  }
  const { work, criticalPath } = workAndCriticalPath(dag);
  return Math.max(criticalPath, (work + idle) / cores);
}

// Per task, a bit set of itself and every task reachable through `next`, in one pass over a
// topological order (reversed when `reverse`): n × words bits.
function closure(
  n: number,
  words: number,
  next: (i: number, visit: (j: number) => void) => void,
  reverse = false,
): Uint32Array {
  const sets = new Uint32Array(n * words);
  for (let k = 0; k < n; k++) {
    const i = reverse ? n - 1 - k : k;
    const base = i * words;
    sets[base + (i >>> 5)]! |= 1 << (i & 31);
    next(i, (j) => {
      for (let w = 0; w < words; w++) sets[base + w]! |= sets[j * words + w]!;
    });
  }
  return sets;
}
