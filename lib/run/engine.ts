import { setMaxListeners } from 'node:events';
import type { ObservableInput, Subscription } from 'rxjs';
import { mergeMap, Subject, type Observable } from './rx.js';
import { CancelledError, InternalError, StageFailedError, TimeoutError } from '../errors.js';
import { AttemptWithdrawn, type Executor } from '../executors/executor.js';
import { Cores } from './cores.js';
import type { Graph } from '../graph/graph.js';
import type { Stage, KeyValueStore, StageContext, StageOptions, Thread } from '../stage/stage.js';
import type { EventLog } from './event-log.js';
import { now, type ResumeInfo, type RunEvent, type RunStatus } from './events.js';
import { stageRanks } from './rank.js';
import { ReadyQueue } from './ready-queue.js';
import type { Recorder } from './recorder.js';
import { backoff, isRetryable, retryPolicyOf, type RetryPolicy } from './retry.js';
import { Code, RunResult, type RunState } from './run-result.js';
import { StageBook } from './stage-book.js';
import { argumentsOf, inputsByName } from './stage-inputs.js';
import { isPromiseLike } from '../stage/inputs.js';
import { StageAttempt, stageLogger, type AttemptHost } from './stage-attempt.js';
import { StageObservables, UpstreamFailure } from './stage-observables.js';

/** Settings the engine runs with, defaults filled in. */
export interface EngineOptions {
  readonly runId: string;
  readonly cores: number;
  readonly thread: Thread | undefined;
  readonly onError: 'stop' | 'continue';
  readonly executors: Readonly<Record<Thread, Executor>>;
  /** Run-wide defaults of the stage options a stage does not set itself. */
  readonly defaults: StageDefaults;
  /** The run's record: events, results, resume and cache. */
  readonly recorder: Recorder | undefined;
  /** Set when the run resumes an earlier one; reported in `run:start`. */
  readonly resume?: ResumeInfo | undefined;
  /** What `ctx.store` is in class stages. */
  readonly store: KeyValueStore;
  /** Cancels the run when it aborts (checked before the first stage is dispatched, too). */
  readonly signal?: AbortSignal | undefined;
  /** Durations of earlier runs by stage name, ms: weights the priority of the critical path. */
  readonly durations: ReadonlyMap<string, number> | undefined;
}

/** Stage options a run sets for every stage that does not set them. */
export type StageDefaults = Pick<
  StageOptions,
  'retries' | 'retryDelay' | 'maxRetryDelay' | 'timeout' | 'cache'
>;

/**
 * One run of a graph. Each stage is an RxJS observable that waits with forkJoin on its upstream
 * stages' signals (StageObservables); once it emits, the stage joins the ready queue, and ready
 * stages go through one mergeMap capped at `cores` into the executors (plus what an executor
 * queues ahead itself: Cores). The settling of stages is a loop over a queue (#drain), so no
 * completion recurses down the graph. What happens to each stage is written down by the StageBook.
 */
export class Engine implements AttemptHost {
  readonly state: RunState;
  readonly #book: StageBook;
  readonly #graph: Graph;
  readonly #options: EngineOptions;
  readonly #log: EventLog;
  readonly #abort = new AbortController();
  readonly #dispatch = new Subject<number>();
  readonly #ready: ReadyQueue;
  readonly #cores: Cores;
  readonly #retryTimers = new Set<ReturnType<typeof setTimeout>>();
  readonly #onAbort = () => this.cancel(this.#options.signal?.reason);
  // The stages' forkJoins and signals, from start() to the run's end.
  #observables: StageObservables | undefined;
  // Whether a stage's own outcome is settled.
  readonly #isSettled: Uint8Array;
  #dispatching: Subscription | undefined;
  // Stages that finished and whose signals still have to settle, drained in order.
  #settling: number[] = [];
  #settled = 0;
  #draining = false;
  #subscribed = false;
  #stopped = false;
  #isCancelled = false;
  #finished = false;
  #startedAt = 0;
  #resolve!: (result: RunResult) => void;
  #reject!: (error: unknown) => void;
  readonly done: Promise<RunResult>;

