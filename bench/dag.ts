/**
 * A workload: a DAG in compressed sparse rows whose stage indexes are already in topological
 * order (every parent has a lower index), and each stage's work in milliseconds of CPU spin
 * (0 for a no-op stage).
 */
export interface Dag {
  readonly name: string;
  readonly size: number;
  /** Stage i's parents are `parents[parentStart[i] .. parentStart[i + 1])`. */
  readonly parentStart: Int32Array;
  readonly parents: Int32Array;
  /** Milliseconds of spin per stage. */
  readonly work: Float64Array;
}

/** Builds a Dag from per-stage parent lists (each parent index lower than its child's). */
export function dagFromLists(
  name: string,
  parentLists: readonly (readonly number[])[],
  work?: Float64Array,
): Dag {
  const size = parentLists.length;
  const parentStart = new Int32Array(size + 1);
  let edges = 0;
  for (let i = 0; i < size; i++) {
    parentStart[i] = edges;
    edges += parentLists[i]!.length;
  }
  parentStart[size] = edges;
  const parents = new Int32Array(edges);
  let e = 0;
  for (let i = 0; i < size; i++) {
    for (const p of parentLists[i]!) {
      if (p >= i || p < 0) throw new Error(`Expected parents of stage ${i} below ${i}, got ${p} in ${name}`);
      parents[e++] = p;
    }
  }
  return { name, size, parentStart, parents, work: work ?? new Float64Array(size) };
}

export function edgeCount(dag: Dag): number {
  return dag.parents.length;
}

/** The children of each stage, in the same CSR form. */
export function childrenOf(dag: Dag): { childStart: Int32Array; children: Int32Array } {
  const n = dag.size;
  const childStart = new Int32Array(n + 1);
  for (const p of dag.parents) childStart[p + 1]!++;
  for (let i = 0; i < n; i++) childStart[i + 1]! += childStart[i]!;
  const fill = childStart.slice(0, n);
  const children = new Int32Array(dag.parents.length);
  for (let i = 0; i < n; i++) {
    for (let e = dag.parentStart[i]!; e < dag.parentStart[i + 1]!; e++)
      children[fill[dag.parents[e]!]!++] = i;
  }
  return { childStart, children };
}

/** Topological levels: a source is level 0, any other stage one more than its deepest parent. */
export function levelsOf(dag: Dag): number[][] {
  const level = new Int32Array(dag.size);
  const levels: number[][] = [];
  for (let i = 0; i < dag.size; i++) {
    let l = 0;
    for (let e = dag.parentStart[i]!; e < dag.parentStart[i + 1]!; e++) {
      l = Math.max(l, level[dag.parents[e]!]! + 1);
    }
    level[i] = l;
    (levels[l] ??= []).push(i);
  }
  return levels;
}

/** Total work W and critical path CP (the work-weighted longest path), in ms. */
export function workAndCriticalPath(dag: Dag): { work: number; criticalPath: number } {
  const finish = new Float64Array(dag.size);
  let work = 0;
  let criticalPath = 0;
  for (let i = 0; i < dag.size; i++) {
    let start = 0;
    for (let e = dag.parentStart[i]!; e < dag.parentStart[i + 1]!; e++) {
      start = Math.max(start, finish[dag.parents[e]!]!);
    }
    finish[i] = start + dag.work[i]!;
    work += dag.work[i]!;
    criticalPath = Math.max(criticalPath, finish[i]!);
  }
  return { work, criticalPath };
}

/** The makespan lower bound on `cores` cores: max(critical path, total work / cores), in ms. */
export function lowerBound(dag: Dag, cores: number): number {
  const { work, criticalPath } = workAndCriticalPath(dag);
  return Math.max(criticalPath, work / cores);
}
