/**
 * A worker lane: one thread of the worker executor (worker-thread.ts), the tasks placed on it, and
 * how a task on a lane is sent and says it started. The executor decides which lane a stage goes
 * to; the lane holds what is in flight there, and sends it: short stages several to a message.
 */
import Tinypool from 'tinypool';
import type { ResourceLimits } from '../stage/stage.js';
import type { Attempt } from './executor.js';
import { withoutTsxLoader } from './thread-flags.js';
import {
  acknowledgeFailure,
  hasStarted,
  laneChannelBytes,
  lastClaimed,
  releaseStartWaiters,
  ring,
  startStamp,
  type WorkerBatch,
  type WorkerTask,
} from './worker-protocol.js';

// The compiled worker entry. Under jest the library runs from its TypeScript sources, which a
// worker thread cannot load; the tests build first and use the compiled entry in dist/.
const here = import.meta.url;
const workerEntry = here.endsWith('.ts')
  ? new URL('../../dist/executors/worker-entry.js', here).href
  : new URL('./worker-entry.js', here).href;

/** Where a lane's answers go: the executor's handling of each task's outcome. */
export interface LaneAnswers {
  answered(lane: Lane, task: LaneTask, pool: Tinypool, result: unknown): void;
  /** A stage sent alone failed: it threw, or its thread died, or it could not be sent. */
  failed(lane: Lane, task: LaneTask, pool: Tinypool, error: unknown): void;
  /** A batch's message failed: its thread died, or it could not be sent. */
  batchFailed(lane: Lane, tasks: LaneTask[], pool: Tinypool, error: unknown): void;
}

/** A task in a lane's outbox, with the ticket it was given there. */
interface Unsent {
  readonly task: LaneTask;
  readonly ticket: number;
}

