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

/**
 * A lane's shared note from its worker thread: a result that structured clone refuses kills the
 * thread inside tinypool (after our code returned), and the error that reaches the main thread
 * is an empty object. The dying worker writes why here first. Layout: Int32 length, then UTF-8.
 */
export const deathNoteBytes = 1024;

export function writeDeathNote(note: SharedArrayBuffer, text: string): void {
  const bytes = new TextEncoder().encode(text).subarray(0, deathNoteBytes - 4);
  new Uint8Array(note, 4).set(bytes);
  Atomics.store(new Int32Array(note, 0, 1), 0, bytes.length);
}

/** Reads and clears the note; undefined when the worker left none. */
export function takeDeathNote(note: SharedArrayBuffer): string | undefined {
  const length = Atomics.exchange(new Int32Array(note, 0, 1), 0, 0);
  if (length === 0) return undefined;
  return new TextDecoder().decode(new Uint8Array(note, 4, length).slice());
}
