import type Tinypool from 'tinypool';
import { StageNotFoundError, UncloneableValueError } from '../errors.js';
import type { Stage } from '../stage/stage.js';
import { LaneSet } from './lane-set.js';
import { RunTimes } from './run-times.js';
import { StartReports } from './start-reports.js';
import { AttemptWithdrawn, type Attempt, type Executor } from './executor.js';
import {
  begin,
  beginNext,
  end,
  failWith,
  Lane,
  laneDepth,
  type LaneAnswers,
  type LaneTask,
} from './worker-lane.js';
import {
  batchError,
  isBatchError,
  isClaimed,
  isWorkerFailure,
  lastClaimed,
  revokedTask,
  revokeTask,
  runTime,
  takeDeathNote,
  whenBooted,
  whenClaimed,
  whenStarted,
} from './worker-protocol.js';

/**
 * Runs function stages in tinypool worker threads, one lane (a one-thread pool) per core. A
 * worker that dies (an uncaught error, out of memory) fails its stage; tinypool replaces it. The
 * engine may hand this executor attempts beyond `cores` (canQueue): they are sent ahead to a busy
 * lane and start there as soon as that lane's stage ends, so at most `cores` run. A lane takes one
 * such attempt, or more of short stages (those whose definition's recent runs here all took under
 * `shortMs`), about `queuedMs` of their work and at most laneDepth, which go to the thread several
 * to a message: a message to a thread that sleeps costs far more than a no-op stage.
 */
