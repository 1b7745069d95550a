/** What the engine sends a worker thread: which stage to run, found by module and name, and its arguments. */
export interface WorkerTask {
  readonly module: string;
  readonly name: string;
  readonly stage: string;
  readonly args: unknown[];
  /** Its number on the lane, counting from 1: tasks are claimed and started in this order. */
  readonly ticket: number;
}

/**
 * Several short stages sent to a lane in one message: the thread runs them in turn and answers
 * with one outcome per task, in order. A batch stops at its first failure, or after a stage that
 * was not short; the tasks after it answer `revokedTask` unclaimed, for the main side to send again.
 */
export interface WorkerBatch {
  readonly batch: WorkerTask[];
}

/**
 * A stage that ran this long (ms) or longer is not short: the executor stops sending its
 * definition's stages in batches, and a batch stops after it (its answer waited long enough).
 */
export const shortMs = 1;

/** A stage's error in a batch's answer (alone, a stage's error rejects its task). */
export interface BatchError {
  readonly [batchError]: unknown;
}

export const batchError = '__tsdagsBatchError';

export function isBatchError(value: unknown): value is BatchError {
  return typeof value === 'object' && value !== null && batchError in value;
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
 * message. A lane holds the task that runs and those sent ahead of it, so its thread starts each
 * the moment the one before ends, with no round trip through the main thread.
 *
 * - Int32 0 (started): the ticket of the last task whose stage code started, after its module was
 *   imported, so `stage:start` and timeouts count the stage, not the thread's start-up; the
 *   worker notifies it, for timed stages whose clock starts then;
 * - Int32 1 (note): a death note's length. A result that structured clone refuses kills the thread
 *   inside tinypool (after our code returned), and the error that reaches the main thread is an
 *   empty object; the dying worker writes why in the note bytes first (UTF-8);
 * - Int32 2 (claimed): the highest ticket the worker took up (its turn came);
 * - Int32 3 (acknowledged): the last failed ticket the main side has handled. After a failure the
 *   worker claims nothing until then, so a run that stops on it can take back the stages next in
 *   line before they start;
 * - Int32 4 (taken): the last ticket the worker took up and kept (it saw no take-back), notified,
 *   for the main side to wait on (a timed stage's module load is timed from then); raised past
 *   every ticket when the thread is gone, to let waiters go;
 * - Int32 5 (booted): 1 once the worker's entry ran, as it starts importing the lanes' preload
 *   module: a thread that blocks in that import never takes a task up, so a timed stage first on
 *   its lane is timed from then;
 * - a ring of `ring` places, one per ticket modulo `ring`: an Int32 claimed cell (the ticket the
 *   worker took up there: cell 2 alone says only how far it got, and a batch that stopped early
 *   skips the tickets after its end unclaimed), an Int32 revoked cell (the ticket the main side
 *   took back before the worker claimed it) and two Float64 stamps (when the stage started and
 *   ended, ms since the epoch): the main side learns of an untimed stage's start and length without
 *   being woken for them. Two tickets of a lane share a place only if they are `ring` apart; the
 *   executor keeps the tickets a lane has live closer than that (Lane.crowded).
 *
 * Claim and revoke are a Dekker pair on sequentially consistent atomics: each side writes its own
 * cell, then reads the other's, so at least one of them sees the other (revokeTask).
 */
export const ring = 256;
const started = 0;
const note = 1;
const claimed = 2;
const acknowledged = 3;
const taken = 4;
const booted = 5;
const claimedOffset = 32;
const revokedOffset = claimedOffset + 4 * ring;
const stampOffset = revokedOffset + 4 * ring;
const noteOffset = stampOffset + 16 * ring;
export const laneChannelBytes = noteOffset + 1024;

function cells(channel: SharedArrayBuffer): Int32Array {
  return new Int32Array(channel, 0, 6);
}

function claimedCells(channel: SharedArrayBuffer): Int32Array {
  return new Int32Array(channel, claimedOffset, ring);
}

function revokedCells(channel: SharedArrayBuffer): Int32Array {
  return new Int32Array(channel, revokedOffset, ring);
}

function stamps(channel: SharedArrayBuffer): Float64Array {
  return new Float64Array(channel, stampOffset, 2 * ring);
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

export function signalStarted(channel: SharedArrayBuffer, ticket: number): void {
  stamps(channel)[2 * (ticket % ring)] = performance.timeOrigin + performance.now();
  raise(channel, started, ticket);
}

/** The stage of `ticket` returned or threw (worker side): its end stamp. */
export function stampEnd(channel: SharedArrayBuffer, ticket: number): void {
  stamps(channel)[2 * (ticket % ring) + 1] = performance.timeOrigin + performance.now();
}

/** Resolves once the lane's worker has started the stage of `ticket` (or a later one). */
export function whenStarted(channel: SharedArrayBuffer, ticket: number): Promise<void> {
  return reached(channel, started, ticket);
}

/**
 * Whether the lane's worker has started the stage of `ticket`. Past the started cell, only if
 * the worker claimed it and stamped its start: a batch hands tickets back unclaimed, and a stage
 * that failed before its code ran (its module would not load) leaves its stamp zero. The stamp was
 * written before the started cell rose past it, so reading that cell first makes it visible.
 */
export function hasStarted(channel: SharedArrayBuffer, ticket: number): boolean {
  if (Atomics.load(cells(channel), started) < ticket) return false;
  const place = ticket % ring;
  return Atomics.load(claimedCells(channel), place) === ticket && stamps(channel)[2 * place] !== 0;
}

/** When the stage of `ticket` started, once hasStarted says it did. */
export function startStamp(channel: SharedArrayBuffer, ticket: number): number {
  return stamps(channel)[2 * (ticket % ring)]!;
}

/** How long the stage of `ticket` ran (ms), once its answer came. */
export function runTime(channel: SharedArrayBuffer, ticket: number): number {
  const s = stamps(channel);
  const place = 2 * (ticket % ring);
  return s[place + 1]! - s[place]!;
}

/** Resolves once the lane's worker has taken up task `ticket` (or a later one): see isClaimed. */
export function whenClaimed(channel: SharedArrayBuffer, ticket: number): Promise<void> {
  return reached(channel, taken, ticket);
}

/** The worker's entry ran (worker side): next, it imports the lanes' preload module. */
export function signalBooted(channel: SharedArrayBuffer): void {
  raise(channel, booted, 1);
}

/** Resolves once the lane's worker booted (or its thread is gone). */
export function whenBooted(channel: SharedArrayBuffer): Promise<void> {
  return reached(channel, booted, 1);
}

/** Releases every waiter of whenStarted, whenClaimed and whenBooted: for a lane whose thread is gone. */
export function releaseStartWaiters(channel: SharedArrayBuffer): void {
  raise(channel, started, 0x7fffffff);
  raise(channel, taken, 0x7fffffff);
  raise(channel, booted, 0x7fffffff);
}

/** The worker takes up task `ticket`; false when the main side took it back first. */
export function claimTask(channel: SharedArrayBuffer, ticket: number): boolean {
  Atomics.store(claimedCells(channel), ticket % ring, ticket);
  Atomics.store(cells(channel), claimed, ticket);
  if (Atomics.load(revokedCells(channel), ticket % ring) === ticket) return false;
  raise(channel, taken, ticket);
  // Its place's stamps are those of the ticket `ring` before it until its own are written.
  stamps(channel).fill(0, 2 * (ticket % ring), 2 * (ticket % ring) + 2);
  return true;
}

/** Whether the lane's worker took up task `ticket`: it runs, or ran (or passed it, taken back). */
export function isClaimed(channel: SharedArrayBuffer, ticket: number): boolean {
  return Atomics.load(claimedCells(channel), ticket % ring) === ticket;
}

/** The ticket the lane's worker took up last (0 before its first). */
export function lastClaimed(channel: SharedArrayBuffer): number {
  return Atomics.load(cells(channel), claimed);
}

/**
 * Takes task `ticket` back before the worker claims it; false when the worker claimed it first
 * (it runs). When both sides race, the worker sees the revocation and answers `revokedTask`.
 */
export function revokeTask(channel: SharedArrayBuffer, ticket: number): boolean {
  Atomics.store(revokedCells(channel), ticket % ring, ticket);
  return Atomics.load(claimedCells(channel), ticket % ring) !== ticket;
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
