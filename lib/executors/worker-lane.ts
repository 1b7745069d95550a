/**
 * A worker lane: one thread of the worker executor (worker-thread.ts), the tasks placed on it, and
 * how a task on a lane says it started. The executor decides which lane a stage goes to; the lane
 * holds what is in flight there.
 */
import Tinypool from 'tinypool';
import type { ResourceLimits } from '../stage/stage.js';
import type { Attempt } from './executor.js';
import { withoutTsxLoader } from './thread-flags.js';
import {
  acknowledgeFailure,
  hasStarted,
  laneChannelBytes,
  releaseStartWaiters,
  startStamp,
  type WorkerTask,
} from './worker-protocol.js';

// The compiled worker entry. Under jest the library runs from its TypeScript sources, which a
// worker thread cannot load; the tests build first and use the compiled entry in dist/.
const here = import.meta.url;
const workerEntry = here.endsWith('.ts')
  ? new URL('../../dist/executors/worker-entry.js', here).href
  : new URL('./worker-entry.js', here).href;

/** One attempt sent to a lane's thread: running, or next in line behind the one that runs. */
export interface LaneTask {
  readonly attempt: Attempt;
  readonly message: Omit<WorkerTask, 'ticket'>;
  /** A short stage (worker-thread.ts): it may be sent in a batch, and wait behind other short ones. */
  readonly short: boolean;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  readonly onAbort: () => void;
  /** The lane, pool and channel it was last sent to, and its ticket there. */
  lane: Lane;
  pool: Tinypool;
  channel: SharedArrayBuffer;
  ticket: number;
  begun: boolean;
  /** Sent alone from now on: a batch it was in could not be sent (an argument structured clone refuses). */
  alone: boolean;
  done: boolean;
  resent: boolean;
  /** The thread it was sent to: another one in its pool means that one died. */
  thread: number | undefined;
  /** What run() returned for it: the engine reacts to it first. */
  promise: Promise<unknown> | undefined;
}

/**
 * A one-thread tinypool pool: the engine's attempts are placed on lanes by the executor, so each
 * stage knows its thread when it starts. A lane holds the task that runs and those sent ahead of
 * it: the thread starts each the moment the one before ends, without waiting for the main thread.
 * At most two messages are out to the thread; the tasks given to the lane meanwhile wait in its
 * outbox and go together, as the next message.
 */
export class Lane {
  pool!: Tinypool;
  /** Shared with the lane's thread: tickets started, claimed and revoked, and a death note (worker-protocol.ts). */
  channel!: SharedArrayBuffer;
  nextTicket = 1;
  readonly tasks: LaneTask[] = [];
  /** Tasks with a ticket, not sent yet (the executor's #flush). */
  outbox: LaneTask[] = [];
  /** Messages sent to the thread and not answered yet. */
  messages = 0;
  /** When the outbox goes, if it waits to (the executor's #schedule). */
  flush: 'now' | 'soon' | undefined;
  /** The promise of the last stage that ended here, and the ends not yet announced (the executor's #ended). */
  lastEnded: Promise<unknown> | undefined;
  endsWaiting = 0;

  /** `preload`: the module its thread imports as it boots (see newPool). */
  constructor(
    readonly limits: ResourceLimits | undefined,
    readonly preload: string | undefined,
  ) {
    this.renew();
  }

  /** A fresh thread (and pool) for the lane; the old ones are ended. */
  renew(): void {
    const old = this.pool;
    const oldChannel = this.channel;
    this.channel = new SharedArrayBuffer(laneChannelBytes);
    this.pool = newPool(this.channel, this.limits, this.preload);
    this.nextTicket = 1;
    this.outbox = [];
    this.messages = 0;
    this.flush = undefined;
    if (old) void end(old, oldChannel);
  }
}

// A stage's failure, once the engine has reacted to it (a microtask behind the rejection): then
// the lane's thread may take up its next stage, which a run that stopped has taken back.
export function failWith(task: LaneTask, error: unknown): void {
  task.reject(error);
  queueMicrotask(() => acknowledgeFailure(task.channel, task.ticket));
}

// After `task`'s end: the stage next on its lane says it started, if it did. Unless a later end
// on the lane waits to be announced (a batch's answer settles its tasks at once): that end's turn
// comes first, and its own announcement says its stage started (worker-thread.ts #ended).
export function beginNext(task: LaneTask): void {
  const lane = task.lane;
  if (lane.endsWaiting > 0 && lane.lastEnded !== task.promise) return;
  const next = lane.tasks[0];
  // A microtask: after the engine's reaction to the stage that ended, queued when it settled.
  if (next && hasStarted(next.channel, next.ticket)) {
    queueMicrotask(() => {
      if (!next.done) begin(next);
    });
  }
}

export function reportStart(lane: Lane): void {
  const first = lane.tasks[0];
  if (lane.endsWaiting === 0 && first && !first.begun && hasStarted(first.channel, first.ticket))
    begin(first);
}

export function begin(task: LaneTask): void {
  if (task.begun) return;
  task.begun = true;
  // When the thread stamped its start; now, for a stage that failed before it started.
  const at = hasStarted(task.channel, task.ticket) ? startStamp(task.channel, task.ticket) : 0;
  task.attempt.begin(task.pool.threads[0]?.threadId ?? -1, undefined, at > 0 ? at : undefined);
}

// Ends a lane's thread; whoever still waits for a stage to start there is let go.
export async function end(pool: Tinypool, channel: SharedArrayBuffer): Promise<void> {
  try {
    await pool.destroy();
  } finally {
    releaseStartWaiters(channel);
  }
}

// `preload`: a module the thread starts importing as it boots, before its first stage comes.
function newPool(
  channel: SharedArrayBuffer,
  resourceLimits: ResourceLimits | undefined,
  preload: string | undefined,
): Tinypool {
  const pool = new Tinypool({
    filename: workerEntry,
    minThreads: 1,
    maxThreads: 1,
    isolateWorkers: false,
    // The message that runs and the next one, sent ahead: the worker entry runs them in turn.
    concurrentTasksPerWorker: 2,
    // An idle thread waits in its event loop, not blocked in Atomics.wait: so it can import the
    // preload module as it boots (blocked, it did so only when its first stage came, ~100 ms late).
    useAtomics: false,
    workerData: { channel, preload },
    ...(workerExecArgv ? { execArgv: workerExecArgv } : {}),
    ...(resourceLimits ? { resourceLimits } : {}),
  });
  // A thread that dies with no stage in flight (a timer a stage left behind threw, say) must not
  // crash the process; the lane gets a fresh thread. Say so: the stage that left it succeeded.
  pool.on('error', (error: unknown) => {
    const message = (error as { message?: unknown } | null)?.message;
    console.warn(`tsdags: a worker thread died after its stage returned: ${String(message ?? error)}`);
  });
  return pool;
}

const workerExecArgv = withoutTsxLoader(process.execArgv);
