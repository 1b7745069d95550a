/**
 * Runs a pipeline with a given worker executor, as `pipeline.run()` builds its engine. Until
 * RunOptions takes `executor: 'bullmq'` this is how the remote specs choose the executor; the
 * lead's wiring replaces it with `pipeline.run({ executor: 'bullmq', redis, queue })`.
 */
import { randomBytes } from 'node:crypto';
import type { Pipeline } from 'tsdags';
import type { Executor } from '../../lib/executors/executor.js';
import { MainThreadExecutor } from '../../lib/executors/main-thread.js';
import { Engine, type EngineOptions } from '../../lib/run/engine.js';
import { EventLog } from '../../lib/run/event-log.js';
import { Run } from '../../lib/run/run.js';

export interface RunWithOptions {
  cores?: number;
  onError?: 'stop' | 'continue';
  /** The run's id; default a new one. The same id again is a restarted orchestrator. */
  runId?: string;
}

export function runWith(
  pipeline: Pipeline,
  worker: (runId: string) => Executor,
  { cores = 4, onError = 'stop', runId = newRunId() }: RunWithOptions = {},
): Run {
  const graph = pipeline.graph();
  const log = new EventLog();
  const values = new Map<string, unknown>();
  const options: EngineOptions = {
    runId,
    cores,
    thread: undefined,
    onError,
    executors: { main: new MainThreadExecutor(), worker: worker(runId) },
    defaults: {},
    recorder: undefined,
    durations: undefined,
    store: {
      get: async <T>(key: string) => values.get(key) as T | undefined,
      set: async (key: string, value: unknown) => {
        values.set(key, value);
      },
      delete: async (key: string) => values.delete(key),
    },
  };
  const engine = new Engine(graph, options, log);
  const run = new Run(runId, log.observable, engine.done, engine, graph);
  engine.start();
  return run;
}

export function newRunId(): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}
