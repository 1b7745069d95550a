import { inspect } from 'node:util';
import type { Graph } from '../graph/graph.js';
import { resolveArgs } from '../stage/inputs.js';
import { Stage, type StageDefinition } from '../stage/stage.js';
import { encode } from './codec.js';
import { sha256 } from './keys.js';

const sources = new WeakMap<StageDefinition, string>();

/**
 * What a stage is, as a hash: its kind, name, function (or class) source, its arguments (inputs
 * stand for their upstream stage's name) and its upstream stages. Two runs of an unchanged
 * pipeline give each stage the same fingerprint; editing a stage's code or arguments changes it.
 */
export function fingerprint(graph: Graph, i: number): string {
  const stage = graph.stages[i]!;
  const definition = stage.definition;
  let source = sources.get(definition);
  if (source === undefined) {
    source = sha256(definition.fn ? definition.fn.toString() : stage.constructor.toString());
    sources.set(definition, source);
  }
  const parents: string[] = [];
  for (let e = graph.parentStart[i]!; e < graph.parentStart[i + 1]!; e++) {
    parents.push(`${graph.parentIsData[e] ? 'data' : 'after'}:${graph.stages[graph.parents[e]!]!.name}`);
  }
  parents.sort();
  return sha256(`${definition.kind}\n${stage.name}\n${source}\n${argsKey(stage)}\n${parents.join(',')}`);
}

function argsKey(stage: Stage): string {
  if (stage.args.length === 0) return '';
  // Scalars and upstream stages, the common case, need no serializer.
  if (stage.args.every(isScalar)) {
    return JSON.stringify(stage.args.map((a) => (a instanceof Stage ? { tsdagsStage: a.name } : a)));
  }
  const placeholders = stage.refs.map((ref, k) =>
    ref instanceof Stage ? { tsdagsStage: ref.name } : { tsdagsInput: k },
  );
  const args = stage.refs.length === 0 ? stage.args : resolveArgs(stage.args, placeholders);
  const bytes = encode(args);
  // Arguments structured clone cannot encode (functions, for main-thread stages): their printout.
  return sha256(bytes ?? inspect(args, { depth: 6 }));
}

/** The cache key of a stage run on these inputs, or undefined when the inputs cannot be hashed. */
export function cacheKey(fingerprintOfStage: string, inputs: unknown): string | undefined {
  const bytes = encode(inputs);
  return bytes && sha256(`${fingerprintOfStage}:${sha256(bytes)}`);
}

function isScalar(value: unknown): boolean {
  const type = typeof value;
  return (
    value === null ||
    value === undefined ||
    type === 'number' ||
    type === 'string' ||
    type === 'boolean' ||
    value instanceof Stage
  );
}
