import { CycleError, DuplicateStageError } from '../errors.js';
import { numbered, Stage, type StageDefinition } from '../stage/stage.js';
import { findCycle } from './find-cycle.js';

/**
 * A validated DAG of stages in compressed sparse rows: stage i's parents are
 * `parents[parentStart[i] .. parentStart[i + 1])`, likewise for children. Every algorithm on it
 * walks these integer arrays once: building and validating is O(V + E).
 */
export interface Graph {
  /** Stages by index. */
  readonly stages: readonly Stage[];
  /**
   * Their names in this graph, by index, as it numbered them: what its runs, records and pictures
   * call them, even once another graph has numbered the same stages otherwise.
   */
  readonly names: readonly string[];
  readonly parentStart: Int32Array;
  readonly parents: Int32Array;
  /** Per parent edge: 1 when the parent's result is an argument (data), 0 for `.after()` (order only). */
  readonly parentIsData: Uint8Array;
  readonly childStart: Int32Array;
  readonly children: Int32Array;
  /** Stage indexes in a topological order (every parent before its children). */
  readonly order: Int32Array;
  /** A stage's index, or -1 when it is not in the graph. */
  indexOf(stage: Stage): number;
}

/** Builds and validates the graph of `roots` and every stage upstream of them. */
export function buildGraph(roots: readonly Stage[]): Graph {
  const index = new Map<Stage, number>();
  const stages: Stage[] = [];
  const add = (s: Stage): void => {
    if (!index.has(s)) {
      index.set(s, stages.length);
      stages.push(s);
    }
  };
  roots.forEach(add);
  // Stages grows while we walk it: every upstream stage is appended once and visited in turn.
  for (let i = 0; i < stages.length; i++) {
    const s = stages[i]!;
    for (const ref of s.refs) if (ref instanceof Stage) add(ref);
    for (const dep of s.orderDeps) add(dep);
  }
  const n = stages.length;
  numberStages(stages);
  checkNames(stages);

  // Parents, deduplicated per stage with a stamp array; a stage both passed and .after()-ed is data.
  const parentStart = new Int32Array(n + 1);
  const parentList: number[] = [];
  const kindList: number[] = [];
  const stamp = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    const s = stages[i]!;
    const first = parentList.length;
    for (const ref of s.refs) {
      if (!(ref instanceof Stage)) continue;
      const p = index.get(ref)!;
      if (stamp[p] === i) continue;
      stamp[p] = i;
      parentList.push(p);
      kindList.push(1);
    }
    for (const dep of s.orderDeps) {
      const p = index.get(dep)!;
      if (stamp[p] === i) continue;
      stamp[p] = i;
      parentList.push(p);
      kindList.push(0);
    }
    parentStart[i] = first;
  }
  parentStart[n] = parentList.length;
  const parents = Int32Array.from(parentList);
  const parentIsData = Uint8Array.from(kindList);

  // Children: the transpose, by counting.
  const childStart = new Int32Array(n + 1);
  for (const p of parents) childStart[p + 1]!++;
  for (let i = 0; i < n; i++) childStart[i + 1]! += childStart[i]!;
  const fill = childStart.slice(0, n);
  const children = new Int32Array(parents.length);
  for (let i = 0; i < n; i++) {
    for (let e = parentStart[i]!; e < parentStart[i + 1]!; e++) children[fill[parents[e]!]!++] = i;
  }

  const order = topologicalOrder(n, parentStart, childStart, children);
  if (order.length < n) {
    throw new CycleError(findCycle(order, n, parentStart, parents).map((i) => stages[i]!.name));
  }
  return {
    stages,
    names: stages.map((s) => s.name),
    parentStart,
    parents,
    parentIsData,
    childStart,
    children,
    order,
    indexOf: (s) => index.get(s) ?? -1,
  };
}

// Kahn's algorithm; returns fewer than n indexes when there is a cycle.
function topologicalOrder(
  n: number,
  parentStart: Int32Array,
  childStart: Int32Array,
  children: Int32Array,
): Int32Array {
  const waiting = new Int32Array(n);
  const order = new Int32Array(n);
  let tail = 0;
  for (let i = 0; i < n; i++) {
    waiting[i] = parentStart[i + 1]! - parentStart[i]!;
    if (waiting[i] === 0) order[tail++] = i;
  }
  for (let head = 0; head < tail; head++) {
    const v = order[head]!;
    for (let e = childStart[v]!; e < childStart[v + 1]!; e++) {
      const c = children[e]!;
      if (--waiting[c]! === 0) order[tail++] = c;
    }
  }
  return tail === n ? order : order.subarray(0, tail);
}

/**
 * Numbers each definition's stages in this graph, in creation order, skipping names already taken
 * here: `clean`, `clean-2`... Names so depend on the pipeline only, not on the stages the process
 * made before it or on other pipelines built with some of the same stages: a pipeline built again
 * finds its results, cache and remembered durations under the same names. Names given with
 * `.named()`, and those of stages in a run not over yet, are left as they are.
 */
function numberStages(stages: readonly Stage[]): void {
  // The creation order of each definition's last stage to number, in graph order.
  let last: Map<StageDefinition, number> | undefined;
  let anyHeld = false;
  let inCreationOrder = true;
  for (const s of stages) {
    const n = s.creationOrder;
    if (n === 0) {
      anyHeld = true;
      continue;
    }
    last ??= new Map();
    if (n < (last.get(s.definition) ?? 0)) inCreationOrder = false;
    last.set(s.definition, n);
  }
  if (!last) return;
  const taken = anyHeld ? new Set(stages.filter((s) => s.creationOrder === 0).map((s) => s.name)) : undefined;
  const order = inCreationOrder ? stages : [...stages].sort((a, b) => a.creationOrder - b.creationOrder);
  const count = new Map<StageDefinition, number>();
  for (const s of order) {
    if (s.creationOrder === 0) continue;
    let k = count.get(s.definition) ?? 0;
    do k++;
    while (taken?.has(numbered(s.definition.name, k)));
    count.set(s.definition, k);
    s.numberAs(k);
  }
}

function checkNames(stages: readonly Stage[]): void {
  const byName = new Map<string, Stage>();
  for (const s of stages) {
    const other = byName.get(s.name);
    if (other) throw new DuplicateStageError(s.name, [other.definition.location, s.definition.location]);
    byName.set(s.name, s);
  }
}
