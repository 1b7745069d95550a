/**
 * tsdags: a lightweight, local-first DAG engine for TypeScript.
 *
 * Glossary:
 * - stage: one unit of work, a node of the DAG; made by a `stage(fn)` factory or a `Stage` subclass.
 * - pipeline: a DAG of stages; `.after()` and stage arguments are its edges.
 * - run: one execution of a pipeline, with its events, its stages' results and its end.
 * - executor: where a stage runs: a worker thread (default for function stages), the main thread,
 *   or a remote worker (`tsdags worker`) reached through BullMQ and Redis.
 * - store: where run records, stage results and the cache are kept (`.tsdags/` files by default),
 *   and the key-value store stages reach as `ctx.store` (files, or Redis).
 *
 * @packageDocumentation
 */

// Building pipelines
export { stage } from './stage/stage-factory.js';
export type { Input, StageArg, StageFactory } from './stage/stage-factory.js';
export { Stage } from './stage/stage.js';
export type {
  KeyValueStore,
  ResourceLimits,
  StageContext,
  StageLogger,
  StageOptions,
  Thread,
} from './stage/stage.js';
export { Pipeline } from './pipeline.js';
export type { PipelineOptions } from './pipeline.js';
export type { RunOptions } from './run-options.js';
export type { Graph } from './graph/graph.js';

// Running them
export { Run } from './run/run.js';
export { RunResult } from './run/run-result.js';
export type { StageResult } from './run/run-result.js';
export type {
  ResumeInfo,
  RunDoneEvent,
  RunEvent,
  RunStartEvent,
  RunStatus,
  StageCancelEvent,
  StageDoneEvent,
  StageErrorEvent,
  StageReadyEvent,
  StageRetryEvent,
  StageSkipEvent,
  StageStartEvent,
  StageStatus,
} from './run/events.js';

// Stores
export { FileKeyValueStore } from './store/file-key-value-store.js';
export { RedisKeyValueStore } from './store/redis-key-value-store.js';
export type { RedisConnection } from './remote/redis-connection.js';
export { FileRunStore } from './store/file-run-store.js';
export { RedisRunStore, type RedisRunStoreOptions } from './store/redis-run-store.js';
export type { RunStore, RunLog, StoredRun } from './store/run-store.js';
export type { RunSummary } from './store/run-record.js';
export { InvalidStoreKeyError, RunNotFoundError, StoreCorruptError } from './store/store-errors.js';

// Pictures
export { pipelineSvg } from './viz/pipeline-svg.js';
export type { PipelineSvgOptions } from './viz/pipeline-svg.js';
export { runSvg } from './viz/run-svg.js';
export type { RunSvgOptions } from './viz/run-svg.js';
export { timelineSvg } from './viz/timeline-svg.js';
export type { TimelineSvgOptions } from './viz/timeline-svg.js';
export { writeSvg } from './viz/write-svg.js';
export type { LayoutAlgorithm, LayoutOptions } from './viz/layout.js';

// Remote workers
export { startWorker } from './remote/start-worker.js';
export type { RemoteWorker, RemoteWorkerOptions } from './remote/start-worker.js';
export type { RemoteThread } from './remote/job-runner.js';
export {
  RedisUnavailableError,
  RemoteJobRejectedError,
  RemoteStageLostError,
} from './remote/remote-errors.js';

// Errors
export {
  CancelledError,
  CycleError,
  DuplicateStageError,
  EmptyInputError,
  InternalError,
  RunFailedError,
  StageFailedError,
  StageNotFoundError,
  StageSkippedError,
  TimeoutError,
  TsdagsError,
  UncloneableValueError,
} from './errors.js';
