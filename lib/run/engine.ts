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
import { CancelledError, EmptyInputError, InternalError, StageFailedError } from '../errors.js';
import type { Attempt, Executor } from '../executors/executor.js';
import type { Graph } from '../graph/graph.js';
import { resolveArgs } from '../stage/inputs.js';
import { Stage, type StageContext, type Thread } from '../stage/stage.js';
import type { EventLog } from './event-log.js';
import { now, type RunStatus } from './events.js';
import { joinAll } from './join-all.js';
import { stageRanks } from './rank.js';
import { ReadyQueue } from './ready-queue.js';
import { Code, RunResult, type RunState } from './run-result.js';
import { StageSignal } from './stage-signal.js';

/** Settings the engine runs with, defaults filled in. */
export interface EngineOptions {
  readonly runId: string;
  readonly cores: number;
  readonly thread: Thread | undefined;
  readonly onError: 'stop' | 'continue';
  readonly executors: Readonly<Record<Thread, Executor>>;
}

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
export class Engine {
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
    this.#ready = new ReadyQueue(n, stageRanks(graph));
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
    this.#log.emit({
      type: 'run:start',
      time: this.#startedAt,
      runId: this.#options.runId,
      stages: n,
      cores: this.#options.cores,
    });
    const signals = (this.#signals = new Array<StageSignal>(n));
    for (let i = 0; i < n; i++) signals[i] = new StageSignal();

    this.#subscriptions.push(
      this.#dispatch
        .pipe(mergeMap((i) => this.#execute(i), this.#options.cores))
        .subscribe({ next: (i) => this.#attemptOver(i), error: (e: unknown) => this.#fatal(e) }),
    );
    try {
      for (const i of graph.order) this.#watchInputs(i, signals);
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
    this.#abort.abort(new CancelledError(reason));
    for (const executor of new Set(this.#threads)) {
      executor.cancel().catch((error: unknown) => this.#fatal(error));
    }
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
    this.#log.emit({ type: 'stage:ready', time: now(), stage: this.#graph.stages[i]!.name });
    this.#ready.push(i);
  }

  // An upstream stage did not succeed (skip), or an Observable/Promise argument failed (fail).
  #inputFailed(i: number, error: unknown): void {
    if (this.#finished) return;
    const state = this.state;
    const name = this.#graph.stages[i]!.name;
    const time = now();
    state.finishedAt[i] = time;
    if (error instanceof UpstreamFailure) {
      state.status[i] = Code.Skipped;
      this.#log.emit({
        type: 'stage:skip',
        time,
        stage: name,
        reason: `upstream stage "${error.stage}" did not succeed`,
      });
    } else {
      state.status[i] = Code.Failed;
      const failure = new StageFailedError(name, 0, error);
      state.errors.set(i, failure);
      this.#log.emit({
        type: 'stage:error',
        time,
        stage: name,
        attempt: 0,
        threadId: 0,
        durationMs: 0,
        error: failure,
      });
      if (this.#options.onError === 'stop') this.#stopped = true;
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

  // The mergeMap's project: runs one attempt, records its outcome, emits the stage index.
  #execute(i: number): ObservableInput<number> {
    const state = this.state;
    const stage = this.#graph.stages[i]!;
    state.status[i] = Code.Running;
    const attempt = new StageAttempt(this, i, stage, ++state.attempts[i]!);
    let result: unknown;
    try {
      result = this.#threads[i]!.run(attempt);
    } catch (error) {
      this.#failed(i, attempt.number, error);
      return [i];
    }
    if (isPromiseLike(result)) {
      return Promise.resolve(result).then(
        (value) => this.#succeeded(i, attempt.number, value),
        (error: unknown) => this.#failed(i, attempt.number, error),
      );
    }
    this.#succeeded(i, attempt.number, result);
    return [i];
  }

  /** @internal Called by an attempt as its stage's code starts. */
  began(i: number, attempt: number, threadId: number): void {
    const time = now();
    this.state.startedAt[i] = time;
    this.state.threadIds[i] = threadId;
    this.#log.emit({ type: 'stage:start', time, stage: this.#graph.stages[i]!.name, attempt, threadId });
  }

  /** @internal */
  context(i: number, attempt: number): StageContext {
    const graph = this.#graph;
    const inputs: Record<string, unknown> = {};
    for (let e = graph.parentStart[i]!; e < graph.parentStart[i + 1]!; e++) {
      const p = graph.parents[e]!;
      inputs[graph.stages[p]!.name] = this.state.values[p];
    }
    const name = graph.stages[i]!.name;
    return { name, inputs, signal: this.#abort.signal, attempt, log: stageLogger(name) };
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
    this.#log.emit({
      type: 'stage:done',
      time,
      stage: this.#graph.stages[i]!.name,
      attempt,
      threadId: state.threadIds[i]!,
      durationMs: time - state.startedAt[i]!,
    });
    return i;
  }

  #failed(i: number, attempt: number, error: unknown): number {
    const state = this.state;
    const time = now();
    const name = this.#graph.stages[i]!.name;
    state.finishedAt[i] = time;
    if (this.#isCancelled) {
      state.status[i] = Code.Cancelled;
      this.#log.emit({ type: 'stage:cancel', time, stage: name, attempt });
      return i;
    }
    const failure = new StageFailedError(name, attempt, error);
    state.status[i] = Code.Failed;
    state.errors.set(i, failure);
    if (state.startedAt[i] === 0) state.startedAt[i] = time;
    this.#log.emit({
      type: 'stage:error',
      time,
      stage: name,
      attempt,
      threadId: state.threadIds[i]!,
      durationMs: time - state.startedAt[i]!,
      error: failure,
    });
    if (this.#options.onError === 'stop') this.#stopped = true;
    return i;
  }

  // The mergeMap emitted: attempt i is over and its core is free.
  #attemptOver(i: number): void {
    this.#inFlight--;
    this.#settling.push(i);
    this.#drain();
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
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
        this.#log.emit({ type: 'stage:cancel', time, stage: name, attempt: 0 });
      } else {
        state.status[i] = Code.Skipped;
        this.#log.emit({
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
    this.#log.emit({
      type: 'run:done',
      time,
      runId: this.#options.runId,
      status,
      durationMs: time - this.#startedAt,
    });
    this.#log.close();
    const result = new RunResult(this.#options.runId, status, this.#startedAt, time, state, this.#log.events);
    const executors = new Set(Object.values(this.#options.executors));
    Promise.all([...executors].map((executor) => executor.close())).then(
      () => this.#resolve(result),
      (error: unknown) => this.#reject(error),
    );
  }

  // A bug in the engine itself: end the run loudly rather than hang.
  #fatal(error: unknown): void {
    if (this.#finished) return;
    this.#finished = true;
    for (const subscription of this.#subscriptions) subscription.unsubscribe();
    this.#log.close();
    const executors = new Set(Object.values(this.#options.executors));
    void Promise.allSettled([...executors].map((executor) => executor.cancel()));
    this.#reject(error instanceof Error ? error : new InternalError(String(error)));
  }

  /** Whether the run was cancelled, and why. */
  get cancellation(): { cancelled: boolean; reason: unknown } {
    return { cancelled: this.#isCancelled, reason: this.#cancelled };
  }
}

/** One attempt, as handed to an executor. */
class StageAttempt implements Attempt {
  readonly #engine: Engine;
  readonly #index: number;
  readonly stage: Stage;
  readonly number: number;
  #args: unknown[] | undefined;

  constructor(engine: Engine, index: number, stage: Stage, number: number) {
    this.#engine = engine;
    this.#index = index;
    this.stage = stage;
    this.number = number;
  }

  get name(): string {
    return this.stage.name;
  }

  get attempt(): number {
    return this.number;
  }

  get args(): unknown[] {
    return (this.#args ??= this.#engine.args(this.#index, this.stage));
  }

  context(): StageContext {
    return this.#engine.context(this.#index, this.number);
  }

  begin(threadId: number): void {
    this.#engine.began(this.#index, this.number, threadId);
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function'
  );
}

function stageLogger(name: string): StageContext['log'] {
  const prefix = `[${name}]`;
  return {
    info: (...values) => console.log(prefix, ...values),
    warn: (...values) => console.warn(prefix, ...values),
    error: (...values) => console.error(prefix, ...values),
  };
}
