import Tinypool from 'tinypool';
import { InternalError, StageNotFoundError, UncloneableValueError } from '../errors.js';
import type { ResourceLimits, Stage } from '../stage/stage.js';
import type { Attempt, Executor } from './executor.js';
import {
  hasStarted,
  isClaimed,
  isWorkerFailure,
  laneChannelBytes,
  releaseStartWaiters,
  revokedTask,
  revokeTask,
  startStamp,
  takeDeathNote,
  whenStarted,
  type WorkerTask,
} from './worker-protocol.js';

// The compiled worker entry. Under jest the library runs from its TypeScript sources, which a
// worker thread cannot load; the tests build first and use the compiled entry in dist/.
const here = import.meta.url;
const workerEntry = here.endsWith('.ts')
  ? new URL('../../dist/executors/worker-entry.js', here).href
  : new URL('./worker-entry.js', here).href;

/** One attempt sent to a lane's thread: running, or next in line behind the one that runs. */
interface LaneTask {
  readonly attempt: Attempt;
  readonly message: Omit<WorkerTask, 'ticket'>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  readonly onAbort: () => void;
  /** The lane, pool and channel it was last sent to, and its ticket there. */
  lane: Lane;
  pool: Tinypool;
  channel: SharedArrayBuffer;
  ticket: number;
  begun: boolean;
  done: boolean;
  resent: boolean;
}

/**
 * A one-thread tinypool pool: the engine's attempts are placed on lanes by this executor, so each
 * stage knows its thread when it starts. A lane holds the task that runs and at most one more,
 * sent ahead: the thread starts it the moment the first ends, without waiting for the main thread.
 */
class Lane {
  pool!: Tinypool;
  /** Shared with the lane's thread: tickets started, claimed and revoked, and a death note (worker-protocol.ts). */
  channel!: SharedArrayBuffer;
  nextTicket = 1;
  readonly tasks: LaneTask[] = [];

  constructor(readonly limits: ResourceLimits | undefined) {
    this.renew();
  }

  /** A fresh thread (and pool) for the lane; the old ones are ended. */
  renew(): void {
    const old = this.pool;
    const oldChannel = this.channel;
    this.channel = new SharedArrayBuffer(laneChannelBytes);
    this.pool = newPool(this.channel, this.limits);
    this.nextTicket = 1;
    if (old) void end(old, oldChannel);
  }
}

/**
 * Runs function stages in tinypool worker threads, one lane (a one-thread pool) per core. A
 * worker that dies (an uncaught error, out of memory) fails its stage; tinypool replaces it. The
 * engine may hand this executor one attempt per lane beyond `cores` (canQueue): it is sent ahead
 * to a busy lane and starts there as soon as that lane's stage ends, so at most `cores` run.
 */
export class WorkerThreadExecutor implements Executor {
  readonly #lanes: Lane[] = [];
  // Lanes of stages with resourceLimits: a thread of their own, ended after the stage.
  readonly #own = new Set<Lane>();
  readonly #cores: number;
  readonly #warm: number;
  #startsTimer: ReturnType<typeof setTimeout> | undefined;

  /**
   * `cores` caps the lanes; the first stage starts `warm` of them at once (default 1), so the
   * threads boot while it runs instead of when the next stages are ready.
   */
  constructor(cores: number, warm = 1) {
    this.#cores = cores;
    this.#warm = Math.min(cores, warm);
    this.queueAhead = cores;
  }

  /** One attempt per lane, sent ahead of its turn. */
  readonly queueAhead: number;

