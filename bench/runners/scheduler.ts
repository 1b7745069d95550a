import type { Dag } from '../dag.js';

/** Runs stage i's work: returns at once (a main-thread no-op) or a promise (a worker task). */
export type Task = (i: number) => unknown;

/** A comparator: runs a DAG's tasks in dependency order, at most `cores` at once where it caps. */
export interface Scheduler {
  readonly name: string;
  schedule(dag: Dag, task: Task, cores: number): Promise<void>;
}

export function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function'
  );
}
