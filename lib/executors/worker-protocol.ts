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
 * What a lane's worker thread tells the main thread through shared memory, without a message:
 *
 * - Int32 0: a counter the worker bumps (and notifies) the moment a stage's code starts, after
 *   its module is imported, so `stage:start` and timeouts count the stage, not the thread's
 *   start-up;
 * - Int32 1 and the bytes after: a death note. A result that structured clone refuses kills the
 *   thread inside tinypool (after our code returned), and the error that reaches the main thread
 *   is an empty object; the dying worker writes why here first (length, then UTF-8).
 */
export const laneChannelBytes = 1024;
const noteOffset = 8;

export function signalStarted(channel: SharedArrayBuffer): void {
  const cells = new Int32Array(channel, 0, 2);
  Atomics.add(cells, 0, 1);
  Atomics.notify(cells, 0);
}

/** Resolves when the lane's worker next starts a stage (a stage already started counts). */
export function whenStarted(channel: SharedArrayBuffer, seen: number): Promise<unknown> {
  const wait = Atomics.waitAsync(new Int32Array(channel, 0, 2), 0, seen);
  return wait.async ? wait.value : Promise.resolve();
}

export function startedCount(channel: SharedArrayBuffer): number {
  return Atomics.load(new Int32Array(channel, 0, 2), 0);
}

export function writeDeathNote(channel: SharedArrayBuffer, text: string): void {
  const bytes = new TextEncoder().encode(text).subarray(0, laneChannelBytes - noteOffset);
  new Uint8Array(channel, noteOffset).set(bytes);
  Atomics.store(new Int32Array(channel, 0, 2), 1, bytes.length);
}

/** Reads and clears the note; undefined when the worker left none. */
export function takeDeathNote(channel: SharedArrayBuffer): string | undefined {
  const length = Atomics.exchange(new Int32Array(channel, 0, 2), 1, 0);
  if (length === 0) return undefined;
  return new TextDecoder().decode(new Uint8Array(channel, noteOffset, length).slice());
}
