import type { RecordLine, RunMeta, RunSummary } from './run-record.js';

/** A run read back from a store. */
export interface StoredRun {
  readonly meta: RunMeta;
  readonly lines: readonly RecordLine[];
  /** Problems that did not stop the read (a truncated last line), to show the user. */
  readonly warnings: readonly string[];
  /** Decodes a stage result the run stored. */
  result(line: RecordLine): { value: unknown } | undefined;
}

/**
 * Where run records, stage results, the cache and remembered durations are kept: files
 * (FileRunStore, the default) or Redis (RedisRunStore). Every call is synchronous, because the
 * engine's recorder is: a `stage:done` is stored before the event is announced.
 */
export interface RunStore {
  /** Where the records are, for messages: a directory, or a Redis address and key prefix. */
  readonly location: string;
  /** What to tell a user whose run record could not be written. */
  readonly writeAdvice: string;
  /** Starts a run's record: writes its header (refusing a run id the store holds) and opens its log. */
  beginRun(meta: RunMeta): RunLog;
  /** Whether the store holds a run with this id. */
  hasRun(runId: string): boolean;
  /** Every stored run, oldest first. */
  listRuns(): RunSummary[];
  /** Reads a run back: by id, or `'last'` for the latest run (of `pipeline`, when given). */
  readRun(runId: string, pipeline?: string): StoredRun;
  /** A cached stage result's bytes, by cache key; undefined when there is none. */
  readCache(key: string): Uint8Array | undefined;
  writeCache(key: string, bytes: Uint8Array): void;
  /** Stage durations of the pipeline's last run, ms by stage name. */
  readDurations(pipeline: string): Map<string, number> | undefined;
  writeDurations(pipeline: string, durations: Record<string, number>): void;
  /** Lets go of what the store holds open (a connection); it is not used after. */
  close(): Promise<void>;
}

/** One run's record as it is written: events appended, then flushed to the store. */
export interface RunLog {
  /** Where this run's record is, for messages. */
  readonly location: string;
  /** Appends one event line, as its JSON text (the recorder writes it; one line, no newline). */
  append(json: string): void;
  /** Makes what was appended durable before it returns. */
  flush(): void;
  /** Stores a result too large to sit in its line; returns the name a `{ file }` result keeps. */
  writeResult(stage: string, bytes: Uint8Array): string;
  /** Flushes, closes the log and rewrites the header with the run's outcome. */
  close(outcome: Pick<RunMeta, 'status' | 'finishedAt' | 'counts'>): void;
}
