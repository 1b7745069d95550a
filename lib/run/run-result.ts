import { StageFailedError, StageSkippedError, TsdagsError } from '../errors.js';
import type { Graph } from '../graph/graph.js';
import type { Stage } from '../stage/stage.js';
import { runSvg } from '../viz/run-svg.js';
import { timelineSvg } from '../viz/timeline-svg.js';
import { writeSvg } from '../viz/write-svg.js';
import type { RunEvent, RunStatus, StageStatus } from './events.js';

/** One stage's record in a finished run. */
export interface StageResult {
  readonly status: StageStatus;
  readonly attempts: number;
  /** Milliseconds since the epoch, or undefined when it never started. */
  readonly startedAt: number | undefined;
  readonly finishedAt: number | undefined;
  readonly durationMs: number | undefined;
  readonly error: Error | undefined;
  /** The thread of its last attempt: 0 for the main thread, else a worker's threadId. */
  readonly threadId: number | undefined;
}

/** @internal The engine's per-stage state, in flat arrays indexed like the graph. */
export interface RunState {
  readonly graph: Graph;
  readonly status: Uint8Array;
  readonly attempts: Uint16Array;
  readonly startedAt: Float64Array;
  readonly finishedAt: Float64Array;
  readonly threadIds: Int32Array;
  readonly values: unknown[];
  readonly errors: Map<number, Error>;
}

/** @internal Status codes in `RunState.status`. */
export const Code = {
  Pending: 0,
  Ready: 1,
  Running: 2,
  Succeeded: 3,
  Failed: 4,
  Skipped: 5,
  Cancelled: 6,
  /** Failed an attempt; waits for its back-off before going back to the ready queue. */
  Retrying: 7,
} as const;

const statusNames: StageStatus[] = [
  'pending',
  'pending',
  'pending',
  'succeeded',
  'failed',
  'skipped',
  'cancelled',
  'pending',
];

/** What a finished run reports: its status, each stage's record, and the stages' results. */
export class RunResult {
  readonly runId: string;
  readonly status: RunStatus;
  readonly startedAt: number;
  readonly finishedAt: number;
  /** Why the run was cancelled (what `run.cancel()` or the `signal` was given), when it was. */
  readonly cancelReason: unknown;
  /** Every event of the run, in order. */
  readonly events: readonly RunEvent[];
  readonly #state: RunState;
  #stages: Record<string, StageResult> | undefined;

  /** @internal */
  constructor(
    runId: string,
    status: RunStatus,
    startedAt: number,
    finishedAt: number,
    state: RunState,
    events: readonly RunEvent[],
    cancelReason?: unknown,
  ) {
    this.cancelReason = cancelReason;
    this.runId = runId;
    this.events = events;
    this.status = status;
    this.startedAt = startedAt;
    this.finishedAt = finishedAt;
    this.#state = state;
  }

  get durationMs(): number {
    return this.finishedAt - this.startedAt;
  }

  /** Each stage's record, by stage name (built on first access). */
  get stages(): Readonly<Record<string, StageResult>> {
    return (this.#stages ??= this.#buildStages());
  }

  /** The stages that failed, in the order they failed. */
  get errors(): StageFailedError[] {
    const failed = [...this.#state.errors.entries()].filter(([i]) => this.#state.status[i] === Code.Failed);
    failed.sort(([a], [b]) => this.#state.finishedAt[a]! - this.#state.finishedAt[b]!);
    return failed.map(([, error]) => error as StageFailedError);
  }

  /** The graph the run ran. */
  get graph(): Graph {
    return this.#state.graph;
  }

  /**
   * Draws the run as SVG: the pipeline with each stage coloured by its final state, its duration
   * and attempts in its box, and a failed stage's error in its tooltip. Resolves with the SVG
   * text, after writing it to `file` (directories created) when given.
   *
   * @example
   * const result = await pipeline.run().done;
   * await result.visualize('run.svg');
   */
  async visualize(file?: string): Promise<string> {
    const svg = runSvg(this);
    if (file !== undefined) await writeSvg(file, svg);
    return svg;
  }

  /**
   * Draws the run's timeline as SVG: a lane per thread or remote worker, a bar per attempt
   * coloured by how it ended, a time axis in seconds, and the critical path outlined. Resolves
   * with the SVG text, after writing it to `file` (directories created) when given.
   *
   * @example
   * await result.timeline('timeline.svg');
   */
  async timeline(file?: string): Promise<string> {
    const svg = timelineSvg(this);
    if (file !== undefined) await writeSvg(file, svg);
    return svg;
  }

  /** A stage's result. Throws when the stage is not in the run or did not succeed. */
  output<T>(stage: Stage<T> | string): T {
    const state = this.#state;
    const i = typeof stage === 'string' ? state.graph.names.indexOf(stage) : state.graph.indexOf(stage);
    const name = typeof stage === 'string' ? stage : (state.graph.names[i] ?? stage.name);
    if (i < 0) {
      throw new TsdagsError(
        'UNKNOWN_STAGE',
        `Expected a stage of this run, got "${name}", which is not in its pipeline. Add it with pipeline.addStage().`,
      );
    }
    if (state.status[i] !== Code.Succeeded) {
      throw (
        state.errors.get(i) ?? new StageSkippedError(name, `its status is ${statusNames[state.status[i]!]}`)
      );
    }
    return state.values[i] as T;
  }

  #buildStages(): Record<string, StageResult> {
    const { graph, status, attempts, startedAt, finishedAt, threadIds, errors } = this.#state;
    const out: Record<string, StageResult> = {};
    graph.names.forEach((name, i) => {
      const started = attempts[i]! > 0;
      const finished = finishedAt[i]! > 0;
      out[name] = {
        status: statusNames[status[i]!]!,
        attempts: attempts[i]!,
        startedAt: started ? startedAt[i] : undefined,
        finishedAt: finished ? finishedAt[i] : undefined,
        durationMs: started && finished ? finishedAt[i]! - startedAt[i]! : undefined,
        error: errors.get(i),
        threadId: started ? threadIds[i] : undefined,
      };
    });
    return out;
  }
}
