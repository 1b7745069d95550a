import type { StageFailedError } from '../errors.js';
import type { Graph } from '../graph/graph.js';
import { now, type RunEvent } from './events.js';
import { Code, type RunState } from './run-result.js';

/**
 * The run's book of stages: each state change of a stage, written into the flat state arrays and
 * announced as its event, in one place. The engine decides what happens; the book records it.
 */
export class StageBook {
  readonly state: RunState;
  readonly #graph: Graph;
  readonly #emit: (event: RunEvent, i?: number) => void;

  constructor(graph: Graph, emit: (event: RunEvent, i?: number) => void) {
    const n = graph.stages.length;
    this.#graph = graph;
    this.#emit = emit;
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
  }

  /** Whether stage i has reached an end: succeeded, failed, skipped or cancelled. */
  isOver(i: number): boolean {
    const status = this.state.status[i]!;
    return (
      status === Code.Succeeded ||
      status === Code.Failed ||
      status === Code.Skipped ||
      status === Code.Cancelled
    );
  }

  ready(i: number): void {
    this.state.status[i] = Code.Ready;
    this.#emit({ type: 'stage:ready', time: now(), stage: this.#name(i) });
  }

  /** Stage i's attempt started: now, or `at` when the executor tells it afterwards. */
  started(i: number, attempt: number, threadId: number, worker: string | undefined, at = now()): void {
    const time = at;
    this.state.startedAt[i] = time;
    this.state.threadIds[i] = threadId;
    const stage = this.#name(i);
    this.#emit(
      worker === undefined
        ? { type: 'stage:start', time, stage, attempt, threadId }
        : { type: 'stage:start', time, stage, attempt, threadId, worker },
    );
  }

  succeeded(i: number, attempt: number, value: unknown): void {
    const state = this.state;
    const time = now();
    state.values[i] = value;
    state.status[i] = Code.Succeeded;
    state.finishedAt[i] = time;
    if (state.errors.size > 0) state.errors.delete(i); // an earlier attempt's failure
    const durationMs = time - state.startedAt[i]!;
    this.#emit(
      { type: 'stage:done', time, stage: this.#name(i), attempt, threadId: state.threadIds[i]!, durationMs },
      i,
    );
  }

  /** Stage i succeeds without running: its result came from the cache or the run being resumed. */
  reused(i: number, value: unknown): void {
    const state = this.state;
    const time = now();
    state.values[i] = value;
    state.status[i] = Code.Succeeded;
    state.startedAt[i] = time;
    state.finishedAt[i] = time;
    const stage = this.#name(i);
    this.#emit({ type: 'stage:done', time, stage, attempt: 0, threadId: 0, durationMs: 0, cached: true }, i);
  }

  retrying(i: number, attempt: number, delayMs: number, error: StageFailedError): void {
    this.state.status[i] = Code.Retrying;
    // Kept, so a stage skipped or cancelled while it waits still shows why it was retrying.
    this.state.errors.set(i, error);
    this.#emit({ type: 'stage:retry', time: now(), stage: this.#name(i), attempt, delayMs, error });
  }

  failed(i: number, attempt: number, error: StageFailedError): void {
    const state = this.state;
    const time = now();
    if (state.startedAt[i] === 0) state.startedAt[i] = time;
    state.finishedAt[i] = time;
    state.status[i] = Code.Failed;
    state.errors.set(i, error);
    const durationMs = time - state.startedAt[i]!;
    this.#emit({
      type: 'stage:error',
      time,
      stage: this.#name(i),
      attempt,
      threadId: attempt === 0 ? 0 : state.threadIds[i]!,
      durationMs,
      error,
    });
  }

  skipped(i: number, reason: string): void {
    const time = now();
    this.state.finishedAt[i] = time;
    this.state.status[i] = Code.Skipped;
    this.#emit({ type: 'stage:skip', time, stage: this.#name(i), reason });
  }

  /** `attempt` is the attempt that was stopped, or 0 when the stage had not started. */
  cancelled(i: number, attempt: number): void {
    const time = now();
    this.state.finishedAt[i] = time;
    this.state.status[i] = Code.Cancelled;
    this.#emit({ type: 'stage:cancel', time, stage: this.#name(i), attempt });
  }

  #name(i: number): string {
    return this.#graph.names[i]!;
  }
}
