import { CancelledError, InternalError, TsdagsError, UncloneableValueError } from '../errors.js';
import {
  cancelChannel,
  cancelMessage,
  protocolVersion,
  stageJobId,
  type StageJobData,
  type StageJobProgress,
  type StageJobResult,
} from '../remote/protocol.js';
import { QueueLink, type OpenLink } from '../remote/queue-link.js';
import { aliasKey, findEarlierJob, sameWork } from '../remote/earlier-jobs.js';
import { PendingAttempts } from '../remote/pending-attempts.js';
import { batchWrites } from '../remote/batch-writes.js';
import { retryOptions } from '../remote/retries.js';
import { encodeValue } from '../remote/value-codec.js';
import { checkExecutorOptions, jobsPerCore, type BullMQExecutorOptions } from '../remote/executor-options.js';
import type { Stage } from '../stage/stage.js';
import { AttemptWithdrawn, type Attempt, type Executor } from './executor.js';

export type { BullMQExecutorOptions } from '../remote/executor-options.js';

type NewJob = { name: string; data: StageJobData; opts: { jobId: string } & Record<string, unknown> };

/**
 * Runs function stages on remote workers (`startWorker`, `tsdags worker`) through a BullMQ queue:
 * each attempt is a job with a deterministic id, its result comes back through the queue's events.
 * A worker killed mid-stage is detected by BullMQ's stalled-job check and its job re-run by another
 * worker. Redis unreachable for `redisTimeout` fails the waiting stages with RedisUnavailableError.
 */
export class BullMQExecutor implements Executor {
  readonly #runId: string;
  readonly #queueName: string;
  readonly #prefix: string;
  readonly #keepJobs: number;
  #resumes: string | undefined;
  readonly #jobOptions: Record<string, unknown>;
  // A timeout or a cancelled run: the job is taken back from the queue or its worker.
  readonly #pending = new PendingAttempts((jobId) => this.#stopJob(jobId));
  // Jobs of the resumed run taken over: they carry its run id, so a cancel names them one by one.
  readonly #adopted = new Set<string>();
  #toAdd: NewJob[] = [];
  // Jobs a worker took, whose worker is yet to be read (see #readWorkers).
  #taken: [jobId: string, tri: number][] = [];
  readonly #link: QueueLink;
  #starting: Promise<OpenLink> | undefined;
  #connected: OpenLink | undefined;
  #stopped: unknown;
  // The run stopped after a failure: no job starts that a worker has not taken.
  #withdrawn = false;
  #closing: Promise<void> | undefined;

  /** Jobs the engine may hand beyond `cores`: they wait in Redis for the next free worker. */
  readonly queueAhead: number;

