/**
 * Which worker stages are short, judged by how long their definition's recent runs took: a lane
 * may hold several short stages, sent to its thread together (worker-lane.ts), and a remote worker
 * runs them on its main thread (job-runner.ts).
 */
import type { Stage, StageDefinition } from '../stage/stage.js';
import { laneDepth } from './worker-lane.js';
import { shortMs } from './worker-protocol.js';

/** How much of a definition's longest recent run weighs at its next run (ms = max(ms, recent × this)). */
const forgetting = 0.9;

export class RunTimes {
  // How long each definition's recent runs took at most (ms), forgetting slowly.
  readonly #recentMs = new WeakMap<StageDefinition, number>();

  /** `queuedMs`: the work of short stages a lane holds (ms): a stage that becomes ready waits about this long at most. */
  constructor(readonly queuedMs: number) {}

  /** A run of the definition took `ms`. */
  ran(definition: StageDefinition, ms: number): void {
    this.#recentMs.set(definition, Math.max(ms, (this.#recentMs.get(definition) ?? 0) * forgetting));
  }

  /**
   * How many stages a lane may hold with this one among them, if it is short: its definition's
   * recent runs all took under shortMs. As many as make about queuedMs of work (at least 2, at
   * most laneDepth), so a stage that becomes ready later waits little behind them; 0 for a stage
   * that is not short.
   */
  depthOf(stage: Stage): number {
    if (stage.options.resourceLimits || !this.isShort(stage.definition)) return 0;
    const recent = this.#recentMs.get(stage.definition)!;
    return Math.max(2, Math.min(laneDepth, Math.floor(this.queuedMs / Math.max(recent, 0.01))));
  }

  /** Whether the definition's recent runs all took under shortMs. */
  isShort(definition: StageDefinition): boolean {
    const recent = this.#recentMs.get(definition);
    return recent !== undefined && recent < shortMs;
  }
}
