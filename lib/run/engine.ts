import {
  forkJoin,
  from,
  isObservable,
  of,
  mergeMap,
  Subject,
  throwIfEmpty,
  type Observable,
  type ObservableInput,
  type Subscription,
} from 'rxjs';
import { CancelledError, EmptyInputError, InternalError, StageFailedError, TimeoutError } from '../errors.js';
import type { Executor } from '../executors/executor.js';
import type { Graph } from '../graph/graph.js';
import { resolveArgs } from '../stage/inputs.js';
import {
  Stage,
  type KeyValueStore,
  type StageContext,
  type StageOptions,
  type Thread,
} from '../stage/stage.js';
import type { EventLog } from './event-log.js';
import { now, type ResumeInfo, type RunEvent, type RunStatus } from './events.js';
import { joinAll } from './join-all.js';
import { stageRanks } from './rank.js';
import { ReadyQueue } from './ready-queue.js';
import { Code, RunResult, type RunState } from './run-result.js';
import type { Recorder } from './recorder.js';
import { backoff, defaultRetryPolicy, isRetryable, type RetryPolicy } from './retry.js';
import { isPromiseLike, StageAttempt, stageLogger, type AttemptHost } from './stage-attempt.js';
import { StageSignal } from './stage-signal.js';

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
  /** What `ctx.store` is in class stages. */
  readonly store: KeyValueStore;
  /** Set when the run resumes an earlier one; reported in `run:start`. */
  readonly resume?: ResumeInfo | undefined;
  /** Durations of earlier runs by stage name, ms: weights the priority of the critical path. */
  readonly durations: ReadonlyMap<string, number> | undefined;
}

/** Stage options a run sets for every stage that does not set them. */
export type StageDefaults = Pick<
  StageOptions,
  'retries' | 'retryDelay' | 'maxRetryDelay' | 'timeout' | 'cache'
>;

// What a stage's signal carries when the stage did not succeed: its children are skipped.
class UpstreamFailure {
  constructor(readonly stage: string) {}
}

/**
 * One run of a graph. Each stage is an RxJS observable that waits with forkJoin on its upstream
 * stages' signals; once it emits, the stage joins the ready queue, and ready stages go through one
 * mergeMap capped at `cores` into the executors. The stage observables are created and subscribed
 * in topological order, so no subscription recurses up the graph (DESIGN.md, trap 1), and the
 * settling of stages is a loop over a queue, so no completion recurses down it either.
 */
export class Engine implements AttemptHost {
  readonly state: RunState;
  readonly #graph: Graph;
  readonly #options: EngineOptions;
  readonly #log: EventLog;
  readonly #abort = new AbortController();
  readonly #dispatch = new Subject<number>();
  readonly #ready: ReadyQueue;
  readonly #threads: Executor[];
  #signals: StageSignal[] | undefined;
  #inputs: Map<number, unknown[]> | undefined;
  #subscriptions: Subscription[] = [];
  // Stages that finished and whose signals still have to settle, drained in order.
  #settling: number[] = [];
  #settled = 0;
  #inFlight = 0;
  readonly #retryTimers = new Set<ReturnType<typeof setTimeout>>();
  #draining = false;
  #subscribed = false;
  #stopped = false;
  #cancelled: unknown = undefined;
  #isCancelled = false;
  #finished = false;
  #startedAt = 0;
  #resolve!: (result: RunResult) => void;
  #reject!: (error: unknown) => void;
  readonly done: Promise<RunResult>;

  constructor(graph: Graph, options: EngineOptions, log: EventLog) {
    const n = graph.stages.length;
    this.#graph = graph;
    this.#options = options;
    this.#log = log;
    this.state = {
      graph,
      status: new Uint8Array(n),
      attempts: new Uint16Array(n),
      startedAt: new Float64Array(n),
      finishedAt: new Float64Array(n),
      threadIds: new Int32Array(n),
      values: new Array<unknown>(n),
      errors: new Map(),
    };
    this.#ready = new ReadyQueue(n, stageRanks(graph, options.durations));
    this.#threads = graph.stages.map(
      (s) => options.executors[s.options.thread ?? options.thread ?? 'worker'],
    );
    this.done = new Promise<RunResult>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  /** The signal of a stage: an Observable of its result. */
  signal(index: number): Observable<unknown> | undefined {
    return this.#signals?.[index];
  }

