import { InternalError } from '../errors.js';
import type { Attempt } from '../executors/executor.js';
import type { StageJobProgress, StageJobResult } from './protocol.js';
import { RemoteStageLostError } from './remote-errors.js';
import { decodeError, decodeValue } from './value-codec.js';

interface Pending {
  /** The job it waits for: the attempt's own, or one an earlier run left (see `rekey`). */
  id: string;
  readonly attempt: Attempt;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  begun: boolean;
  /** Its tries BullMQ retried: a start read for an earlier try is not this one's. */
  tries: number;
  failure: string | undefined;
  /** The worker that reported the failure. */
  failedOn: string | undefined;
}

/**
 * The attempts an orchestrator waits for, by job id, settled from the queue's events: a job taken
 * by a worker calls `attempt.begin()`, a completed job resolves, a failed one rejects with the error
 * its worker reported. An aborted attempt signal (a timeout, a cancelled run) rejects at once.
 */
export class PendingAttempts {
  readonly #pending = new Map<string, Pending>();
  readonly #watched = new Map<AbortSignal, { readonly jobs: Set<string>; readonly onAbort: () => void }>();
  readonly #onAbort: (jobId: string) => void;

  /** `onAbort` is told of each attempt that its signal stopped, to take its job back. */
  constructor(onAbort: (jobId: string) => void) {
    this.#onAbort = onAbort;
  }

