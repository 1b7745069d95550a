/** What the engine sends a worker thread: which stage to run, found by module and name, and its arguments. */
export interface WorkerTask {
  readonly module: string;
  readonly name: string;
  readonly stage: string;
  readonly args: unknown[];
  /** Its number on the lane, counting from 1: tasks are claimed and started in this order. */
  readonly ticket: number;
  /** Where its thread stamps its start: 0 or 1, the slot no other task on the lane holds. */
  readonly slot: number;
}

/** A failure the worker entry diagnosed itself; errors thrown by stages cross as they are. */
export interface WorkerFailure {
  readonly [workerFailure]: true;
  readonly code: 'STAGE_NOT_FOUND' | 'UNCLONEABLE_VALUE';
  readonly detail: string;
}

export const workerFailure = '__tsdagsWorkerFailure';

/** What a worker answers for a task that was taken back before it started (revokeTask). */
export const revokedTask = '__tsdagsRevoked';

export function isWorkerFailure(value: unknown): value is WorkerFailure {
  return typeof value === 'object' && value !== null && workerFailure in value;
}

/**
 * What a lane's main side and its worker thread tell each other through shared memory, without a
 * message. A lane holds at most two tasks: the one running and the next, already sent, so the
 * thread starts it the moment the first ends, with no round trip through the main thread.
 *
 * - Int32 0 (started): the ticket of the last task whose stage code started, after its module was
 *   imported, so `stage:start` and timeouts count the stage, not the thread's start-up; the
 *   worker notifies it, for timed stages whose clock starts then;
 * - Float64 at byte 24 and 32: when the lane's two tasks started, one slot each (ms since the
 *   epoch): the main thread learns of an untimed stage's start without being woken for it;
 * - Int32 1 (note): a death note's length. A result that structured clone refuses kills the thread
 *   inside tinypool (after our code returned), and the error that reaches the main thread is an
 *   empty object; the dying worker writes why in the bytes after the cells first (UTF-8);
 * - Int32 2 (claimed): the ticket of the last task the worker took up (its turn came);
 * - Int32 3 (revoked): a ticket the main side took back before the worker claimed it;
 * - Int32 4 (acknowledged): the last failed ticket the main side has handled. After a failure the
 *   worker claims nothing until then, so a run that stops on it can take back the stage next in
 *   line before it starts;
 *
 * Claim and revoke are a Dekker pair on sequentially consistent atomics: each side writes its own
 * cell, then reads the other's, so at least one of them sees the other (revokeTask).
 */
export const laneChannelBytes = 1024;
const started = 0;
const note = 1;
const claimed = 2;
const revoked = 3;
const acknowledged = 4;
const stampOffset = 24;
const noteOffset = 40;

function cells(channel: SharedArrayBuffer): Int32Array {
  return new Int32Array(channel, 0, 6);
}

// Sets a cell and wakes whoever waits on it (reached).
function raise(channel: SharedArrayBuffer, cell: number, ticket: number): void {
  const c = cells(channel);
  Atomics.store(c, cell, ticket);
  Atomics.notify(c, cell);
}

// Resolves once a cell holds `ticket` or a later one, without blocking the thread.
async function reached(channel: SharedArrayBuffer, cell: number, ticket: number): Promise<void> {
  const c = cells(channel);
  for (;;) {
    const seen = Atomics.load(c, cell);
    if (seen >= ticket) return;
    const wait = Atomics.waitAsync(c, cell, seen);
    if (wait.async) await wait.value;
  }
}

/** The main side has handled the failure of `ticket`: the worker may claim the next task. */
export function acknowledgeFailure(channel: SharedArrayBuffer, ticket: number): void {
  raise(channel, acknowledged, ticket);
}

/** Resolves once the main side has handled the failure of `ticket` (worker side). */
export function failureAcknowledged(channel: SharedArrayBuffer, ticket: number): Promise<void> {
  return reached(channel, acknowledged, ticket);
}

export function signalStarted(channel: SharedArrayBuffer, ticket: number, slot: number): void {
  new Float64Array(channel, stampOffset, 2)[slot] = performance.timeOrigin + performance.now();
  raise(channel, started, ticket);
}

/** Resolves once the lane's worker has started the stage of `ticket` (or a later one). */
export function whenStarted(channel: SharedArrayBuffer, ticket: number): Promise<void> {
  return reached(channel, started, ticket);
}

/** Whether the lane's worker has started the stage of `ticket` (or a later one). */
export function hasStarted(channel: SharedArrayBuffer, ticket: number): boolean {
  return Atomics.load(cells(channel), started) >= ticket;
}

/** When the stage stamping `slot` started, once hasStarted says it did. */
export function startStamp(channel: SharedArrayBuffer, slot: number): number {
  return new Float64Array(channel, stampOffset, 2)[slot]!;
}

/** Releases every waiter of whenStarted: for a lane whose thread is gone. */
export function releaseStartWaiters(channel: SharedArrayBuffer): void {
  raise(channel, started, 0x7fffffff);
}

/** The worker takes up task `ticket`; false when the main side took it back first. */
export function claimTask(channel: SharedArrayBuffer, ticket: number): boolean {
  const c = cells(channel);
  Atomics.store(c, claimed, ticket);
  return Atomics.load(c, revoked) !== ticket;
}

/**
 * Whether a ticket the main side took back is still ahead of the lane's worker. The lane has one
 * `revoked` cell: until the worker has passed that ticket, no other may be revoked on the lane.
 */
export function isRevoking(channel: SharedArrayBuffer): boolean {
  const c = cells(channel);
  return Atomics.load(c, revoked) > Atomics.load(c, claimed);
}

/** Whether the lane's worker took up task `ticket`: it runs, or ran. */
export function isClaimed(channel: SharedArrayBuffer, ticket: number): boolean {
  return Atomics.load(cells(channel), claimed) >= ticket;
}

/**
 * Takes task `ticket` back before the worker claims it; false when the worker claimed it first
 * (it runs). When both sides race, the worker sees the revocation and answers `revokedTask`.
 */
export function revokeTask(channel: SharedArrayBuffer, ticket: number): boolean {
  const c = cells(channel);
  Atomics.store(c, revoked, ticket);
  return Atomics.load(c, claimed) < ticket;
}

export function writeDeathNote(channel: SharedArrayBuffer, text: string): void {
  const bytes = new TextEncoder().encode(text).subarray(0, laneChannelBytes - noteOffset);
  new Uint8Array(channel, noteOffset).set(bytes);
  Atomics.store(cells(channel), note, bytes.length);
}

/** Reads and clears the note; undefined when the worker left none. */
export function takeDeathNote(channel: SharedArrayBuffer): string | undefined {
  const length = Atomics.exchange(cells(channel), note, 0);
  if (length === 0) return undefined;
  return new TextDecoder().decode(new Uint8Array(channel, noteOffset, length).slice());
}