  canQueue(stage: Stage): boolean {
    if (stage.options.resourceLimits) return false;
    if (this.#running() < this.#cores) return false;
    for (const lane of this.#lanes) if (lane.tasks.length === 1) return true;
    return false;
  }

  run(attempt: Attempt): Promise<unknown> {
    const { definition } = attempt.stage;
    if (definition.kind !== 'function' || definition.module === 'unknown') {
      throw new StageNotFoundError(
        attempt.name,
        definition.module,
        definition.kind === 'function'
          ? 'the module that defines it is unknown'
          : 'class stages run on the main thread',
      );
    }
    const { signal } = attempt;
    if (signal.aborted) throw signal.reason;
    const limits = attempt.stage.options.resourceLimits;
    // A stage with memory limits gets a thread of its own, made with them and ended after it.
    const lane = limits ? this.#ownLane(limits) : this.#laneFor();
    return new Promise<unknown>((resolve, reject) => {
      const task: LaneTask = {
        attempt,
        message: {
          module: definition.module,
          name: definition.name,
          stage: attempt.name,
          args: attempt.args,
        },
        // Once the engine has seen this stage end, the stage behind it on its lane may say it started.
        resolve: (value) => {
          resolve(value);
          beginNext(task.lane);
        },
        reject: (error) => {
          reject(error);
          beginNext(task.lane);
        },
        onAbort: () => this.#aborted(task.lane, task),
        lane,
        pool: lane.pool,
        channel: lane.channel,
        ticket: 0,
        begun: false,
        done: false,
        resent: false,
      };
      lane.tasks.push(task);
      signal.addEventListener('abort', task.onAbort, { once: true });
      this.#send(lane, task);
    });
  }

  async cancel(): Promise<void> {
    await this.close();
  }

  async close(): Promise<void> {
    clearTimeout(this.#startsTimer);
    this.#startsTimer = undefined;
    const lanes = [...this.#lanes.splice(0), ...this.#own];
    this.#own.clear();
    await Promise.all(lanes.map((lane) => end(lane.pool, lane.channel)));
  }

  // Stages running or about to: one per lane that holds a task.
  #running(): number {
    let running = this.#own.size;
    for (const lane of this.#lanes) if (lane.tasks.length > 0) running++;
    return running;
  }

  // An idle lane while fewer than `cores` stages run; else a busy lane with room for one more.
  #laneFor(): Lane {
    if (this.#running() < this.#cores) {
      for (const lane of this.#lanes) if (lane.tasks.length === 0) return lane;
      if (this.#lanes.length < this.#cores) {
        const lane = new Lane(undefined);
        this.#lanes.push(lane);
        // With the first stage, boot the other lanes too: their threads start while it runs.
        if (this.#lanes.length === 1)
          while (this.#lanes.length < this.#warm) this.#lanes.push(new Lane(undefined));
        return lane;
      }
    }
    for (const lane of this.#lanes) if (lane.tasks.length === 1) return lane;
    throw new InternalError('more worker stages in flight than the worker lanes hold');
  }

  // Every startsPollMs while untimed stages are in flight: those that started since say so, so a
  // long stage shows as running soon after it starts, not only when it ends.
  #watchStarts(): void {
    if (this.#startsTimer !== undefined) return;
    this.#startsTimer = setTimeout(() => {
      this.#startsTimer = undefined;
      let unseen = false;
      for (const lane of [...this.#lanes, ...this.#own]) {
        const first = lane.tasks[0];
        if (first && !first.begun && hasStarted(first.channel, first.ticket)) begin(first);
        unseen ||= lane.tasks.some((task) => !task.begun);
      }
      if (unseen) this.#watchStarts();
    }, startsPollMs).unref();
  }

  #ownLane(limits: ResourceLimits): Lane {
    const lane = new Lane(limits);
    this.#own.add(lane);
    return lane;
  }

  #send(lane: Lane, task: LaneTask): void {
    const { pool, channel } = lane;
    const ticket = lane.nextTicket++;
    task.lane = lane;
    task.pool = pool;
    task.channel = channel;
    task.ticket = ticket;
    // The stage starts when the thread calls its function (its module imported), not when it is
    // sent. A timed stage says so at once (its clock starts then); the others are not woken for:
    // their start is read from the lane with their end, or by #watchStarts. Behind another stage,
    // it says so after that one's end (beginNext): events never show more than cores running.
    if (task.attempt.timed) {
      void whenStarted(channel, ticket).then(() => {
        if (task.pool === pool && lane.tasks[0] === task) begin(task);
      });
    } else {
      this.#watchStarts();
    }
    let pending: Promise<unknown>;
    try {
      pending = pool.run({ ...task.message, ticket });
    } catch (error) {
      this.#failed(lane, task, pool, error);
      return;
    }
    pending.then(
      (result) => this.#answered(lane, task, pool, result),
      (error: unknown) => this.#failed(lane, task, pool, error),
    );
  }

  #answered(lane: Lane, task: LaneTask, pool: Tinypool, result: unknown): void {
    // A task sent again to a fresh thread, or settled by its abort, ignores the old answer.
    if (task.pool !== pool || task.done) return;
    if (result === revokedTask) {
      this.#settled(lane, task);
      task.reject(new InternalError(`stage "${task.attempt.name}" was taken back from its worker thread`));
      return;
    }
    begin(task); // stage:start comes before the stage's end, even if its notification is still on its way
    this.#settled(lane, task);
    if (isWorkerFailure(result)) {
      const { definition } = task.attempt.stage;
      task.reject(
        result.code === 'STAGE_NOT_FOUND'
          ? new StageNotFoundError(task.attempt.name, definition.module, result.detail)
          : new UncloneableValueError(task.attempt.name, 'result', result.detail),
      );
    } else {
      task.resolve(result);
    }
  }

  #failed(lane: Lane, task: LaneTask, pool: Tinypool, error: unknown): void {
    if (task.pool !== pool || task.done) return;
    const { attempt } = task;
    // tinypool fails every task a dead thread held. This one was next in line and never started:
    // it goes to the thread tinypool started in its place (once: a thread that dies at start-up
    // fails it).
    if (!task.resent && !isClaimed(task.channel, task.ticket) && !isCloneError(error)) {
      task.resent = true;
      this.#send(lane, task);
      return;
    }
    begin(task);
    this.#settled(lane, task);
    if (attempt.signal.aborted) {
      task.reject(attempt.signal.reason);
      return;
    }
    if ((error as { code?: unknown })?.code === 'ERR_WORKER_OUT_OF_MEMORY') {
      task.reject(
        new Error(
          `The stage ran out of memory in its worker thread (resourceLimits ${JSON.stringify(lane.limits ?? {})}); ` +
            'the thread was ended. Raise its resourceLimits or make it use less memory.',
          { cause: error },
        ),
      );
      return;
    }
    const note = takeDeathNote(task.channel);
    task.reject(
      note !== undefined
        ? new UncloneableValueError(attempt.name, 'result', note)
        : translate(error, attempt.name, 'argument'),
    );
  }

  // The attempt's signal aborted (a timeout, a cancelled run). A task not yet taken up by its
  // thread is taken back; one that runs is stopped by ending its thread: the lane gets a fresh
  // one, and the task that was next in line goes there.
  #aborted(lane: Lane, task: LaneTask): void {
    if (task.done) return;
    const reason = task.attempt.signal.reason;
    if (!isClaimed(task.channel, task.ticket) && revokeTask(task.channel, task.ticket)) {
      this.#settled(lane, task);
      task.reject(reason);
      return;
    }
    this.#settled(lane, task);
    task.reject(reason);
    if (this.#own.has(lane)) return; // #settled ended its thread
    lane.renew();
    for (const next of lane.tasks) if (!isClaimed(next.channel, next.ticket)) this.#send(lane, next);
  }

  // The task is over for this executor: off its lane, its abort listener removed. A lane left
  // idle takes over a task waiting behind another lane's stage, if its thread has not taken it up.
  #settled(lane: Lane, task: LaneTask): void {
    task.done = true;
    task.attempt.signal.removeEventListener('abort', task.onAbort);
    const k = lane.tasks.indexOf(task);
    if (k >= 0) lane.tasks.splice(k, 1);
    if (this.#own.delete(lane)) void end(lane.pool, lane.channel);
    else if (lane.tasks.length === 0) this.#steal(lane);
  }

  // The stage sent ahead to a busy lane waits there until that lane's stage ends, which may be
  // long after this lane went idle: it moves here instead.
  #steal(idle: Lane): void {
    for (const lane of this.#lanes) {
      const waiting = lane.tasks[1];
      if (waiting === undefined || !revokeTask(waiting.channel, waiting.ticket)) continue;
      lane.tasks.pop();
      idle.tasks.push(waiting);
      this.#send(idle, waiting);
      return;
    }
  }
}

function beginNext(lane: Lane): void {
  const next = lane.tasks[0];
  // A microtask: after the engine's reaction to the stage that ended, queued when it settled.
  if (next && hasStarted(next.channel, next.ticket)) queueMicrotask(() => begin(next));
}

function begin(task: LaneTask): void {
  if (task.begun || task.done) return;
  task.begun = true;
  // When the thread stamped its start; now, for a stage that failed before it started.
  const at = hasStarted(task.channel, task.ticket) ? startStamp(task.channel, task.ticket) : 0;
  task.attempt.begin(task.pool.threads[0]?.threadId ?? -1, undefined, at > 0 ? at : undefined);
}

const startsPollMs = 50;

// Ends a lane's thread; whoever still waits for a stage to start there is let go.
async function end(pool: Tinypool, channel: SharedArrayBuffer): Promise<void> {
  try {
    await pool.destroy();
  } finally {
    releaseStartWaiters(channel);
  }
}

function isCloneError(error: unknown): boolean {
  return (error as { name?: unknown } | null)?.name === 'DataCloneError';
}

function newPool(channel: SharedArrayBuffer, resourceLimits: ResourceLimits | undefined): Tinypool {
  const pool = new Tinypool({
    filename: workerEntry,
    minThreads: 1,
    maxThreads: 1,
    isolateWorkers: false,
    // The stage that runs and the next one, sent ahead: the worker entry runs them in turn.
    concurrentTasksPerWorker: 2,
    workerData: { channel },
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

// Worker threads inherit the process's flags, `--import tsx` included, which makes each thread
// load tsx before its first stage (about 0.6 s here). The worker entry registers tsx itself, only
// for TypeScript stage modules, so that flag is dropped. A worker refuses process-wide flags
// (V8 options such as --expose-gc) when given explicitly, though it ignores them when inherited:
// so the flags are passed only when tsx was found, and then only those a thread accepts.
const threadFlag =
  /^(--import|--require|-r|--loader|--experimental-loader|--conditions|-C|--input-type|--no-warnings|--no-deprecation|--disable-warning|--enable-source-maps|--trace-warnings|--trace-deprecation|--experimental-[a-z-]+|--no-experimental-[a-z-]+)$/;
const takesValue =
  /^(--import|--require|-r|--loader|--experimental-loader|--conditions|-C|--input-type|--disable-warning)$/;

/** @internal The flags for worker threads: undefined to inherit them, or the thread-safe ones without tsx. */
export function withoutTsxLoader(flags: readonly string[]): string[] | undefined {
  // `tsx`, `tsx/esm`, or the paths the tsx command passes (…/node_modules/tsx/dist/loader.mjs).
  const isTsx = (value: string | undefined) =>
    value !== undefined && (/^tsx(\/|$)/.test(value) || /[\\/]node_modules[\\/]tsx[\\/]/.test(value));
  const out: string[] = [];
  let dropped = false;
  for (let k = 0; k < flags.length; k++) {
    const flag = flags[k]!;
    const [name, inline] = flag.split('=', 2) as [string, string | undefined];
    const value = inline ?? (takesValue.test(name) ? flags[k + 1] : undefined);
    if (inline === undefined && value !== undefined) k++;
    if (!threadFlag.test(name)) continue;
    if (/^(--import|--require|-r|--loader|--experimental-loader)$/.test(name) && isTsx(value)) {
      dropped = true;
      continue;
    }
    out.push(inline !== undefined || value === undefined ? flag : `${name}=${value}`);
  }
  return dropped ? out : undefined;
}

const workerExecArgv = withoutTsxLoader(process.execArgv);

// Structured clone refused the stage's arguments on their way to the worker; say so, by name.
function translate(error: unknown, stage: string, what: 'argument'): unknown {
  // Duck-typed: the error may be a DOMException of another realm, or a plain object once it has
  // crossed from a dying worker.
  const { name, message } = (error ?? {}) as { name?: unknown; message?: unknown };
  if (name === 'DataCloneError') return new UncloneableValueError(stage, what, String(message));
  return error;
}
