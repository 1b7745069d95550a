/**
 * Runs one BullMQ job on a remote worker: checks it, finds its stage by name, runs the stage on a
 * worker thread (one lane per concurrency slot, as the local worker executor does, so a CPU-bound
 * stage never blocks the event loop that renews BullMQ's job locks) and encodes its result.
 */
import { CancelledError, InternalError, UncloneableValueError } from '../errors.js';
import type { Attempt } from '../executors/executor.js';
import { RunTimes } from '../executors/run-times.js';
import { shortMs } from '../executors/worker-protocol.js';
import { WorkerThreadExecutor } from '../executors/worker-thread.js';
import { defaultRetryPolicy, isRetryable } from '../run/retry.js';
import type { Stage, StageDefinition } from '../stage/stage.js';
import { parseStageJob, type StageJobData, type StageJobProgress, type StageJobResult } from './protocol.js';
import { runOnMainThread } from './main-thread-run.js';
import { RemoteJobRejectedError } from './remote-errors.js';
import type { StageIndex } from './stage-index.js';
import { decodeValue, encodeError, encodeValue } from './value-codec.js';

/** The part of a BullMQ job the runner uses. */
export interface RunnableJob {
  readonly id?: string | undefined;
  readonly data: unknown;
  /** Its failed tries so far: BullMQ's attempts retry a failed stage. */
  readonly attemptsMade?: number;
  updateProgress(progress: StageJobProgress): Promise<void>;
  moveToWait(token?: string): Promise<unknown>;
}

/**
 * Where a remote worker runs stages. `auto` (the default): on its main thread once the stage's
 * recent runs all took under 1 ms and its attempt has no timeout, else on a worker thread; `worker`:
 * always on worker threads; `main`: always on its main thread (I/O-bound stages).
 */
export type RemoteThread = 'auto' | 'worker' | 'main';

/** The values of RemoteThread, as `--thread` and `startWorker()` take them. */
export const remoteThreads: readonly RemoteThread[] = ['auto', 'worker', 'main'];

interface ActiveJob {
  readonly runId: string;
  readonly job: RunnableJob;
  readonly token: string | undefined;
  /** Stops its stage: its job fails with CancelledError(reason). */
  stop(reason: unknown): void;
}

interface Slot {
  readonly executor: WorkerThreadExecutor;
  busy: boolean;
}

export class JobRunner {
  readonly #stages: StageIndex;
  readonly #worker: string;
  readonly #thread: RemoteThread;
  readonly #slots: Slot[] = [];
  // How long each stage's recent runs took, here and on the threads: `auto` runs the short ones here.
  readonly #runTimes = new RunTimes(2);
  readonly #active = new Map<string, ActiveJob>();
  #closed = false;

  /** `worker` is this process as `host:pid` (the BullMQ worker's name), reported with each result and failure. */
  constructor(stages: StageIndex, worker: string, thread: RemoteThread) {
    this.#stages = stages;
    this.#worker = worker;
    this.#thread = thread;
  }

