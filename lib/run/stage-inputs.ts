import type { Graph } from '../graph/graph.js';
import { resolveArgs } from '../stage/inputs.js';
import { Stage } from '../stage/stage.js';

/** A class stage's inputs: its upstream stages' results, by stage name. */
export function inputsByName(graph: Graph, values: readonly unknown[], i: number): Record<string, unknown> {
  const inputs: Record<string, unknown> = {};
  for (let e = graph.parentStart[i]!; e < graph.parentStart[i + 1]!; e++) {
    const p = graph.parents[e]!;
    inputs[graph.names[p]!] = values[p];
  }
  return inputs;
}

/**
 * A function stage's arguments with each input replaced by its value: an upstream stage's result,
 * or the next value of `external` (its Observable and Promise arguments, in order).
 */
export function argumentsOf(
  graph: Graph,
  values: readonly unknown[],
  stage: Stage,
  external: readonly unknown[] | undefined,
): unknown[] {
  if (stage.refs.length === 0) return stage.args as unknown[];
  const resolved: unknown[] = [];
  let k = 0;
  for (const ref of stage.refs) {
    resolved.push(ref instanceof Stage ? values[graph.indexOf(ref)] : external![k++]);
  }
  return resolveArgs(stage.args, resolved);
}
