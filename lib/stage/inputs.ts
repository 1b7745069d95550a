import { isObservable, type Observable } from '../run/rx.js';
import { Stage } from './stage.js';

/** Something a stage waits for before it runs: an upstream stage, an Observable or a Promise. */
export type StageRef = Stage | Observable<unknown> | PromiseLike<unknown>;

const none: StageRef[] = [];

/**
 * The inputs among a stage's arguments, in argument order: at the top level, and inside arrays and
 * plain objects one level deep. `resolveArgs` replaces them in the same order.
 */
export function scanInputs(args: readonly unknown[]): StageRef[] {
  let refs = none;
  const visit = (value: unknown): void => {
    if (isRef(value)) {
      if (refs === none) refs = [];
      refs.push(value);
    }
  };
  for (const arg of args) {
    if (isRef(arg)) visit(arg);
    else if (Array.isArray(arg)) arg.forEach(visit);
    else if (isPlainObject(arg)) Object.values(arg).forEach(visit);
  }
  return refs;
}

/** The arguments with each input replaced by its value (`values[k]` for the k-th input). */
export function resolveArgs(args: readonly unknown[], values: readonly unknown[]): unknown[] {
  let k = 0;
  const swap = (value: unknown): unknown => (isRef(value) ? values[k++] : value);
  return args.map((arg) => {
    if (isRef(arg)) return swap(arg);
    if (Array.isArray(arg)) return arg.map(swap);
    if (isPlainObject(arg)) {
      const out: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(arg)) out[key] = swap(value);
      return out;
    }
    return arg;
  });
}

export function isRef(value: unknown): value is StageRef {
  return value instanceof Stage || isObservable(value) || isPromiseLike(value);
}

/** A Promise, or anything with a `then` method. */
export function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function'
  );
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
