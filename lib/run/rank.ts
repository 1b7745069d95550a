import type { Graph } from '../graph/graph.js';

// User priority dominates: one step of it outweighs any path length below 1e12.
const priorityWeight = 1e12;

/**
 * Each stage's rank among ready stages: its user priority, then the length of the longest path
 * from it to a sink (in stages, or weighted by `durations` in ms where known), so the critical
 * path starts first. One pass in reverse topological order: O(V + E).
 */
export function stageRanks(graph: Graph, durations?: ReadonlyMap<string, number>): Float64Array {
  const n = graph.stages.length;
  const pathLength = new Float64Array(n);
  const rank = new Float64Array(n);
  for (let k = n - 1; k >= 0; k--) {
    const i = graph.order[k]!;
    const stage = graph.stages[i]!;
    let longest = 0;
    for (let e = graph.childStart[i]!; e < graph.childStart[i + 1]!; e++) {
      longest = Math.max(longest, pathLength[graph.children[e]!]!);
    }
    pathLength[i] = longest + (durations?.get(stage.name) ?? 1);
    rank[i] = (stage.options.priority ?? 0) * priorityWeight + pathLength[i]!;
  }
  return rank;
}
