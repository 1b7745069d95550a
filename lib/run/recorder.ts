import type { RunEvent } from './events.js';
import type { RunState } from './run-result.js';

/**
 * What the engine asks of a run's record (lib/store/ implements it): the results an earlier run
 * left to reuse, a cache to look in, and a place to write every event as it happens.
 */
export interface Recorder {
  /** Called once as the run starts, with the state the engine fills in. */
  begin(state: RunState): void;
  /** Results reused from the run being resumed, by stage index. */
  readonly restored: ReadonlyMap<number, unknown>;
  /** Whether stage i is cached (so that `lookup` can find it). */
  caches(i: number): boolean;
  /** Stage i's cached result for these inputs, or undefined when there is none. */
  lookup(i: number, inputs: unknown): { value: unknown } | undefined;
  /**
   * Records an event. A `stage:done` of stage i (with its result in `state.values[i]`) is stored
   * durably before this returns, so that whoever sees the event can rely on a resume reusing it.
   */
  record(event: RunEvent, i?: number): void;
  /** Flushes and closes the record once the run is over; `error` when the run died of one. */
  close(error?: Error): Promise<void>;
}