  constructor(options: BullMQExecutorOptions) {
    const { runId, redis, queue, prefix, redisTimeout, keepJobs, resumes, cores } =
      checkExecutorOptions(options);
    this.queueAhead = (cores ?? 0) * (jobsPerCore - 1);
    this.#runId = runId;
    this.#queueName = queue;
    this.#prefix = prefix;
    this.#keepJobs = keepJobs;
    this.#resumes = resumes;
    // A stage's retries are its job's attempts (see retryOptions); BullMQ also re-runs a job whose
    // worker was lost (stalled), which is not a new attempt.
    this.#jobOptions = { removeOnComplete: { age: keepJobs }, removeOnFail: { age: keepJobs } };
    this.#link = new QueueLink({
      redis,
      runId,
      queue,
      prefix,
      redisTimeout,
      lost: (error) => {
        this.#stopped ??= error;
        this.#rejectAll(error);
      },
    });
  }

  /**
   * Makes this the executor of a run that resumes `runId` (as the `resumes` option does), before
   * any attempt: jobs that run's orchestrator left behind are taken over when they do the same work.
   */
  resumeFrom(runId: string): void {
    if (this.#starting !== undefined || this.#toAdd.length > 0) {
      throw new InternalError('resumeFrom() was called after the first attempt');
    }
    this.#resumes = runId;
  }

  // Any job may wait in Redis: the workers' concurrency caps what runs.
  canQueue(stage: Stage): boolean {
    return this.queueAhead > 0 && stage.definition.kind === 'function';
  }

  run(attempt: Attempt): Promise<unknown> {
    if (this.#stopped !== undefined) return Promise.reject(this.#stopped);
    const { signal } = attempt;
    if (signal.aborted) return Promise.reject(signal.reason);
    const { definition } = attempt.stage;
    if (definition.kind !== 'function') {
      throw new TsdagsError(
        'REMOTE_CLASS_STAGE',
        `Stage "${attempt.name}" is a class stage; remote workers run function stages (stage(fn)) only. ` +
          `Run it on the orchestrator with { thread: 'main' }.`,
      );
    }
    let args: string;
    try {
      args = encodeValue(attempt.args);
    } catch (error) {
      throw new UncloneableValueError(attempt.name, 'argument', error instanceof Error ? error.message : '');
    }
    const jobId = stageJobId(this.#runId, attempt.name, attempt.attempt);
    const result = this.#pending.add(jobId, attempt);
    const data: StageJobData = {
      v: protocolVersion,
      runId: this.#runId,
      stage: definition.name,
      instance: attempt.name,
      attempt: attempt.attempt,
      args,
      ...(attempt.timed ? { timed: true } : {}),
    };
    // Jobs made in one tick wait for the connection together.
    if (
      this.#toAdd.push({
        name: attempt.name,
        data,
        opts: { ...this.#jobOptions, ...retryOptions(attempt.retry), jobId },
      }) === 1
    ) {
      queueMicrotask(() => void this.#flush());
    }
    return result;
  }

  /**
   * The run stopped after a failure: jobs no worker has taken (queued ahead, or waiting out a
   * retry's back-off) are removed and their attempts reject with AttemptWithdrawn. A job a worker
   * runs is left to end; if it fails and BullMQ would retry it, it is removed then.
   */
  withdraw(): void {
    this.#withdrawn = true;
    const withdrawn = new AttemptWithdrawn();
    for (const job of this.#toAdd.splice(0)) this.#pending.take(job.opts.jobId)?.reject(withdrawn);
    for (const id of this.#pending.waitingForStart) {
      this.#takeBack(id, () => this.#pending.take(id)?.reject(withdrawn));
    }
  }

  // A failed try BullMQ retries. Once the run has stopped, the engine takes no retry: the next try
  // is taken back, and the attempt fails with the try's error.
  #retrying(jobId: string, delayMs: number, atOnce = false): void {
    if (this.#pending.retrying(jobId, delayMs, atOnce) === 'refused') {
      this.#takeBack(jobId, () => this.#pending.failed(jobId, 'the run stopped'));
    }
  }

  // Removes a job that no worker holds (BullMQ's remove leaves a locked one alone), then `removed`.
  #takeBack(jobId: string, removed: () => void): void {
    const queue = this.#connected?.queue;
    if (!queue || this.#link.lostError) return;
    queue.remove(jobId).then(
      (count) => {
        if (count === 1) removed();
      },
      () => {},
    );
  }

  /** Fails the attempts in flight, removes their waiting jobs and asks workers to stop running ones. */
  async cancel(): Promise<void> {
    this.#stopped ??= new CancelledError();
    const ids = this.#pending.ids;
    this.#rejectAll(this.#stopped);
    const connected = this.#connected;
    if (connected && !this.#link.lostError) {
      await Promise.allSettled([
        connected.client.publish(
          cancelChannel(this.#prefix, this.#queueName),
          cancelMessage({ runId: this.#runId }),
        ),
        ...ids.map((id) => this.#remove(connected.queue, id)),
        ...ids
          .filter((id) => this.#adopted.has(id))
          .map((id) =>
            connected.client.publish(
              cancelChannel(this.#prefix, this.#queueName),
              cancelMessage({ jobId: id }),
            ),
          ),
      ]);
    }
    await this.close();
  }

  // One attempt stopped: drop its job if it waits, else ask the worker running it to stop it.
  #stopJob(jobId: string): void {
    this.#toAdd = this.#toAdd.filter((job) => job.opts.jobId !== jobId);
    this.#stopRemote(jobId);
  }

  #stopRemote(jobId: string): void {
    const connected = this.#connected;
    if (!connected || this.#link.lostError) return;
    void Promise.allSettled([
      this.#remove(connected.queue, jobId),
      connected.client.publish(cancelChannel(this.#prefix, this.#queueName), cancelMessage({ jobId })),
    ]);
  }

  // Removes a stopped job; one a worker holds is told to stop (the cancel channel) and marked
  // stopped, for the case its worker was lost: BullMQ gives it to another worker once its lock
  // expires, and a mark outlives the cancel message, which reached nobody.
  async #remove(queue: OpenLink['queue'], jobId: string): Promise<void> {
    if ((await queue.remove(jobId)) === 1) return;
    const job = await queue.getJob(jobId);
    if (job && job.data.stopped !== true) await job.updateData({ ...job.data, stopped: true });
  }

  close(): Promise<void> {
    return (this.#closing ??= this.#close());
  }

  async #close(): Promise<void> {
    this.#stopped ??= new CancelledError('the bullmq executor was closed');
    this.#rejectAll(this.#stopped);
    await this.#link.close();
  }

  async #flush(): Promise<void> {
    const batch = this.#toAdd;
    this.#toAdd = [];
    let connected: OpenLink;
    try {
      connected = await (this.#starting ??= this.#start());
      if (this.#stopped !== undefined) throw this.#stopped;
      if (this.#withdrawn) throw new AttemptWithdrawn();
    } catch (error) {
      for (const job of batch) this.#pending.take(job.opts.jobId)?.reject(error);
      return;
    }
    // One add per job, not addBulk: ioredis sends a script's whole Lua body with each pipeline
    // (addBulk is one), but only its hash on a plain connection once the script is known there.
    // The adds still leave in one write.
    batchWrites(connected.client);
    for (const job of batch) {
      const { jobId } = job.opts;
      (this.#resumes === undefined
        ? connected.queue.add(job.name, job.data, job.opts)
        : this.#adoptOrAdd(connected, job)
      ).catch((error: unknown) => this.#pending.take(jobId)?.reject(error));
    }
  }

  // A resumed run: take over the job the earlier run left for the same work, or add a new one.
  async #adoptOrAdd({ queue, client }: OpenLink, job: NewJob): Promise<void> {
    const own = job.opts.jobId;
    const earlierId = stageJobId(this.#resumes!, job.name, job.data.attempt);
    const earlier = await findEarlierJob(queue, client, this.#prefix, earlierId);
    const state = earlier ? await earlier.getState() : 'unknown';
    if (earlier?.id !== undefined && state !== 'failed' && state !== 'unknown') {
      if (sameWork(earlier.data, job.data)) {
        if (!this.#pending.rekey(own, earlier.id)) return;
        this.#adopted.add(earlier.id);
        await client.set(aliasKey(this.#prefix, this.#queueName, own), earlier.id, 'EX', this.#keepJobs);
        // Its events from now on settle the attempt; what happened before, its state says.
        await this.#existing(earlier.id);
        return;
      }
      // Work nobody waits for any more (its arguments changed): stop it.
      this.#stopRemote(earlier.id);
    }
    if (this.#pending.has(own)) await queue.add(job.name, job.data, job.opts);
  }

  // Connects, and settles the attempts from the queue's events.
  async #start(): Promise<OpenLink> {
    let link: OpenLink;
    try {
      link = await this.#link.open();
    } catch (error) {
      throw this.#stopped ?? error;
    }
    if (this.#stopped !== undefined) throw this.#stopped;
    const { events } = link;
    const pending = this.#pending;
    events.on('active', ({ jobId }) => {
      const tri = pending.tryWaitingForStart(jobId);
      if (tri !== undefined && this.#taken.push([jobId, tri]) === 1)
        queueMicrotask(() => this.#readWorkers());
    });
    events.on('progress', ({ jobId, data }) => pending.progress(jobId, data as StageJobProgress));
    events.on('completed', ({ jobId, returnvalue }) =>
      pending.completed(jobId, returnvalue as StageJobResult),
    );
    events.on('failed', ({ jobId, failedReason }) => pending.failed(jobId, failedReason));
    // A failed try that BullMQ retries: delayed by its back-off, or back to wait at once.
    events.on('delayed', ({ jobId, delay }) => this.#retrying(jobId, Math.max(0, delay - Date.now())));
    events.on('waiting', ({ jobId, prev }) => {
      if (prev === 'active') this.#retrying(jobId, 0, true);
    });
    events.on('duplicated', ({ jobId }) => {
      this.#existing(jobId).catch((error: unknown) => pending.take(jobId)?.reject(error));
    });
    this.#connected = link;
    return link;
  }

  // The stages of jobs that workers took have started: which worker took each is the job's
  // processedBy ('pb'), which BullMQ writes (the worker's name, host:pid) as it takes the job and
  // before its 'active' event. Read here rather than reported by the worker: a report would cost
  // each job one more script call, event and round trip. The events of one read come together,
  // and so do their reads; a job whose 'completed' came in the same read needs none.
  #readWorkers(): void {
    const taken = this.#taken;
    this.#taken = [];
    const connected = this.#connected;
    if (!connected || this.#link.lostError) return;
    const { client, queue } = connected;
    batchWrites(client);
    for (const [id, tri] of taken) {
      // Its end came in the same read, and named its worker: there is no start left to tell.
      if (this.#pending.tryWaitingForStart(id) !== tri) continue;
      client.hget(queue.toKey(id), 'pb').then(
        (worker) => this.#pending.started(id, worker ?? undefined, tri),
        // It started all the same; a lost Redis is the watchdog's to report.
        () => this.#pending.started(id, undefined, tri),
      );
    }
  }

  // The job existed already (a restarted orchestrator, or a job taken over): it may have started
  // or finished before we listened.
  async #existing(jobId: string): Promise<void> {
    const queue = this.#connected?.queue;
    if (!queue || !this.#pending.has(jobId)) return;
    // The state first: the job read after it has at least that state's fields (its return value).
    const state = await queue.getJobState(jobId);
    const job = await queue.getJob(jobId);
    if (!job) return;
    if (state === 'active') this.#pending.started(jobId, job.processedBy);
    if (state === 'completed') this.#pending.completed(jobId, job.returnvalue);
    if (state === 'failed') {
      // Its progress is its last failed try's report: its error. While it waits out a back-off
      // (delayed), that try is over and its error is no longer news.
      this.#pending.progress(jobId, job.progress as StageJobProgress);
      this.#pending.failed(jobId, job.failedReason);
    }
  }

  #rejectAll(error: unknown): void {
    this.#toAdd = [];
    this.#pending.rejectAll(error);
  }
}
