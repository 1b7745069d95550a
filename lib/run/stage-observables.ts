import type { Subscription } from 'rxjs';
import { forkJoin, from, isObservable, of, throwIfEmpty, type Observable } from './rx.js';
import { EmptyInputError } from '../errors.js';
import type { Graph } from '../graph/graph.js';
import { Stage } from '../stage/stage.js';
import { joinAll } from './join-all.js';
import { Code, type RunState } from './run-result.js';
import { StageSignal } from './stage-signal.js';

/** What a stage's signal carries when the stage did not succeed: its children are skipped. */
export class UpstreamFailure {
  constructor(readonly stage: string) {}
}

/** The engine's side of the stage observables. */
export interface ObservablesHost {
  /** Stage i's forkJoin emitted: every input is there. */
  ready(i: number): void;
  /** Stage i's forkJoin errored: an upstream stage did not succeed (UpstreamFailure), or an argument failed. */
  inputFailed(i: number, error: unknown): void;
  /** An Observable or Promise argument emitted, outside the engine's own loop. */
  outsideReady(): void;
}

/**
 * The stages of one run as RxJS observables. Each stage has a signal (a StageSignal: its outcome)
 * and waits with forkJoin on its upstream stages' signals and its Observable and Promise arguments.
 * A stage's forkJoin is subscribed when its first upstream stage settles (or at the start, for a
 * stage without upstream stages or with outside arguments), in topological order: only the
 * frontier of the graph holds subscriptions, and no subscription recurses up the graph (DESIGN.md,
 * trap 1). Signals are made on demand: for a stage being watched, or for run.output().
 */
export class StageObservables {
  readonly #graph: Graph;
  readonly #state: RunState;
  readonly #isSettled: Uint8Array;
  readonly #host: ObservablesHost;
  readonly #ready: (i: number) => void;
  readonly #signals: (StageSignal | undefined)[];
  // Whether a stage's forkJoin is subscribed.
  readonly #watched: Uint8Array;
  // Values of Observable and Promise arguments, by stage.
  #external: Map<number, unknown[]> | undefined;
  // Joins over outside arguments: those may never settle, so they are kept to be let go.
  #subscriptions: Subscription[] = [];

  /** `isSettled`: the engine's, per stage; a settled stage's signal follows `state`. */
  constructor(graph: Graph, state: RunState, isSettled: Uint8Array, host: ObservablesHost) {
    this.#graph = graph;
    this.#state = state;
    this.#isSettled = isSettled;
    this.#host = host;
    this.#ready = host.ready;
    this.#signals = new Array<StageSignal | undefined>(graph.stages.length);
    this.#watched = new Uint8Array(graph.stages.length);
  }

  /** Whether stage i is watched now, at the start: it has no upstream stage, or outside arguments. */
  watchesFirst(i: number): boolean {
    const graph = this.#graph;
    return (
      this.#watched[i] === 0 &&
      (graph.parentStart[i] === graph.parentStart[i + 1] || hasOutsideInputs(graph.stages[i]!))
    );
  }

  /** Stage i needs no watching: its outcome comes from elsewhere (a resumed run's record). */
  unwatched(i: number): void {
    this.#watched[i] = 1;
  }

  /** Subscribes stage i's forkJoin over its upstream signals and its Observable/Promise arguments. */
  watch(i: number): void {
    this.#watched[i] = 1;
    const graph = this.#graph;
    const stage = graph.stages[i]!;
    const host = this.#host;
    const ready = this.#ready;
    const sources: Observable<unknown>[] = [];
    for (let e = graph.parentStart[i]!; e < graph.parentStart[i + 1]!; e++)
      sources.push(this.signal(graph.parents[e]!));
    const parentCount = sources.length;
    for (const ref of stage.refs) {
      if (ref instanceof Stage) continue;
      const label = `argument ${sources.length - parentCount + 1} of its Observable and Promise arguments`;
      const source = isObservable(ref) ? ref : from(ref);
      sources.push(source.pipe(throwIfEmpty(() => new EmptyInputError(stage.name, label))));
    }
    if (sources.length === 0) {
      ready(i);
      return;
    }
    const observer = {
      next: () => ready(i),
      error: (error: unknown) => host.inputFailed(i, error),
    };
    if (parentCount === sources.length) {
      // Not kept: it ends when its parents settle, and close() settles every signal.
      joinAll(sources).subscribe(observer);
      return;
    }
    // Observable and Promise arguments: keep their values for the stage's arguments.
    const parents = parentCount > 0 ? joinAll(sources.slice(0, parentCount)) : of(null);
    this.#subscriptions.push(
      forkJoin([parents, ...sources.slice(parentCount)]).subscribe({
        next: (values) => {
          (this.#external ??= new Map()).set(i, values.slice(1));
          host.ready(i);
          // An outside source can emit at any time, not only while the engine settles stages.
          host.outsideReady();
        },
        error: observer.error,
      }),
    );
  }

  /** Stage i settled: its signal says how, and its children not watched yet are. */
  settled(i: number): void {
    const signal = this.#signals[i];
    if (signal) this.#settleSignal(signal, i);
    const graph = this.#graph;
    for (let e = graph.childStart[i]!; e < graph.childStart[i + 1]!; e++) {
      const child = graph.children[e]!;
      if (this.#watched[child] === 0) this.watch(child);
    }
  }

  /** Stage i's signal: an Observable of its result. */
  signal(i: number): StageSignal {
    const signals = this.#signals;
    let signal = signals[i];
    if (!signal) {
      signal = signals[i] = new StageSignal();
      if (this.#isSettled[i]) this.#settleSignal(signal, i);
    }
    return signal;
  }

  /** The values of stage i's Observable and Promise arguments, once they emitted. */
  external(i: number): unknown[] | undefined {
    return this.#external?.get(i);
  }

  /**
   * The run is over: a signal still waiting errors with `failure` (a late run.output() of a stage
   * that never ran gets an error, not silence), and every subscription is let go.
   */
  close(failure?: Error): void {
    const graph = this.#graph;
    const signals = this.#signals;
    for (let i = 0; i < signals.length; i++) {
      const signal = signals[i];
      if (signal && !signal.settled) signal.reject(failure ?? new UpstreamFailure(graph.names[i]!));
    }
    for (const subscription of this.#subscriptions) subscription.unsubscribe();
    this.#subscriptions = [];
    this.#external = undefined;
  }

  #settleSignal(signal: StageSignal, i: number): void {
    if (this.#state.status[i] === Code.Succeeded) signal.resolve(this.#state.values[i]);
    else signal.reject(new UpstreamFailure(this.#graph.names[i]!));
  }
}

function hasOutsideInputs(stage: Stage): boolean {
  const refs = stage.refs;
  for (let k = 0; k < refs.length; k++) if (!(refs[k] instanceof Stage)) return true;
  return false;
}
