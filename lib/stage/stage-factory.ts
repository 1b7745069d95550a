import type { Observable } from 'rxjs';
import { describeValue } from '../errors.js';
import { callerOutsideLibrary } from './call-site.js';
import { checkStageOptions } from './check-options.js';
import { register } from './registry.js';
import {
  Stage,
  functionStageInit,
  type FunctionStageInit,
  type StageContext,
  type StageDefinition,
  type StageOptions,
} from './stage.js';

/** A value, or something that produces it: an upstream stage, an Observable (its last value) or a Promise. */
export type Input<T> = T | Stage<T> | Observable<T> | PromiseLike<T>;

/** What a stage factory accepts for a parameter of type T: an input, or an array or plain object of inputs. */
export type StageArg<T> =
  | Input<T>
  | (T extends readonly (infer E)[] ? readonly Input<E>[] : never)
  | (T extends (...args: never[]) => unknown
      ? never
      : T extends object
        ? { [K in keyof T]: Input<T[K]> }
        : never);

/** Calling a factory creates a stage; nothing runs until the pipeline starts. */
export interface StageFactory<Args extends unknown[], Out> {
  (...args: { [K in keyof Args]: StageArg<Args[K]> }): Stage<Awaited<Out>>;
  /** The base name of the stages it creates. */
  readonly stageName: string;
}

/**
 * Turns a function into a stage factory. A stage passed as an argument becomes a dependency whose
 * result the function receives in its place.
 *
 * @example
 * export const clean = stage(function clean(rows: Row[]) { return rows.filter(valid); });
 * export const count = stage({ name: 'count', thread: 'main' }, (rows: Row[]) => rows.length);
 * const total = count(clean(download(url)));
 */
export function stage<Args extends unknown[], Out>(fn: (...args: Args) => Out): StageFactory<Args, Out>;
export function stage<Args extends unknown[], Out>(
  options: StageOptions,
  fn: (...args: Args) => Out,
): StageFactory<Args, Out>;
export function stage<Args extends unknown[], Out>(
  optionsOrFn: StageOptions | ((...args: Args) => Out),
  maybeFn?: (...args: Args) => Out,
): StageFactory<Args, Out> {
  if (typeof optionsOrFn === 'function' && maybeFn !== undefined) {
    // A decorator habit (Python's @stage(retries=2)), or options after the function: refused
    // rather than silently dropped.
    throw new TypeError(
      `Expected stage(fn) or stage(options, fn), got a function then ${describeValue(maybeFn)}. ` +
        'Put the options first: stage({ retries: 2 }, function name(...) {...}).',
    );
  }
  const [options, fn] = typeof optionsOrFn === 'function' ? [{}, optionsOrFn] : [optionsOrFn, maybeFn];
  if (maybeFn === undefined && typeof optionsOrFn !== 'function') {
    throw new TypeError(
      `Expected a function in stage(), got ${describeValue(optionsOrFn)}. Write stage(function name(...) {...}) ` +
        `or stage({ name }, fn).`,
    );
  }
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Expected stage(options, fn) with an options object, got ${describeValue(options)}.`);
  }
  if (typeof fn !== 'function') {
    throw new TypeError(
      `Expected a function in stage(), got ${describeValue(fn)}. Write stage(function name(...) {...}) ` +
        `or stage({ name }, fn).`,
    );
  }
  const name = options.name ?? fn.name;
  if (!name) {
    throw new TypeError(
      'Expected a named function in stage(), got an anonymous one. Name the function ' +
        "(stage(function clean(rows) {...})) or pass a name (stage({ name: 'clean' }, fn)).",
    );
  }
  checkStageOptions(options, `stage(${name})`);
  const site = callerOutsideLibrary();
  const definition: StageDefinition = {
    name,
    module: options.module ?? site.module,
    location: site.location,
    kind: 'function',
    options,
    fn: fn as (...args: unknown[]) => unknown,
    instances: 0,
  };
  register(definition);
  const factory = (...args: unknown[]): Stage<Awaited<Out>> => {
    const init: FunctionStageInit = { [functionStageInit]: true, definition, args };
    return new FunctionStage<Awaited<Out>>(init as unknown as StageOptions);
  };
  Object.defineProperty(factory, 'stageName', { value: name, enumerable: true });
  Object.defineProperty(factory, 'name', { value: name });
  return factory as unknown as StageFactory<Args, Out>;
}

/** @internal A stage made by a `stage()` factory: the engine calls its definition's function. */
export class FunctionStage<Out> extends Stage<Out> {
  run(_ctx: StageContext): Out {
    throw new TypeError(
      `Stage "${this.name}" is a function stage: the engine calls its function, not run().`,
    );
  }
}
