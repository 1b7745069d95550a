import type { Graph } from '../graph/graph.js';

/**
 * The chain of stages, through the graph's edges, that ends last: from the stage that finished
 * last, back through the parent that finished last, to a stage none of whose parents finished.
 * Returned first stage first, as indexes in the graph; empty when no stage finished.
 *
 * @example
 * const path = criticalPath(result.graph, (i) => result.stages[result.graph.names[i]].finishedAt);
 */
export function criticalPath(graph: Graph, finishedAt: (stage: number) => number | undefined): number[] {
  const n = graph.stages.length;
  let last = -1;
  let lastTime = -Infinity;
  for (let i = 0; i < n; i++) {
    const t = finishedAt(i);
    if (t !== undefined && t > lastTime) {
      last = i;
      lastTime = t;
    }
  }
  const path: number[] = [];
  // Each step goes to a parent, so the walk ends after at most depth steps.
  for (let i = last; i >= 0;) {
    path.push(i);
    let next = -1;
    let nextTime = -Infinity;
    for (let e = graph.parentStart[i]!; e < graph.parentStart[i + 1]!; e++) {
      const p = graph.parents[e]!;
      const t = finishedAt(p);
      if (t !== undefined && t > nextTime) {
        next = p;
        nextTime = t;
      }
    }
    i = next;
  }
  return path.reverse();
}