  /** Waits for the job of an attempt. */
  add(jobId: string, attempt: Attempt): Promise<unknown> {
    if (this.#pending.has(jobId)) throw new InternalError(`attempt ${jobId} was run twice`);
    const { signal } = attempt;
    return new Promise<unknown>((resolve, reject) => {
      this.#watch(signal, jobId);
      const settle =
        <T>(fn: (value: T) => void) =>
        (value: T) => {
          this.#unwatch(signal, pending.id);
          fn(value);
        };
      const pending: Pending = {
        id: jobId,
        attempt,
        resolve: settle(resolve),
        reject: settle(reject),
        begun: false,
        tries: 0,
        failure: undefined,
        failedOn: undefined,
      };
      this.#pending.set(jobId, pending);
    });
  }

  /**
   * Waits for another job instead of the attempt's own: one that an earlier run of a resumed run
   * left running or finished, doing the same work. False when the attempt no longer waits.
   */
  rekey(from: string, to: string): boolean {
    const pending = this.#pending.get(from);
    if (!pending || this.#pending.has(to)) return false;
    this.#pending.delete(from);
    pending.id = to;
    this.#pending.set(to, pending);
    const watched = this.#watched.get(pending.attempt.signal);
    if (watched?.jobs.delete(from)) watched.jobs.add(to);
    return true;
  }

  has(jobId: string): boolean {
    return this.#pending.has(jobId);
  }

  get ids(): string[] {
    return [...this.#pending.keys()];
  }

  /** The jobs whose attempts wait for their start. */
  get waitingForStart(): string[] {
    return [...this.#pending.values()].filter((pending) => !pending.begun).map((pending) => pending.id);
  }

  /**
   * The try of a job whose start is yet to be told, as `started` takes it; undefined when its
   * attempt does not wait for a start.
   */
  tryWaitingForStart(jobId: string): number | undefined {
    const pending = this.#pending.get(jobId);
    return pending?.begun === false ? pending.tries : undefined;
  }

  /**
   * The job's stage started on `worker` (the BullMQ worker name that took it, `host:pid`), for its
   * try `tri` (from tryWaitingForStart: a read of who took it may end after that try failed).
   * Its thread there is not known: -1.
   */
  started(jobId: string, worker: string | undefined, tri?: number): void {
    const pending = this.#pending.get(jobId);
    if (!pending || pending.begun || (tri !== undefined && tri !== pending.tries)) return;
    pending.begun = true;
    pending.attempt.begin(-1, worker);
  }

  /** A worker's report: the stage failed (its error), or (a worker of an earlier tsdags) started on a thread. */
  progress(jobId: string, report: StageJobProgress | undefined): void {
    const pending = this.#pending.get(jobId);
    if (!pending || typeof report !== 'object' || report === null) return;
    if (typeof report.failure === 'string') {
      pending.failure = report.failure;
      pending.failedOn = report.worker;
    }
    if (!pending.begun && typeof report.threadId === 'number') {
      pending.begun = true;
      // A failure's report says which thread failed it; a remote start has threadId -1 all the same.
      pending.attempt.begin(typeof report.failure === 'string' ? -1 : report.threadId, report.worker);
    }
  }

  completed(jobId: string, result: StageJobResult | undefined): void {
    const pending = this.take(jobId);
    if (!pending) return;
    if (!pending.begun) pending.attempt.begin(-1, result?.worker);
    try {
      if (typeof result?.value !== 'string')
        throw new InternalError(`job ${jobId} returned no encoded value`);
      pending.resolve(decodeValue(result.value));
    } catch (error) {
      pending.reject(error);
    }
  }

  /**
   * BullMQ put a job back to run again: when its worker had reported a failure, that try failed and
   * BullMQ retries it (the job's attempts). The attempt is told, and waits for the next try's
   * start ('retried'), or takes no more retries ('refused': the failure is kept, for `failed`).
   * Undefined when the job was not a failed try of an attempt waited for. `atOnce`: the job went
   * straight back to wait, as a job retried without a back-off does, but also one whose worker was
   * lost (a stall) or handed it back: a retry only for a stage whose back-off is 0.
   */
  retrying(jobId: string, delayMs: number, atOnce = false): 'retried' | 'refused' | undefined {
    const pending = this.#pending.get(jobId);
    if (!pending || pending.failure === undefined) return undefined;
    if (atOnce && pending.attempt.retry.retryDelay !== 0) return undefined;
    const error = decodeError(pending.failure);
    // The try's start may not be told yet (its worker is being read): it started before it failed.
    if (!pending.begun) pending.attempt.begin(-1, pending.failedOn);
    if (!pending.attempt.retried(error, delayMs)) return 'refused';
    pending.failure = pending.failedOn = undefined;
    pending.begun = false;
    pending.tries++;
    return 'retried';
  }

  /** A failed job: the error its worker reported, or (none: the worker was lost) BullMQ's reason. */
  failed(jobId: string, failedReason: string): void {
    const pending = this.take(jobId);
    if (!pending) return;
    pending.reject(
      pending.failure === undefined
        ? new RemoteStageLostError(pending.attempt.name, failedReason)
        : decodeError(pending.failure),
    );
  }

  /** Stops waiting for a job; whoever takes it settles it. */
  take(jobId: string): Pending | undefined {
    const pending = this.#pending.get(jobId);
    this.#pending.delete(jobId);
    return pending;
  }

  rejectAll(error: unknown): void {
    const all = [...this.#pending.values()];
    this.#pending.clear();
    for (const pending of all) pending.reject(error);
  }

  // Attempts share the run's signal (or have one each, with a timeout): one listener per signal,
  // not one per attempt in flight.
  #watch(signal: AbortSignal, jobId: string): void {
    let watched = this.#watched.get(signal);
    if (!watched) {
      const jobs = new Set<string>();
      const onAbort = (): void => {
        this.#watched.delete(signal);
        for (const id of jobs) {
          const pending = this.take(id);
          if (!pending) continue;
          pending.reject(signal.reason);
          this.#onAbort(id);
        }
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#watched.set(signal, (watched = { jobs, onAbort }));
    }
    watched.jobs.add(jobId);
  }

  #unwatch(signal: AbortSignal, jobId: string): void {
    const watched = this.#watched.get(signal);
    if (!watched) return;
    watched.jobs.delete(jobId);
    if (watched.jobs.size > 0) return;
    signal.removeEventListener('abort', watched.onAbort);
    this.#watched.delete(signal);
  }
}