  constructor(graph: Graph, options: EngineOptions, log: EventLog) {
    this.#graph = graph;
    this.#options = options;
    this.#log = log;
    this.#book = new StageBook(graph, (event, i) => this.#emit(event, i));
    this.state = this.#book.state;
    this.#isSettled = new Uint8Array(graph.stages.length);
    this.#ready = new ReadyQueue(graph.stages.length, stageRanks(graph, options.durations));
    this.#cores = new Cores(graph, options.cores, options.executors, options.thread);
    // Every attempt in flight may listen to the run's signal (its executor, its stage's code): as
    // many as the run may hold at once is not a leak.
    setMaxListeners(2 * this.#cores.slots + 10, this.#abort.signal);
    this.done = new Promise<RunResult>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  /** The signal of a stage: an Observable of its result. */
  signal(index: number): Observable<unknown> | undefined {
    return this.#observables?.signal(index);
  }

  start(): void {
    const graph = this.#graph;
    const n = graph.stages.length;
    const { runId, cores, resume, recorder } = this.#options;
    this.#startedAt = now();
    recorder?.begin(this.state);
    this.#emit({
      type: 'run:start',
      time: this.#startedAt,
      runId,
      stages: n,
      cores,
      ...(resume ? { resume } : {}),
    });
    const observables = (this.#observables = new StageObservables(graph, this.state, this.#isSettled, {
      ready: (i) => this.#markReady(i),
      inputFailed: (i, error) => this.#inputFailed(i, error),
      outsideReady: () => {
        if (this.#subscribed) this.#drain();
      },
    }));
    this.#dispatching = this.#dispatch
      .pipe(mergeMap((i) => this.#execute(i), this.#cores.slots))
      .subscribe({ next: (i) => this.#attemptOver(i), error: (e: unknown) => this.#fatal(e) });
    try {
      // Stages without upstream stages are watched now; the others when their first upstream
      // stage settles, so only the frontier of the graph holds subscriptions at any time (a
      // 100,000-stage chain does not build 100,000 forkJoins before its first stage runs).
      // Stages with Observable or Promise arguments are watched now too: those may emit early.
      const restored = recorder?.restored;
      for (const i of graph.order) {
        if (restored?.has(i)) {
          observables.unwatched(i);
          this.#book.reused(i, restored.get(i));
          this.#settling.push(i);
        } else if (observables.watchesFirst(i)) {
          observables.watch(i);
        }
      }
    } catch (error) {
      this.#fatal(error);
      return;
    }
    this.#subscribed = true;
    const signal = this.#options.signal;
    if (signal?.aborted) this.cancel(signal.reason);
    else signal?.addEventListener('abort', this.#onAbort, { once: true });
    if (n === 0) this.#finish();
    else this.#drain();
  }

  cancel(reason: unknown): void {
    if (this.#finished || this.#isCancelled) return;
    this.#isCancelled = true;
    this.#stopped = true;
    this.#clearRetries();
    // Every attempt's signal follows this one: executors stop what runs (worker threads are terminated).
    this.#abort.abort(new CancelledError(reason));
    if (this.#cores.inFlight === 0) this.#finish();
  }

  #markReady(i: number): void {
    if (this.#finished) return;
    this.#book.ready(i);
    this.#ready.push(i);
  }

  // An upstream stage did not succeed (skip), or an Observable/Promise argument failed (fail).
  #inputFailed(i: number, error: unknown): void {
    if (this.#finished) return;
    if (this.#isCancelled) this.#book.cancelled(i, 0);
    else if (error instanceof UpstreamFailure)
      this.#book.skipped(i, `upstream stage "${error.stage}" did not succeed`);
    else {
      this.#book.failed(i, 0, new StageFailedError(this.#graph.names[i]!, 0, error));
      if (this.#options.onError === 'stop') this.#stop();
    }
    this.#settling.push(i);
    // While start() subscribes, an input that fails at once waits for the first drain.
    if (this.#subscribed) this.#drain();
  }

  // The loop that settles finished stages and hands ready ones to the capped mergeMap while cores
  // are free. It never recurses: work found while it runs is queued and picked up by the loop.
  #drain(): void {
    if (this.#draining || this.#finished) return;
    this.#draining = true;
    try {
      const settling = this.#settling;
      let head = 0;
      for (;;) {
        if (head < settling.length) {
          this.#settle(settling[head++]!);
        } else if (!this.#stopped && this.#ready.size > 0 && this.#cores.mayDispatch(this.#ready.peek())) {
          const i = this.#ready.pop();
          this.#cores.dispatched(i);
          this.#dispatch.next(i);
        } else {
          break;
        }
      }
      settling.length = 0;
    } catch (error) {
      this.#fatal(error);
    } finally {
      this.#draining = false;
    }
    if (this.#settled === this.#graph.stages.length || (this.#stopped && this.#cores.inFlight === 0))
      this.#finish();
  }

  #settle(i: number): void {
    if (this.#isSettled[i]) throw new InternalError(`stage "${this.#graph.names[i]!}" settled twice`);
    this.#settled++;
    this.#isSettled[i] = 1;
    this.#observables!.settled(i);
  }

  // The mergeMap's project: runs one attempt (or reuses a cached result), records its outcome,
  // and emits the stage index.
  #execute(i: number): ObservableInput<number> {
    const state = this.state;
    const stage = this.#graph.stages[i]!;
    const recorder = this.#options.recorder;
    state.status[i] = Code.Running;
    const timed = this.#timeoutOf(stage) !== undefined;
    const attempt = new StageAttempt(this, i, stage, ++state.attempts[i]!, this.#abort.signal, timed);
    let result: unknown;
    try {
      if (recorder?.caches(i)) {
        const hit = recorder.lookup(i, stage.definition.fn ? attempt.args : this.#inputsOf(i));
        if (hit) {
          state.attempts[i]!--;
          this.#book.reused(i, hit.value);
          return [i];
        }
      }
      result = this.#cores.executorOf(i).run(attempt);
    } catch (error) {
      return [this.#failed(i, attempt, error)];
    }
    if (isPromiseLike(result)) {
      return Promise.resolve(result).then(
        (value) => this.#succeeded(i, attempt, value),
        (error: unknown) => this.#failed(i, attempt, error),
      );
    }
    return [this.#succeeded(i, attempt, result)];
  }

  /** @internal Called by an attempt as its stage's code starts: starts its timeout, if it has one. */
  began(
    i: number,
    attempt: StageAttempt,
    threadId: number,
    worker: string | undefined,
    at: number | undefined,
  ): void {
    if (attempt.controller) {
      const thread = threadId === 0 && worker === undefined ? 'main' : 'worker';
      attempt.over(); // its module's load, if that was timed
      this.#arm(i, attempt, thread, at === undefined ? 0 : Math.max(0, now() - at));
    }
    // A try after one its executor retried: the stage runs again.
    if (this.#backOffOver(attempt)) this.state.status[i] = Code.Running;
    this.#book.started(i, attempt.number, threadId, worker, at);
  }

  /**
   * @internal Called by a timed attempt whose thread took it up, before its stage's module loads:
   * the load may take as long as the timeout (its own clock starts at began()).
   */
  loading(i: number, attempt: StageAttempt): void {
    if (attempt.controller && attempt.timer === undefined) this.#arm(i, attempt, 'loading', 0);
  }

  // The stage's timeout, or the run's where it has none; undefined when it is not timed.
  #timeoutOf(stage: Stage): number | undefined {
    return stage.options.timeout ?? this.#options.defaults.timeout;
  }

  // Aborts a timed attempt with a TimeoutError once its timeout has passed, `elapsed` ms of it
  // already gone: `what` timed out, its code (on a thread or the main one) or its module's load.
  #arm(i: number, attempt: StageAttempt, what: 'worker' | 'main' | 'loading', elapsed: number): void {
    const stage = this.#graph.stages[i]!;
    const timeout = this.#timeoutOf(stage)!;
    const controller = attempt.controller!;
    attempt.timer = setTimeout(
      () => controller.abort(new TimeoutError(stage.name, timeout, what)),
      Math.max(0, timeout - elapsed),
    );
  }

  /** @internal The retries left to an attempt (none once the run stops) and their back-off. */
  retryLeft(i: number, attempt: StageAttempt): RetryPolicy {
    const policy = retryPolicyOf(this.#graph.stages[i]!.options, this.#options.defaults);
    const left = this.#stopped ? 0 : Math.max(0, policy.retries - attempt.number + 1);
    return { ...policy, retries: left };
  }

  /**
   * @internal The executor retries attempt's stage itself (BullMQ's attempts): the try failed with
   * `error` and the next starts after `delayMs`, as the next attempt. False once the run stops:
   * the executor takes the next try back and fails the attempt with `error`.
   */
  retried(i: number, attempt: StageAttempt, error: unknown, delayMs: number): boolean {
    if (this.#stopped || this.#finished || this.state.status[i] !== Code.Running) return false;
    attempt.over();
    attempt.began = false;
    const failure = new StageFailedError(attempt.name, attempt.number, error);
    this.#book.retrying(i, attempt.number, delayMs, failure);
    attempt.number = ++this.state.attempts[i]!;
    // Its core is free while it waits: a ready stage may take it (after the executor's handler).
    attempt.backingOff = true;
    this.#cores.backingOff();
    queueMicrotask(() => this.#drain());
    return true;
  }

  // Whether the attempt was waiting out its executor's back-off; it is not any more.
  #backOffOver(attempt: StageAttempt): boolean {
    if (!attempt.backingOff) return false;
    attempt.backingOff = false;
    this.#cores.backOffOver();
    return true;
  }

  /** @internal */
  context(i: number, attempt: StageAttempt): StageContext {
    const name = this.#graph.names[i]!;
    return {
      name,
      inputs: this.#inputsOf(i),
      signal: attempt.signal,
      attempt: attempt.number,
      log: stageLogger(name),
      store: this.#options.store,
    };
  }

  /** @internal The arguments of function stage i, its inputs replaced by their values. */
  args(i: number, stage: Stage): unknown[] {
    return argumentsOf(this.#graph, this.state.values, stage, this.#observables?.external(i));
  }

  #inputsOf(i: number): Record<string, unknown> {
    return inputsByName(this.#graph, this.state.values, i);
  }

  #succeeded(i: number, attempt: StageAttempt, value: unknown): number {
    attempt.over();
    this.#backOffOver(attempt);
    this.#book.succeeded(i, attempt.number, value);
    return i;
  }

  // A failed attempt: cancelled with the run, retried after its back-off, or the stage's failure.
  #failed(i: number, attempt: StageAttempt, error: unknown): number {
    attempt.over();
    this.#backOffOver(attempt);
    if (error instanceof AttemptWithdrawn) {
      // Queued ahead, or waiting for its executor's retry, and taken back when the run stopped: it
      // never ran (again), and is not over.
      this.state.attempts[i]!--;
      if (this.state.status[i] !== Code.Retrying) this.state.status[i] = Code.Ready;
      return i;
    }
    if (this.#isCancelled) {
      this.#book.cancelled(i, attempt.began ? attempt.number : 0);
      return i;
    }
    const stage = this.#graph.stages[i]!;
    const failure = new StageFailedError(stage.name, attempt.number, error);
    const policy = retryPolicyOf(stage.options, this.#options.defaults);
    if (attempt.number <= policy.retries && !this.#stopped && isRetryable(error)) {
      const delayMs = backoff(policy, attempt.number);
      this.#book.retrying(i, attempt.number, delayMs, failure);
      const timer = setTimeout(() => {
        this.#retryTimers.delete(timer);
        if (this.#finished || this.#stopped) return;
        this.#markReady(i);
        this.#drain();
      }, delayMs);
      this.#retryTimers.add(timer);
      return i;
    }
    this.#book.failed(i, attempt.number, failure);
    if (this.#options.onError === 'stop') this.#stop();
    return i;
  }

  // After a failure with onError 'stop': nothing new starts, retries waiting are dropped.
  #stop(): void {
    this.#stopped = true;
    this.#clearRetries();
    this.#cores.withdraw();
  }

  // Once the run is over, or stopping: no retry will start, and the run's signal is let go.
  #clearRetries(): void {
    for (const timer of this.#retryTimers) clearTimeout(timer);
    this.#retryTimers.clear();
    this.#options.signal?.removeEventListener('abort', this.#onAbort);
  }

  #emit(event: RunEvent, i?: number): void {
    this.#options.recorder?.record(event, i);
    this.#log.emit(event);
  }

  // The mergeMap emitted: attempt i is over and its core is free.
  #attemptOver(i: number): void {
    this.#cores.over(i);
    // A stage waiting to retry is not settled: its timer puts it back in the ready queue; nor is
    // one withdrawn (Ready): the run's end skips it.
    const status = this.state.status[i];
    if (status !== Code.Retrying && status !== Code.Ready) this.#settling.push(i);
    this.#drain();
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#clearRetries();
    const graph = this.#graph;
    const book = this.#book;
    for (let i = 0; i < graph.stages.length; i++) {
      if (book.isOver(i)) continue;
      if (this.#isCancelled) book.cancelled(i, 0);
      else book.skipped(i, 'the run stopped after a stage failed');
    }
    this.#dispatching?.unsubscribe();
    this.#observables?.close();
    this.#observables = undefined;
    const time = now();
    const failed = this.state.errors.size > 0 && this.state.status.includes(Code.Failed);
    const status: RunStatus = this.#isCancelled ? 'cancelled' : failed ? 'failed' : 'succeeded';
    const { runId, executors, recorder } = this.#options;
    this.#emit({ type: 'run:done', time, runId, status, durationMs: time - this.#startedAt });
    this.#log.close();
    const reason = this.#isCancelled ? (this.#abort.signal.reason as CancelledError).cause : undefined;
    const result = new RunResult(runId, status, this.#startedAt, time, this.state, this.#log.events, reason);
    const closing = [...new Set(Object.values(executors))].map((executor) => executor.close());
    if (recorder) closing.push(recorder.close());
    Promise.all(closing).then(
      () => this.#resolve(result),
      (error: unknown) => this.#reject(error),
    );
  }

  // A bug in the engine, or a run record that cannot be written: end the run loudly rather than
  // hang. Stages in flight are told to stop, and every waiting run.output() gets the error.
  #fatal(error: unknown): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#clearRetries();
    const failure = error instanceof Error ? error : new InternalError(String(error));
    this.#abort.abort(failure);
    this.#dispatching?.unsubscribe();
    this.#observables?.close(failure);
    // A run.output() subscribed from now on errors with `done`, rather than wait on a signal
    // nothing will settle.
    this.#observables = undefined;
    this.#log.close();
    void this.#options.recorder?.close(failure).catch(() => {});
    const executors = new Set(Object.values(this.#options.executors));
    void Promise.allSettled([...executors].map((executor) => executor.cancel()));
    this.#reject(failure);
  }
}
