import { catchError, defer, from, map, NEVER, throwError, type Observable } from './rx.js';
import { StageSkippedError, TsdagsError } from '../errors.js';
import type { Graph } from '../graph/graph.js';
import type { Stage } from '../stage/stage.js';
import type { Engine } from './engine.js';
import type { RunEvent } from './events.js';
import type { RunResult } from './run-result.js';

/**
 * A pipeline being run: its events, each stage's result as an Observable, and its end.
 *
 * @example
 * const run = pipeline.run({ cores: 4 });
 * run.events.subscribe((e) => console.log(e.type, 'stage' in e ? e.stage : ''));
 * run.output(clean).subscribe((rows) => console.log(rows.length));
 * const result = await run.done;
 */
export class Run {
  /** The run's id: time-ordered, unique, safe in file names and queue ids. */
  readonly id: string;
  /** Every event of the run, replayed from the start for late subscribers; completes at `run:done`. */
  readonly events: Observable<RunEvent>;
  /** Resolves with the run's result when it is over, whether it succeeded, failed or was cancelled. */
  readonly done: Promise<RunResult>;
  readonly #engine: Engine | undefined;
  readonly #graph: Graph | undefined;

  /** @internal */
  constructor(
    id: string,
    events: Observable<RunEvent>,
    done: Promise<RunResult>,
    engine?: Engine,
    graph?: Graph,
  ) {
    this.id = id;
    this.events = events;
    this.done = done;
    this.#engine = engine;
    this.#graph = graph;
  }

  /** @internal A run that never starts: what `run()` returns inside a worker thread. */
  static inert(id: string): Run {
    return new Run(id, NEVER, new Promise<RunResult>(() => {}));
  }

  /** The stage's result: emits once when the stage succeeds, then completes; errors if it does not succeed. */
  output<T>(stage: Stage<T>): Observable<T> {
    const engine = this.#engine;
    const graph = this.#graph;
    if (!engine || !graph) return NEVER;
    const i = graph.indexOf(stage);
    if (i < 0) {
      throw new TsdagsError(
        'UNKNOWN_STAGE',
        `Expected a stage of this run's pipeline, got "${stage.name}". Add it with pipeline.addStage() before run().`,
      );
    }
    const settled = from(this.done).pipe(map((result) => result.output(stage)));
    return defer(() => {
      const signal = engine.signal(i) as Observable<T> | undefined;
      if (!signal) return settled;
      return signal.pipe(
        catchError(() =>
          throwError(
            () => engine.state.errors.get(i) ?? new StageSkippedError(stage.name, 'it did not succeed'),
          ),
        ),
      );
    });
  }

  /** Waits for the run to end, then draws it: see `RunResult.visualize()`. */
  async visualize(file?: string): Promise<string> {
    return (await this.done).visualize(file);
  }

  /** Waits for the run to end, then draws its timeline: see `RunResult.timeline()`. */
  async timeline(file?: string): Promise<string> {
    return (await this.done).timeline(file);
  }

  /** Stops the run: no new stage starts, stages in flight are stopped, and the run ends `cancelled`. */
  cancel(reason?: unknown): void {
    this.#engine?.cancel(reason);
  }
}
