/**
 * `pipeline.run()` with a run store of the spec's choosing, as pipeline.ts builds a run, for
 * main-thread stages: the run store specs use it to run the same cases against FileRunStore and
 * RedisRunStore without depending on how pipeline.ts picks a store from its options.
 */
import type { Pipeline, RunResult } from 'tsdags';
import { MainThreadExecutor } from '../../lib/executors/main-thread.js';
import { Engine } from '../../lib/run/engine.js';
import { EventLog } from '../../lib/run/event-log.js';
import { Run } from '../../lib/run/run.js';
import { FileKeyValueStore } from '../../lib/store/file-key-value-store.js';
import { RunRecorder } from '../../lib/store/run-recorder.js';
import type { RunStore } from '../../lib/store/run-store.js';

export interface StoreRunOptions {
  readonly runId?: string;
  readonly resume?: string;
  readonly cache?: boolean;
  readonly cores?: number;
  readonly onError?: 'stop' | 'continue';
}

let n = 0;

/** Starts a run recorded in `store`; the recorder closes the store as the run ends. */
export function runWithStore(pipeline: Pipeline, store: RunStore, options: StoreRunOptions = {}): Run {
  const runId = options.runId ?? `spec-${process.pid}-${++n}-${Date.now()}`;
  const graph = pipeline.graph();
  const cores = options.cores ?? 2;
  const recorder = new RunRecorder({
    store,
    graph,
    runId,
    pipeline: pipeline.name,
    cores,
    resume: options.resume,
    cache: options.cache ?? false,
  });
  const main = new MainThreadExecutor();
  const log = new EventLog();
  const engine = new Engine(
    graph,
    {
      runId,
      cores,
      thread: 'main',
      onError: options.onError ?? 'stop',
      executors: { main, worker: main },
      defaults: options,
      recorder,
      resume: recorder.resume,
      store: new FileKeyValueStore('.tsdags'),
      durations: store.readDurations(pipeline.name),
    },
    log,
  );
  const run = new Run(runId, log.observable, engine.done, engine, graph);
  engine.start();
  return run;
}

export async function startWithStore(
  pipeline: Pipeline,
  store: RunStore,
  options: StoreRunOptions = {},
): Promise<RunResult> {
  return runWithStore(pipeline, store, options).done;
}