function isCurrent({ task, ticket }: Unsent): boolean {
  return !task.done && task.ticket === ticket;
}

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
  /** Tasks with a ticket, not sent yet (#flush). */
  outbox: Unsent[] = [];
  /** Messages sent to the thread and not answered yet. */
  messages = 0;
  /** When the outbox goes, if it waits to (#schedule). */
  flush: 'now' | 'soon' | undefined;
  /** The promise of the last stage that ended here, and the ends not yet announced (the executor's #ended). */
  lastEnded: Promise<unknown> | undefined;
  endsWaiting = 0;

  /** `preload`: the module its thread imports as it boots (see newPool). */
  constructor(
    readonly limits: ResourceLimits | undefined,
    readonly preload: string | undefined,
    readonly answers: LaneAnswers,
  ) {
    this.renew();
  }

  /**
   * Whether its tickets come near its ring's size (worker-protocol.ts): a batch's answer may be
   * out for tasks up to laneDepth before the last one claimed, tickets taken back stay live until
   * its thread passes them, and up to laneDepth of its tasks may be sent again after a failure.
   * Such a lane takes no more; an idle one is renewed.
   */
  get crowded(): boolean {
    return this.nextTicket - lastClaimed(this.channel) >= ring - 2 * laneDepth;
  }

  /** An idle lane whose ring is crowded gets a fresh thread (its tickets start again from 1). */
  uncrowd(): void {
    if (this.tasks.length === 0 && this.crowded) this.renew();
  }

  /** A fresh thread (and pool) for the lane; the old ones are ended. Returns the tasks it never sent. */
  renew(): LaneTask[] {
    const old = this.pool;
    const unsent = this.outbox.filter(isCurrent).map(({ task }) => task);
    const oldChannel = this.channel;
    this.channel = new SharedArrayBuffer(laneChannelBytes);
    this.pool = newPool(this.channel, this.limits, this.preload);
    this.nextTicket = 1;
    this.outbox = [];
    this.messages = 0;
    this.flush = undefined;
    if (old) void end(old, oldChannel);
    return unsent;
  }

  /**
   * Sends a task given its ticket here: a stage that goes alone at once if fewer than two messages
   * are out, a short one through the outbox, with others.
   */
  send(task: LaneTask): void {
    if (this.messages < 2 && this.outbox.length === 0 && !batched(task)) {
      this.#post([task]);
      return;
    }
    this.outbox.push({ task, ticket: task.ticket });
    this.#schedule();
  }

  // When the lane's outbox goes. To a thread with nothing to run: once the engine's turn is over,
  // with every stage it handed over in that turn. To a thread busy with a message: once a batch is
  // full, or once the main thread's turn is over (setImmediate): the stages that one answer's ends
  // make ready come from a chain of microtasks, and go together. With two out: at the next answer.
  #schedule(): void {
    if (this.messages >= 2 || this.outbox.length === 0 || this.flush === 'now') return;
    if (this.messages === 0 || this.outbox.length >= batchSize) {
      this.flush = 'now';
      queueMicrotask(() => this.#flush());
    } else if (this.flush === undefined) {
      this.flush = 'soon';
      setImmediate(() => {
        if (this.flush === 'soon') this.#flush();
      });
    }
  }

  // Sends the lane's outbox while fewer than two messages are out: short stages together, up to
  // batchSize a message, any other alone. The rest goes when an answer comes.
  #flush(): void {
    this.flush = undefined;
    while (this.messages < 2 && this.outbox.length > 0) {
      const tasks: LaneTask[] = [];
      while (this.outbox.length > 0) {
        const entry = this.outbox[0]!;
        // Settled (withdrawn, aborted) since, or moved to another lane (and maybe back, with
        // another ticket and another entry).
        if (!isCurrent(entry) || entry.task.lane !== this || entry.task.channel !== this.channel) {
          this.outbox.shift();
          continue;
        }
        const together = batched(entry.task);
        if (tasks.length > 0 && (!together || tasks.length === batchSize)) break;
        tasks.push(this.outbox.shift()!.task);
        if (!together) break;
      }
      if (tasks.length > 0) this.#post(tasks);
    }
  }

  #post(tasks: LaneTask[]): void {
    const { pool } = this;
    const thread = pool.threads[0]?.threadId;
    for (const task of tasks) task.thread = thread;
    const [only] = tasks;
    const message: WorkerTask | WorkerBatch =
      tasks.length === 1
        ? { ...only!.message, ticket: only!.ticket }
        : { batch: tasks.map((task) => ({ ...task.message, ticket: task.ticket })) };
    this.messages++;
    let pending: Promise<unknown>;
    try {
      pending = pool.run(message);
    } catch (error) {
      pending = Promise.reject(error);
    }
    // The next message is scheduled before this one's answers are handled.
    const answered = () => {
      if (this.pool !== pool) return;
      this.messages--;
      this.#schedule();
    };
    // An answer is a task's only while it holds the ticket it went with: one taken back and sent
    // again (here, after a move away and back) has another, and its own answer to come.
    const tickets = tasks.map((task) => task.ticket);
    const current = (task: LaneTask, k: number) => task.ticket === tickets[k];
    pending.then(
      (answer) => {
        answered();
        const outcomes = tasks.length === 1 ? [answer] : (answer as unknown[]);
        tasks.forEach((task, k) => {
          if (current(task, k)) this.answers.answered(this, task, pool, outcomes[k]);
        });
      },
      (error: unknown) => {
        answered();
        if (tasks.length === 1) {
          if (current(only!, 0)) this.answers.failed(this, only!, pool, error);
          return;
        }
        this.answers.batchFailed(this, tasks.filter(current), pool, error);
      },
    );
  }
}

// Whether a task goes with others in a batch: a short stage, unless a batch it was in could not be sent.
function batched(task: LaneTask): boolean {
  return task.short && !task.alone;
}

// Whether a busy lane takes one more stage: a second one, or a short stage behind short ones
// while the lane holds fewer than its `depth` (0 for a stage that is not short).
export function hasRoom(lane: Lane, depth: number): boolean {
  const n = lane.tasks.length;
  if (n === 0 || lane.crowded) return false;
  return n === 1 || (n < depth && lane.tasks.every((task) => task.short));
}

// A stage's failure, once the engine has reacted to it (a microtask behind the rejection): then
// the lane's thread may take up its next stage, which a run that stopped has taken back. Only a
// failure the thread reported is acknowledged: it waits for none other, and acknowledging a later
// ticket would let it go on from an earlier failure of its own too soon.
export function failWith(task: LaneTask, error: unknown, reported = true): void {
  task.reject(error);
  if (reported) queueMicrotask(() => acknowledgeFailure(task.channel, task.ticket));
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
/** Short stages per message, and per lane (two messages' worth). */
const batchSize = 16;
export const laneDepth = 2 * batchSize;