  start(): void {
    const graph = this.#graph;
    const n = graph.stages.length;
    this.#startedAt = now();
    this.#options.recorder?.begin(this.state);
    this.#emit({
      type: 'run:start',
      time: this.#startedAt,
      runId: this.#options.runId,
      stages: n,
      cores: this.#options.cores,
      ...(this.#options.resume ? { resume: this.#options.resume } : {}),
    });
    const signals = (this.#signals = new Array<StageSignal>(n));
    for (let i = 0; i < n; i++) signals[i] = new StageSignal();

    this.#subscriptions.push(
      this.#dispatch
        .pipe(mergeMap((i) => this.#execute(i), this.#options.cores))
        .subscribe({ next: (i) => this.#attemptOver(i), error: (e: unknown) => this.#fatal(e) }),
    );
    try {
      const restored = this.#options.recorder?.restored;
      for (const i of graph.order) {
        if (restored?.has(i)) this.#reuse(i, restored.get(i));
        else this.#watchInputs(i, signals);
      }
    } catch (error) {
      this.#fatal(error);
      return;
    }
    this.#subscribed = true;
    if (n === 0) this.#finish();
    else this.#drain();
  }

  cancel(reason: unknown): void {
    if (this.#finished || this.#isCancelled) return;
    this.#isCancelled = true;
    this.#cancelled = reason;
    this.#stopped = true;
    this.#clearRetries();
    // Every attempt's signal follows this one: executors stop what runs (worker threads are terminated).
    this.#abort.abort(new CancelledError(reason));
    if (this.#inFlight === 0) this.#finish();
  }

  // Subscribes stage i's forkJoin over its upstream signals and its Observable/Promise arguments.
  #watchInputs(i: number, signals: StageSignal[]): void {
    const graph = this.#graph;
    const stage = graph.stages[i]!;
    const sources: Observable<unknown>[] = [];
    for (let e = graph.parentStart[i]!; e < graph.parentStart[i + 1]!; e++)
      sources.push(signals[graph.parents[e]!]!);
    const parentCount = sources.length;
    for (const ref of stage.refs) {
      if (ref instanceof Stage) continue;
      const label = `argument ${sources.length - parentCount + 1} of its Observable and Promise arguments`;
      const source = isObservable(ref) ? ref : from(ref);
      sources.push(source.pipe(throwIfEmpty(() => new EmptyInputError(stage.name, label))));
    }
    if (sources.length === 0) {
      this.#markReady(i);
      return;
    }
    const observer = {
      next: () => this.#markReady(i),
      error: (error: unknown) => this.#inputFailed(i, error),
    };
    if (parentCount === sources.length) {
      this.#subscriptions.push(joinAll(sources).subscribe(observer));
      return;
    }
    // Observable and Promise arguments: keep their values for the stage's arguments.
    const parents = parentCount > 0 ? joinAll(sources.slice(0, parentCount)) : of(null);
    this.#subscriptions.push(
      forkJoin([parents, ...sources.slice(parentCount)]).subscribe({
        next: (values) => {
          (this.#inputs ??= new Map()).set(i, values.slice(1));
          this.#markReady(i);
          // An outside source can emit at any time, not only while the engine settles stages.
          if (this.#subscribed) this.#drain();
        },
        error: observer.error,
      }),
    );
  }

  #markReady(i: number): void {
    if (this.#finished) return;
    this.state.status[i] = Code.Ready;
    this.#emit({ type: 'stage:ready', time: now(), stage: this.#graph.stages[i]!.name });
    this.#ready.push(i);
  }

  // An upstream stage did not succeed (skip), or an Observable/Promise argument failed (fail).
  #inputFailed(i: number, error: unknown): void {
    if (this.#finished) return;
    const state = this.state;
    const name = this.#graph.stages[i]!.name;
    const time = now();
    state.finishedAt[i] = time;
    if (this.#isCancelled) {
      state.status[i] = Code.Cancelled;
      this.#emit({ type: 'stage:cancel', time, stage: name, attempt: 0 });
    } else if (error instanceof UpstreamFailure) {
      state.status[i] = Code.Skipped;
      this.#emit({
        type: 'stage:skip',
        time,
        stage: name,
        reason: `upstream stage "${error.stage}" did not succeed`,
      });
    } else {
      state.status[i] = Code.Failed;
      const failure = new StageFailedError(name, 0, error);
      state.errors.set(i, failure);
      this.#emit({
        type: 'stage:error',
        time,
        stage: name,
        attempt: 0,
        threadId: 0,
        durationMs: 0,
        error: failure,
      });
      if (this.#options.onError === 'stop') this.#stop();
    }
    this.#settling.push(i);
    this.#drain();
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
        } else if (!this.#stopped && this.#inFlight < this.#options.cores && this.#ready.size > 0) {
          this.#inFlight++;
          this.#dispatch.next(this.#ready.pop());
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
    if (this.#settled === this.#graph.stages.length || (this.#stopped && this.#inFlight === 0))
      this.#finish();
  }

  #settle(i: number): void {
    this.#settled++;
    const signal = this.#signals![i]!;
    if (this.state.status[i] === Code.Succeeded) signal.resolve(this.state.values[i]);
    else signal.reject(new UpstreamFailure(this.#graph.stages[i]!.name));
  }

  // The mergeMap's project: runs one attempt (or reuses a cached result), records its outcome,
  // and emits the stage index.
  #execute(i: number): ObservableInput<number> {
    const state = this.state;
    const stage = this.#graph.stages[i]!;
    const recorder = this.#options.recorder;
    state.status[i] = Code.Running;
    const timeout = stage.options.timeout ?? this.#options.defaults.timeout;
    const attempt = new StageAttempt(
      this,
      i,
      stage,
      ++state.attempts[i]!,
      this.#abort.signal,
      timeout !== undefined,
    );
    let result: unknown;
    try {
      if (recorder?.caches(i)) {
        const hit = recorder.lookup(i, stage.definition.fn ? attempt.args : this.#inputsOf(i));
        if (hit) {
          state.attempts[i]!--;
          this.#reuse(i, hit.value);
          return [i];
        }
      }
      result = this.#threads[i]!.run(attempt);
    } catch (error) {
      attempt.over();
      this.#failed(i, attempt, error);
      return [i];
    }
    if (isPromiseLike(result)) {
      return Promise.resolve(result).then(
        (value) => {
          attempt.over();
          return this.#succeeded(i, attempt.number, value);
        },
        (error: unknown) => {
          attempt.over();
          return this.#failed(i, attempt, error);
        },
      );
    }
    attempt.over();
    this.#succeeded(i, attempt.number, result);
    return [i];
  }

  /** @internal Called by an attempt as its stage's code starts: starts its timeout, if it has one. */
  began(i: number, attempt: StageAttempt, threadId: number, worker: string | undefined): void {
    const time = now();
    const stage = this.#graph.stages[i]!;
    this.state.startedAt[i] = time;
    this.state.threadIds[i] = threadId;
    const controller = attempt.controller;
    if (controller) {
      const timeout = (stage.options.timeout ?? this.#options.defaults.timeout)!;
      const thread = threadId === 0 && worker === undefined ? 'main' : 'worker';
      attempt.timer = setTimeout(
        () => controller.abort(new TimeoutError(stage.name, timeout, thread)),
        timeout,
      );
    }
    this.#emit(
      worker === undefined
        ? { type: 'stage:start', time, stage: stage.name, attempt: attempt.number, threadId }
        : { type: 'stage:start', time, stage: stage.name, attempt: attempt.number, threadId, worker },
    );
  }

  /** @internal */
  context(i: number, attempt: StageAttempt): StageContext {
    const name = this.#graph.stages[i]!.name;
    return {
      name,
      inputs: this.#inputsOf(i),
      signal: attempt.signal,
      attempt: attempt.number,
      log: stageLogger(name),
      store: this.#options.store,
    };
  }

  // A class stage's inputs: its upstream stages' results by name.
  #inputsOf(i: number): Record<string, unknown> {
    const graph = this.#graph;
    const inputs: Record<string, unknown> = {};
    for (let e = graph.parentStart[i]!; e < graph.parentStart[i + 1]!; e++) {
      const p = graph.parents[e]!;
      inputs[graph.stages[p]!.name] = this.state.values[p];
    }
    return inputs;
  }

  /** @internal The arguments of function stage i, its inputs replaced by their values. */
  args(i: number, stage: Stage): unknown[] {
    if (stage.refs.length === 0) return stage.args as unknown[];
    const values: unknown[] = [];
    const external = this.#inputs?.get(i);
    let k = 0;
    for (const ref of stage.refs) {
      values.push(ref instanceof Stage ? this.state.values[this.#graph.indexOf(ref)] : external![k++]);
    }
    return resolveArgs(stage.args, values);
  }

  #succeeded(i: number, attempt: number, value: unknown): number {
    const state = this.state;
    const time = now();
    state.values[i] = value;
    state.status[i] = Code.Succeeded;
    state.finishedAt[i] = time;
    this.#emit(
      {
        type: 'stage:done',
        time,
        stage: this.#graph.stages[i]!.name,
        attempt,
        threadId: state.threadIds[i]!,
        durationMs: time - state.startedAt[i]!,
      },
      i,
    );
    return i;
  }

  // Stage i's result is reused (resume or cache): it succeeds without running.
  #reuse(i: number, value: unknown): void {
    const state = this.state;
    const time = now();
    state.values[i] = value;
    state.status[i] = Code.Succeeded;
    state.startedAt[i] = time;
    state.finishedAt[i] = time;
    const stage = this.#graph.stages[i]!.name;
    this.#emit({ type: 'stage:done', time, stage, attempt: 0, threadId: 0, durationMs: 0, cached: true }, i);
    if (!this.#subscribed) this.#settling.push(i);
  }

  #failed(i: number, attempt: StageAttempt, error: unknown): number {
    const state = this.state;
    const time = now();
    const stage = this.#graph.stages[i]!;
    const name = stage.name;
    if (this.#isCancelled) {
      state.finishedAt[i] = time;
      state.status[i] = Code.Cancelled;
      this.#emit({ type: 'stage:cancel', time, stage: name, attempt: attempt.number });
      return i;
    }
    const failure = new StageFailedError(name, attempt.number, error);
    if (state.startedAt[i] === 0) state.startedAt[i] = time;
    const durationMs = time - state.startedAt[i]!;
    const policy = this.#retryPolicy(stage);
    if (attempt.number <= policy.retries && !this.#stopped && isRetryable(error)) {
      const delayMs = backoff(policy, attempt.number);
      state.status[i] = Code.Retrying;
      this.#emit({
        type: 'stage:retry',
        time,
        stage: name,
        attempt: attempt.number,
        delayMs,
        error: failure,
      });
      const timer = setTimeout(() => {
        this.#retryTimers.delete(timer);
        if (this.#finished || this.#stopped) return;
        state.status[i] = Code.Ready;
        this.#ready.push(i);
        this.#drain();
      }, delayMs);
      this.#retryTimers.add(timer);
      return i;
    }
    state.finishedAt[i] = time;
    state.status[i] = Code.Failed;
    state.errors.set(i, failure);
    this.#emit({
      type: 'stage:error',
      time,
      stage: name,
      attempt: attempt.number,
      threadId: state.threadIds[i]!,
      durationMs,
      error: failure,
    });
    if (this.#options.onError === 'stop') this.#stop();
    return i;
  }

