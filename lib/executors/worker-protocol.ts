/** What the engine sends a worker thread: which stage to run, found by module and name, and its arguments. */
export interface WorkerTask {
  readonly module: string;
  readonly name: string;
  readonly stage: string;
  readonly args: unknown[];
}

/** A failure the worker entry diagnosed itself; errors thrown by stages cross as they are. */
export interface WorkerFailure {
  readonly [workerFailure]: true;
  readonly code: 'STAGE_NOT_FOUND' | 'UNCLONEABLE_VALUE';
  readonly detail: string;
}

export const workerFailure = '__tsdagsWorkerFailure';

export function isWorkerFailure(value: unknown): value is WorkerFailure {
  return typeof value === 'object' && value !== null && workerFailure in value;
}
