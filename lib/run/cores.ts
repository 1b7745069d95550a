import type { Executor } from '../executors/executor.js';
import type { Graph } from '../graph/graph.js';
import type { Stage, Thread } from '../stage/stage.js';

/**
 * A run's cores: which executor runs each stage, what is in flight on each, and whether one more
 * attempt may go. Below `cores` in flight, any stage goes. At `cores`, an executor that queues
 * attempts itself (Executor.canQueue) may take up to its `queueAhead` more, if every attempt in
 * flight is its own: what runs stays at `cores`. An attempt waiting out its executor's back-off
 * holds no core, as a stage waiting for the engine's retry does not.
 */
export class Cores {
  readonly #cores: number;
  readonly #stages: readonly Stage[];
  // By index into #executors: 0 main, 1 worker.
  readonly #executors: readonly Executor[];
  readonly #executorOf: Uint8Array;
  readonly #inFlightOn: Int32Array;
  // At most #cap in flight holding a core or a place an executor queues ahead, and `slots` in all.
  readonly #cap: number;
  /** The most attempts in flight at once, back-offs included: the mergeMap's cap. */
  readonly slots: number;
  #inFlight = 0;
  #backingOff = 0;

  /** `thread`: where a stage that does not say runs (default worker). */
  constructor(graph: Graph, cores: number, executors: Readonly<Record<Thread, Executor>>, thread?: Thread) {
    this.#cores = cores;
    this.#stages = graph.stages;
    this.#executors = [executors.main, executors.worker];
    this.#executorOf = new Uint8Array(graph.stages.length);
    for (let i = 0; i < graph.stages.length; i++) {
      if (threadOf(graph.stages[i]!, thread) === 'worker') this.#executorOf[i] = 1;
    }
    this.#inFlightOn = new Int32Array(this.#executors.length);
    this.#cap = cores + Math.max(0, ...this.#executors.map((e) => e.queueAhead ?? 0));
    // Up to `cores` attempts may wait out a back-off without holding a core; more hold one each.
    this.slots = this.#cap + cores;
  }

  /** Attempts dispatched and not over. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** The executor that runs stage i. */
  executorOf(i: number): Executor {
    return this.#executors[this.#executorOf[i]!]!;
  }

  /** Whether stage i may be dispatched now. */
  mayDispatch(i: number): boolean {
    if (this.#inFlight >= this.slots) return false;
    const holding = this.#inFlight - this.#backingOff;
    if (holding < this.#cores) return true;
    const k = this.#executorOf[i]!;
    const executor = this.#executors[k]!;
    return (
      executor.canQueue !== undefined &&
      holding < this.#cap &&
      this.#inFlightOn[k] === this.#inFlight &&
      executor.canQueue(this.#stages[i]!)
    );
  }

  dispatched(i: number): void {
    this.#inFlight++;
    this.#inFlightOn[this.#executorOf[i]!]!++;
  }

  /** Stage i's attempt is over: its core is free. */
  over(i: number): void {
    this.#inFlight--;
    this.#inFlightOn[this.#executorOf[i]!]!--;
  }

  /** An attempt in flight waits out its executor's back-off: it holds no core meanwhile. */
  backingOff(): void {
    this.#backingOff++;
  }

  backOffOver(): void {
    this.#backingOff--;
  }

  /** Every executor takes back what it queued and has not started (a run that stops). */
  withdraw(): void {
    for (const executor of this.#executors) executor.withdraw?.();
  }
}

/** Where a stage runs: its own `thread` option, else the run's, else a worker thread. */
export function threadOf(stage: Stage, runThread: Thread | undefined): Thread {
  return stage.options.thread ?? runThread ?? 'worker';
}