  #retryPolicy(stage: Stage): RetryPolicy {
    const own = stage.options;
    const run = this.#options.defaults;
    return {
      retries: own.retries ?? run.retries ?? defaultRetryPolicy.retries,
      retryDelay: own.retryDelay ?? run.retryDelay ?? defaultRetryPolicy.retryDelay,
      maxRetryDelay: own.maxRetryDelay ?? run.maxRetryDelay ?? defaultRetryPolicy.maxRetryDelay,
    };
  }

  // After a failure with onError 'stop': nothing new starts, retries waiting are dropped.
  #stop(): void {
    this.#stopped = true;
    this.#clearRetries();
  }

  #clearRetries(): void {
    for (const timer of this.#retryTimers) clearTimeout(timer);
    this.#retryTimers.clear();
  }

  #emit(event: RunEvent, i?: number): void {
    this.#options.recorder?.record(event, i);
    this.#log.emit(event);
  }

  // The mergeMap emitted: attempt i is over and its core is free.
  #attemptOver(i: number): void {
    this.#inFlight--;
    // A stage waiting to retry is not settled: its timer puts it back in the ready queue.
    if (this.state.status[i] !== Code.Retrying) this.#settling.push(i);
    this.#drain();
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#clearRetries();
    const state = this.state;
    const graph = this.#graph;
    const time = now();
    let failed = false;
    for (let i = 0; i < graph.stages.length; i++) {
      const status = state.status[i]!;
      if (status === Code.Failed) failed = true;
      if (
        status === Code.Succeeded ||
        status === Code.Failed ||
        status === Code.Skipped ||
        status === Code.Cancelled
      ) {
        continue;
      }
      const name = graph.stages[i]!.name;
      if (this.#isCancelled) {
        state.status[i] = Code.Cancelled;
        this.#emit({ type: 'stage:cancel', time, stage: name, attempt: 0 });
      } else {
        state.status[i] = Code.Skipped;
        this.#emit({
          type: 'stage:skip',
          time,
          stage: name,
          reason: 'the run stopped after a stage failed',
        });
      }
    }
    // Late subscribers of run.output() of a stage that never ran get an error, not silence.
    const signals = this.#signals;
    if (signals) {
      for (let i = 0; i < signals.length; i++) {
        if (!signals[i]!.settled) signals[i]!.reject(new UpstreamFailure(graph.stages[i]!.name));
      }
    }
    for (const subscription of this.#subscriptions) subscription.unsubscribe();
    this.#subscriptions = [];
    this.#signals = undefined;
    this.#inputs = undefined;
    const status: RunStatus = this.#isCancelled ? 'cancelled' : failed ? 'failed' : 'succeeded';
    this.#emit({
      type: 'run:done',
      time,
      runId: this.#options.runId,
      status,
      durationMs: time - this.#startedAt,
    });
    this.#log.close();
    const result = new RunResult(this.#options.runId, status, this.#startedAt, time, state, this.#log.events);
    const executors = new Set(Object.values(this.#options.executors));
    const closing = [...executors].map((executor) => executor.close());
    if (this.#options.recorder) closing.push(this.#options.recorder.close());
    Promise.all(closing).then(
      () => this.#resolve(result),
      (error: unknown) => this.#reject(error),
    );
  }

  // A bug in the engine itself: end the run loudly rather than hang.
  #fatal(error: unknown): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#clearRetries();
    for (const subscription of this.#subscriptions) subscription.unsubscribe();
    this.#log.close();
    void this.#options.recorder?.close().catch(() => {});
    const executors = new Set(Object.values(this.#options.executors));
    void Promise.allSettled([...executors].map((executor) => executor.cancel()));
    this.#reject(error instanceof Error ? error : new InternalError(String(error)));
  }

  /** Whether the run was cancelled, and why. */
  get cancellation(): { cancelled: boolean; reason: unknown } {
    return { cancelled: this.#isCancelled, reason: this.#cancelled };
  }
}
