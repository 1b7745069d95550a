import { hash } from 'node:crypto';
import { inspect } from 'node:util';
import type { Graph } from '../graph/graph.js';
import { resolveArgs } from '../stage/inputs.js';
import { Stage, type StageDefinition } from '../stage/stage.js';
import { encode } from './codec.js';
import { sha256 } from './keys.js';
import { valueHash } from './value-hash.js';

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
  // crypto.hash, not sha256() (a createHash per call): the same digest in a third of the time, and
  // this runs for every stage of every recorded run.
  return hash(
    'sha256',
    `${definition.kind}\n${stage.name}\n${source}\n${argsKey(stage, true)}\n${parents.join(',')}`,
    'hex',
  );
}

/**
 * What a stage computes, without names: its definition's source and its arguments with inputs as
 * positions. With the hash of its inputs' values it keys the cache, so the same function on the
 * same data hits the cache whatever the stages were called.
 */
export function computation(stage: Stage): string {
  const definition = stage.definition;
  const source = definition.fn ? definition.fn.toString() : stage.constructor.toString();
  return sha256(`${definition.kind}\n${definition.name}\n${source}\n${argsKey(stage, false)}`);
}

function argsKey(stage: Stage, named: boolean): string {
  if (stage.definition.kind === 'class') return classFieldsKey(stage);
  if (stage.args.length === 0) return '';
  const placeholder = (ref: unknown, k: number) =>
    ref instanceof Stage && named ? { tsdagsStage: ref.name } : { tsdagsInput: k };
  // Scalars and upstream stages, the common case, need no serializer.
  if (stage.args.every(isScalar)) {
    let k = 0;
    // JSON would print undefined, NaN and ±Infinity all as null: spell those out.
    return JSON.stringify(
      stage.args.map((a) =>
        a instanceof Stage
          ? placeholder(a, k++)
          : a === undefined || (typeof a === 'number' && !Number.isFinite(a))
            ? { tsdagsScalar: String(a) }
            : a,
      ),
    );
  }
  const placeholders = stage.refs.map(placeholder);
  const args = stage.refs.length === 0 ? stage.args : resolveArgs(stage.args, placeholders);
  const bytes = encode(args);
  // Arguments structured clone cannot encode (functions, for main-thread stages): their printout.
  return sha256(bytes ?? inspect(args, { depth: 6 }));
}

/** The cache key of a stage run on these inputs, or undefined when the inputs cannot be hashed. */
export function cacheKey(stage: Stage, inputs: unknown): string | undefined {
  const inputsHash = valueHash(inputs);
  return inputsHash && sha256(`${computation(stage)}:${inputsHash}`);
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

// What a class stage was constructed with lives in its own fields (`new Scale(5)` keeps 5 in
// `this.factor`): those stand for its arguments. Stage's own bookkeeping fields are left out.
const stageFields = new Set(['definition', 'options', 'args', 'refs', 'orderDeps']);

function classFieldsKey(stage: Stage): string {
  const fields: Record<string, unknown> = {};
  for (const key of Object.keys(stage))
    if (!stageFields.has(key)) fields[key] = (stage as unknown as Record<string, unknown>)[key];
  if (Object.keys(fields).length === 0) return '';
  // Fields that cannot be hashed (functions, sockets) make every instance differ: never reused.
  return valueHash(fields) ?? `unhashable:${Math.random()}`;
}