  /** Runs a job; rejects (failing the job) when it is refused, when its stage fails, or when it is cancelled. */
  async run(job: RunnableJob, token?: string, signal?: AbortSignal): Promise<StageJobResult> {
    const jobId = job.id;
    let threadId: number | undefined;
    // The error goes first as a progress report (BullMQ's failed event carries only a message).
    const fail = async (error: unknown): Promise<never> => {
      const progress: StageJobProgress = { worker: this.#worker, failure: encodeError(error) };
      await job
        .updateProgress(threadId === undefined ? progress : { ...progress, threadId })
        .catch(() => undefined);
      throw bullmqFailure(error);
    };

    let data: StageJobData;
    let definition: StageDefinition;
    let args: unknown;
    try {
      data = parseStageJob(job.data, jobId);
      definition = this.#stages.find(data.stage, jobId);
      args = decodeArgs(data.args, jobId);
    } catch (error) {
      return fail(error);
    }

    let slot: Slot | undefined;
    try {
      slot = this.#onThread(definition, data) ? this.#takeSlot() : undefined;
    } catch (error) {
      return fail(error);
    }
    // A stage on a thread is stopped by aborting its signal, which terminates the thread; one here
    // cannot be stopped, its job fails at once (it is short, or on the main thread by request).
    const abort = slot ? new AbortController() : undefined;
    let cancel!: (reason: unknown) => void;
    let endedHere = false;
    const startedHere = performance.now();
    const stopped = new Promise<never>((_, reject) => {
      // Rejected before the abort, whose thread rejects the stage with the bare reason: the job
      // fails as cancelled, which BullMQ does not retry.
      cancel = (reason) => {
        reject(new CancelledError(reason));
        abort?.abort(reason);
        // One here runs on: it is short no more, its next run goes where it can be stopped.
        if (!slot && !endedHere)
          this.#runTimes.ran(definition, Math.max(shortMs, performance.now() - startedHere));
      };
    });
    const key = jobId ?? `${data.runId}-${data.instance}-${data.attempt}`;
    this.#active.set(key, { runId: data.runId, job, token, stop: cancel });
    const forward = (): void => cancel(signal?.reason);
    signal?.addEventListener('abort', forward, { once: true });
    try {
      const attempt: Attempt = {
        // What the worker executor reads of a stage: its definition and options (resourceLimits).
        stage: { definition, options: definition.options } as unknown as Stage,
        name: data.instance,
        args: args as unknown[],
        attempt: data.attempt + (job.attemptsMade ?? 0),
        // BullMQ retries the job (its attempts), not the executor here.
        retry: defaultRetryPolicy,
        retried: () => {
          throw new InternalError('a remote stage was retried by its worker thread executor');
        },
        // Aborting terminates the stage's thread (the worker executor passes it to tinypool).
        signal: abort?.signal ?? neverAborted,
        context: () => {
          throw new InternalError('a remote function stage asked for a class stage context');
        },
        // The orchestrator learns of the start from BullMQ's 'active' event and the job's
        // processedBy (this worker's name): no report of ours, which would cost each job a round trip.
        begin: (thread: number) => {
          threadId = thread;
        },
      };
      let running: Promise<unknown>;
      if (slot) {
        running = slot.executor.run(attempt);
      } else {
        attempt.begin(0);
        running = runOnMainThread(definition, data.instance, attempt.args, (ms) => {
          endedHere = true;
          this.#runTimes.ran(definition, ms);
        });
      }
      const value = await Promise.race([running, stopped]);
      try {
        return { worker: this.#worker, value: encodeValue(value) };
      } catch (error) {
        throw new UncloneableValueError(data.instance, 'result', error instanceof Error ? error.message : '');
      }
    } catch (error) {
      return await fail(error);
    } finally {
      signal?.removeEventListener('abort', forward);
      this.#active.delete(key);
      if (slot) slot.busy = false;
    }
  }

  /** Stops the stages of a cancelled run, or one stopped job (by id); returns how many it stopped. */
  cancel(target: { runId: string } | { jobId: string }, reason: string): number {
    let stopped = 0;
    for (const [key, job] of this.#active) {
      if ('runId' in target ? job.runId === target.runId : key === target.jobId) {
        job.stop(reason);
        stopped++;
      }
    }
    return stopped;
  }

  /**
   * Puts the running jobs back in the queue, for another worker to run (a forced stop). Their
   * stages are still running here: stop them after cutting this worker's Redis connection.
   */
  async handBack(): Promise<void> {
    await Promise.allSettled([...this.#active.values()].map(({ job, token }) => job.moveToWait(token)));
  }

  /** How many jobs run now. */
  get active(): number {
    return this.#active.size;
  }

  /**
   * Stops every running stage (its job fails as cancelled) and terminates the worker threads. A
   * stage on the main thread cannot be stopped: its job no longer waits for it.
   */
  async close(): Promise<void> {
    this.#closed = true;
    for (const job of this.#active.values()) job.stop('the worker is stopping');
    await Promise.all(this.#slots.splice(0).map((slot) => slot.executor.close()));
  }

  // `auto`: a stage goes to a thread unless it is known to be short (its recent runs, on a thread or
  // here, all took under shortMs), so that a thread's wake-up (about 0.25 ms of CPU on both sides)
  // does not cost more than the stage. One with a timeout or resource limits always goes there:
  // only a thread can be stopped or limited.
  #onThread(definition: StageDefinition, data: StageJobData): boolean {
    if (this.#thread !== 'auto') return this.#thread === 'worker';
    return (
      data.timed === true ||
      definition.options.resourceLimits !== undefined ||
      !this.#runTimes.isShort(definition)
    );
  }

  #takeSlot(): Slot {
    if (this.#closed) throw new CancelledError('the worker is stopping');
    let slot = this.#slots.find((s) => !s.busy);
    if (!slot)
      this.#slots.push((slot = { executor: new WorkerThreadExecutor(1, 1, this.#runTimes), busy: false }));
    slot.busy = true;
    return slot;
  }
}

/**
 * What the job fails with in BullMQ (the error itself went first, as progress): a failure that
 * would fail again the same way (a refused job, a missing stage, an uncloneable value, a stage
 * stopped by its orchestrator) is an UnrecoverableError, which BullMQ does not retry.
 */
function bullmqFailure(error: unknown): Error {
  const failure = error instanceof Error ? error : new Error(String(error));
  if (isRetryable(error)) return failure;
  const unrecoverable = new Error(failure.message);
  unrecoverable.name = 'UnrecoverableError'; // what BullMQ checks; its class is not loaded here
  return unrecoverable;
}

// The signal of a stage run on the main thread: aborting could not stop it.
const neverAborted = new AbortController().signal;

function decodeArgs(encoded: string, jobId: string | undefined): unknown[] {
  let args: unknown;
  try {
    args = decodeValue(encoded);
  } catch (error) {
    throw new RemoteJobRejectedError(
      jobId,
      `its arguments could not be decoded (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  if (!Array.isArray(args)) throw new RemoteJobRejectedError(jobId, 'its arguments are not an array');
  return args;
}