export class WorkerThreadExecutor implements Executor {
  readonly #lanes: LaneSet;
  readonly #cores: number;
  readonly #starts: StartReports;
  // Once closed (the run over, or cancelled), no task is sent again to a fresh thread.
  #closed = false;
  #withdrawing = false;
  // Where a lane's answers go.
  readonly #answers: LaneAnswers = {
    answered: (lane, task, pool, result) => this.#answered(lane, task, pool, result),
    failed: (lane, task, pool, error) => this.#failed(lane, task, pool, error),
    batchFailed: (lane, tasks, pool, error) => this.#batchFailed(lane, tasks, pool, error),
  };
  readonly #runTimes: RunTimes;

  /**
   * `cores` caps the lanes; the first stage starts `warm` of them at once (default 1), so the
   * threads boot while it runs instead of when the next stages are ready. `runTimes`: where the
   * stages' run times are kept (shared by executors that run the same stages), and how much work
   * of short stages a lane holds.
   */
  constructor(cores: number, warm = 1, runTimes = new RunTimes(2)) {
    this.#cores = cores;
    this.#lanes = new LaneSet(cores, warm, this.#answers, (lane, task) => this.#send(lane, task));
    this.#starts = new StartReports(this.#lanes);
    this.#runTimes = runTimes;
    this.queueAhead = cores * (laneDepth - 1);
  }

  /** Per lane, up to laneDepth - 1 attempts sent ahead of their turn. */
  readonly queueAhead: number;

  canQueue(stage: Stage): boolean {
    if (stage.options.resourceLimits) return false;
    if (this.#lanes.running() < this.#cores) return false;
    return this.#lanes.hasRoom(this.#runTimes.depthOf(stage));
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
    this.#lanes.preload ??= definition.module;
    const limits = attempt.stage.options.resourceLimits;
    // A stage with memory limits gets a thread of its own, made with them and ended after it.
    const depth = this.#runTimes.depthOf(attempt.stage);
    const lane = limits ? this.#lanes.ownLane(limits) : this.#lanes.laneFor(depth);
    let task!: LaneTask;
    const promise = new Promise<unknown>((resolve, reject) => {
      task = {
        attempt,
        message: {
          module: definition.module,
          name: definition.name,
          stage: attempt.name,
          args: attempt.args,
        },
        // Timed stages go alone: their clock starts as they do, and a timeout ends their thread.
        short: depth > 0 && !attempt.timed,
        // Once the engine has seen this stage end, the stage behind it on its lane may say it started.
        resolve: (value) => {
          resolve(value);
          beginNext(task);
        },
        reject: (error) => {
          reject(error);
          beginNext(task);
        },
        onAbort: () => this.#aborted(task.lane, task),
        lane,
        pool: lane.pool,
        channel: lane.channel,
        ticket: 0,
        begun: false,
        alone: false,
        done: false,
        resent: false,
        promise: undefined,
        thread: undefined,
      };
    });
    task.promise = promise;
    lane.tasks.push(task);
    signal.addEventListener('abort', task.onAbort, { once: true });
    this.#send(lane, task);
    return promise;
  }

  withdraw(): void {
    // No lane it empties takes over stages from one it has not reached yet (#settled).
    this.#withdrawing = true;
    try {
      this.#withdrawAll();
    } finally {
      this.#withdrawing = false;
    }
  }

  #withdrawAll(): void {
    for (const lane of this.#lanes.shared) {
      // From the last: a lane left empty takes over others' waiting tasks (#settled), none of these.
      for (let k = lane.tasks.length - 1; k >= 0; k--) {
        const task = lane.tasks[k]!;
        if (isClaimed(task.channel, task.ticket) || !revokeTask(task.channel, task.ticket)) continue;
        this.#settled(lane, task);
        task.reject(new AttemptWithdrawn());
      }
    }
  }

  async cancel(): Promise<void> {
    await this.close();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#starts.stop();
    const lanes = this.#lanes.takeAll();
    // What was never sent did not start: taken back.
    for (const lane of lanes) {
      for (const { task } of lane.outbox.splice(0)) {
        if (task.done || task.lane !== lane) continue;
        task.done = true;
        task.attempt.signal.removeEventListener('abort', task.onAbort);
        task.reject(new AttemptWithdrawn());
      }
    }
    await Promise.all(lanes.map((lane) => end(lane.pool, lane.channel)));
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
    // their start is read from the lane with their end, or by StartReports.watch. Behind another stage,
    // it says so after that one's end (beginNext): events never show more than cores running.
    if (task.attempt.timed) {
      // Its module's load is timed from when its thread takes it up: one that never ends fails it.
      // First on its lane, from when the thread booted: a thread stuck importing the preload
      // module there never takes it up.
      const current = () => task.ticket === ticket && task.pool === pool && !task.done;
      void whenClaimed(channel, ticket).then(() => {
        if (current() && isClaimed(channel, ticket)) task.attempt.loading?.();
      });
      void whenBooted(channel).then(() => {
        if (current() && lane.tasks[0] === task) task.attempt.loading?.();
      });
      void whenStarted(channel, ticket).then(() => {
        if (task.pool === pool && lane.tasks[0] === task && lane.endsWaiting === 0) begin(task);
      });
    } else {
      this.#starts.watch();
    }
    lane.send(task);
  }

  // A task of the lane sent again, with a new ticket: last on the lane, as its ticket is, so the
  // lane's first task is the one its thread takes up first.
  #resend(lane: Lane, task: LaneTask): void {
    const k = lane.tasks.indexOf(task);
    if (k >= 0) lane.tasks.splice(k, 1);
    lane.tasks.push(task);
    this.#send(lane, task);
  }

  // A batch's message failed. Its arguments could not be sent: each goes again alone, so only the
  // stage whose argument structured clone refuses fails. Its thread died: a task it had finished
  // lost its answer with the thread, and runs again, as one it had not started does.
  #batchFailed(lane: Lane, tasks: LaneTask[], pool: Tinypool, error: unknown): void {
    if (isCloneError(error)) {
      for (const task of tasks) {
        if (task.pool !== pool || task.done) continue;
        task.alone = true;
        this.#resend(lane, task);
      }
      return;
    }
    for (const task of tasks) this.#failed(lane, task, pool, error, task.ticket < lastClaimed(task.channel));
  }

  #answered(lane: Lane, task: LaneTask, pool: Tinypool, result: unknown): void {
    // A task sent again to a fresh thread, or settled by its abort, ignores the old answer.
    if (task.pool !== pool || task.done) return;
    if (result === revokedTask) {
      // Never claimed: a failure before it ended its batch, or the thread and a move (LaneSet.steal)
      // raced for it and both gave way. Again.
      this.#resend(lane, task);
      return;
    }
    this.#settled(lane, task);
    if (isBatchError(result)) {
      this.#starts.ended(task, () => failWith(task, result[batchError]));
      return;
    }
    if (!isWorkerFailure(result)) {
      // Its stamps are its own: the thread wrote its end before the answer.
      this.#runTimes.ran(task.attempt.stage.definition, runTime(task.channel, task.ticket));
      this.#starts.ended(task, () => task.resolve(result));
      return;
    }
    const { definition } = task.attempt.stage;
    const error =
      result.code === 'STAGE_NOT_FOUND'
        ? new StageNotFoundError(task.attempt.name, definition.module, result.detail)
        : new UncloneableValueError(task.attempt.name, 'result', result.detail);
    this.#starts.ended(task, () => failWith(task, error));
  }

  // `lost`: the task ran to its end in a batch, and its answer went down with the thread.
  #failed(lane: Lane, task: LaneTask, pool: Tinypool, error: unknown, lost = false): void {
    if (task.pool !== pool || task.done) return;
    // A thread that died gets a fresh pool: tinypool's replacement thread in the old one would take
    // one task at a time until its queue empties, a round trip through the main thread between
    // them. tinypool fails every task a dead thread held; one that was next in line and never
    // started goes to the fresh thread (once: a thread that dies at start-up fails it).
    if (!this.#closed && lane.pool === pool && pool.threads[0]?.threadId !== task.thread) {
      // What it held in its outbox goes to the fresh thread too.
      for (const unsent of lane.renew()) if (!unsent.done && unsent.lane === lane) this.#resend(lane, unsent);
    }
    const started = isClaimed(task.channel, task.ticket) && !lost;
    if (!this.#closed && !task.resent && !started && !isCloneError(error)) {
      task.resent = true;
      this.#resend(lane, task);
      return;
    }
    // Sent ahead and failed before its turn (its arguments could not be sent): it says so after
    // the stage before it ended, as if it had waited its turn.
    const ahead = lane.tasks[0] !== task ? lane.tasks[0] : undefined;
    this.#settled(lane, task);
    const failure = this.#failure(lane, task, error);
    // A stage its thread never took up (its arguments could not be sent) failed here, not there.
    const reported = isClaimed(task.channel, task.ticket);
    this.#starts.ended(task, () => failWith(task, failure, reported), ahead);
  }

  // Why a stage's thread failed it, named for the user.
  #failure(lane: Lane, task: LaneTask, error: unknown): unknown {
    const { attempt } = task;
    if (attempt.signal.aborted) return attempt.signal.reason;
    if ((error as { code?: unknown })?.code === 'ERR_WORKER_OUT_OF_MEMORY') {
      return new Error(
        `The stage ran out of memory in its worker thread (resourceLimits ${JSON.stringify(lane.limits ?? {})}); ` +
          'the thread was ended. Raise its resourceLimits or make it use less memory.',
        { cause: error },
      );
    }
    const note = takeDeathNote(task.channel);
    if (note !== undefined) return new UncloneableValueError(attempt.name, 'result', note);
    return translate(error, attempt.name, 'argument');
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
    const own = this.#lanes.isOwn(lane); // before #settled, which ends its thread and forgets it
    // The thread already took up a stage behind this one: this one's code is over there.
    const movedOn = lastClaimed(task.channel) > task.ticket;
    begin(task); // it ran: it started before it ends
    // Its thread is ended first: a lane left idle takes over stages waiting elsewhere (#settled),
    // which must go to the fresh thread, not to the one about to end.
    const ending = !own && !movedOn;
    if (ending) lane.renew();
    this.#settled(lane, task);
    task.reject(reason);
    if (!ending) return;
    for (const waiting of [...lane.tasks]) {
      const old = waiting.channel !== lane.channel;
      if (old && !isClaimed(waiting.channel, waiting.ticket)) this.#resend(lane, waiting);
    }
  }

  // The task is over for this executor: off its lane, its abort listener removed. A lane left
  // idle takes over a task waiting behind another lane's stage, if its thread has not taken it up.
  #settled(lane: Lane, task: LaneTask): void {
    task.done = true;
    task.attempt.signal.removeEventListener('abort', task.onAbort);
    const k = lane.tasks.indexOf(task);
    if (k >= 0) lane.tasks.splice(k, 1);
    if (this.#lanes.release(lane)) {
      void end(lane.pool, lane.channel);
      // A core is free: a stage waiting behind a busy lane moves to an idle one.
      if (!this.#withdrawing) this.#lanes.stealForIdleLane();
    } else if (lane.tasks.length === 0 && !this.#withdrawing) this.#lanes.steal(lane);
  }
}

function isCloneError(error: unknown): boolean {
  return (error as { name?: unknown } | null)?.name === 'DataCloneError';
}

// Structured clone refused the stage's arguments on their way to the worker; say so, by name.
function translate(error: unknown, stage: string, what: 'argument'): unknown {
  // Duck-typed: the error may be a DOMException of another realm, or a plain object once it has
  // crossed from a dying worker.
  if (!isCloneError(error)) return error;
  return new UncloneableValueError(stage, what, String((error as { message?: unknown }).message));
}
