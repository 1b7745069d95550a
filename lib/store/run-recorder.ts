import { TsdagsError } from '../errors.js';
import type { Graph } from '../graph/graph.js';
import { now, type ResumeInfo, type RunEvent } from '../run/events.js';
import type { Recorder } from '../run/recorder.js';
import { Code, type RunState } from '../run/run-result.js';
import { decode, encode, errorJson, exactJson } from './codec.js';
import { cacheKey, fingerprint } from './fingerprint.js';
import { doneLine, readyLine, startLine, type RecordLine } from './run-record.js';
import type { RunLog, RunStore } from './run-store.js';

// Results up to this size sit inline in their event line; larger ones get a file of their own.
const inlineLimit = 16 * 1024;
// How long a start line may wait for the next write (see #flushSoon).
const startsFlushMs = 250;

interface ResumePlan {
  readonly restored: Map<number, unknown>;
  readonly info: ResumeInfo;
}

export interface RecorderOptions {
  /** Where the record goes. The recorder closes it as the run ends (or when it cannot start). */
  readonly store: RunStore;
  readonly graph: Graph;
  readonly runId: string;
  readonly pipeline: string;
  readonly cores: number;
  /** The run to resume: an id or `'last'`. */
  readonly resume: string | undefined;
  /** The run's default for stages that do not set `cache`. */
  readonly cache: boolean;
}

/**
 * The run's record in a RunStore (files or Redis): every event appended as it happens (a
 * `stage:done` with its result, written before the event is announced), results reused from a
 * resumed run, and the input-keyed cache.
 */
export class RunRecorder implements Recorder {
  readonly restored: Map<number, unknown>;
  readonly resume: ResumeInfo | undefined;
  readonly #options: RecorderOptions;
  readonly #writer: RunLog;
  readonly #fingerprints: (string | undefined)[];
  readonly #cacheKeys = new Map<number, string>();
  #state: RunState | undefined;
  #flushTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: RecorderOptions) {
    this.#options = options;
    const { store, graph } = options;
    this.#fingerprints = new Array<string | undefined>(graph.stages.length);
    let plan: ResumePlan | undefined;
    try {
      // Every stage's fingerprint now, in one warm loop before any stage runs, rather than one at a
      // time as stages end: on worker threads the main thread's time between stages competes with
      // them for the cores, and one call at a time after an idle wait costs several times more.
      for (let i = 0; i < graph.stages.length; i++) this.#fingerprint(i);
      plan = options.resume === undefined ? undefined : this.#planResume(options.resume);
      this.#writer = this.#begin(plan?.info.from);
    } catch (error) {
      void store.close().catch(() => {});
      throw error;
    }
    this.restored = plan?.restored ?? new Map();
    this.resume = plan?.info;
  }

  #begin(resumedFrom: string | undefined): RunLog {
    const { store, graph, ...options } = this.#options;
    // A loop, not Object.fromEntries(map()): no pair array per stage.
    const stages: Record<string, string> = {};
    for (const name of graph.names) stages[name] = '';
    return store.beginRun({
      format: 'tsdags-run',
      version: 1,
      runId: options.runId,
      pipeline: options.pipeline,
      // Fractional ms, like the events' times: runs started within one millisecond still sort.
      startedAt: now(),
      cores: options.cores,
      ...(resumedFrom === undefined ? {} : { resumedFrom }),
      stages,
      status: 'running',
    });
  }

  begin(state: RunState): void {
    this.#state = state;
  }

  caches(i: number): boolean {
    return this.#options.graph.stages[i]!.options.cache ?? this.#options.cache;
  }

  lookup(i: number, inputs: unknown): { value: unknown } | undefined {
    const key = cacheKey(this.#options.graph.stages[i]!, inputs);
    if (key === undefined) return undefined;
    this.#cacheKeys.set(i, key);
    // The cache is a convenience: an entry that cannot be read or decoded is a miss, and the stage
    // runs and rewrites it.
    let bytes: Uint8Array | undefined;
    try {
      bytes = this.#options.store.readCache(key);
    } catch (error) {
      console.warn(
        `tsdags: the cached result of stage "${this.#options.graph.names[i]!}" could not be read from ` +
          `${this.#options.store.location} (${error instanceof Error ? error.message : String(error)}); the stage runs.`,
      );
      return undefined;
    }
    if (bytes === undefined) return undefined;
    try {
      return { value: decode(bytes) };
    } catch {
      return undefined;
    }
  }

  record(event: RunEvent, i?: number): void {
    try {
      this.#record(event, i);
    } catch (cause) {
      const stage = 'stage' in event ? ` for stage "${event.stage}"` : '';
      throw new TsdagsError(
        'STORE_WRITE',
        `The run record in ${this.#writer.location} could not be written${stage} ` +
          `(${cause instanceof Error ? cause.message : String(cause)}). ${this.#options.store.writeAdvice}`,
        { cause },
      );
    }
  }

  #record(event: RunEvent, i?: number): void {
    const writer = this.#writer;
    switch (event.type) {
      case 'stage:ready':
        writer.append(readyLine(event));
        return;
      case 'stage:start':
        writer.append(startLine(event));
        this.#flushSoon();
        return;
      case 'stage:done': {
        const value = this.#state!.values[i!];
        const cached = this.#cacheKeys.get(i!);
        if (cached !== undefined && !event.cached) this.#writeCache(cached, event.stage, value);
        writer.append(doneLine(event, this.#fingerprint(i!), this.#resultJson(event.stage, value)));
        writer.flush();
        return;
      }
      case 'stage:error':
      case 'stage:retry':
        writer.append(JSON.stringify({ ...event, error: errorJson(event.error) }));
        writer.flush();
        return;
      case 'run:done':
        writer.append(JSON.stringify(event));
        writer.flush();
        return;
      default:
        writer.append(JSON.stringify(event));
    }
  }

  // Ready and start lines wait for the next line that must be on disk before it is announced (an
  // end): one write for many lines. A stage that runs long is still in the record as started
  // within startsFlushMs, for `tsdags show` of a run that was killed.
  #flushSoon(): void {
    if (this.#flushTimer !== undefined) return;
    this.#flushTimer = setTimeout(() => {
      this.#flushTimer = undefined;
      try {
        this.#writer.flush();
      } catch {
        // The next end's flush meets the same failure, and fails the run with it.
      }
    }, startsFlushMs);
    this.#flushTimer.unref();
  }

  async close(error?: Error): Promise<void> {
    clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    const state = this.#state;
    const counts: Record<string, number> = {};
    const durations: Record<string, number> = {};
    let timed = false;
    let status: 'succeeded' | 'failed' | 'cancelled' = 'succeeded';
    if (state) {
      const names = [
        'pending',
        'pending',
        'running',
        'succeeded',
        'failed',
        'skipped',
        'cancelled',
        'pending',
      ];
      state.graph.names.forEach((stage, i) => {
        const code = state.status[i]!;
        const name = names[code]!;
        counts[name] = (counts[name] ?? 0) + 1;
        if (code === Code.Succeeded && state.attempts[i]! > 0) {
          durations[stage] = state.finishedAt[i]! - state.startedAt[i]!;
          timed = true;
        }
      });
      // A stage still running or pending at the end means the run did not finish (it was stopped
      // by an error of the engine or of this record): not a success.
      const unfinished = (counts['running'] ?? 0) + (counts['pending'] ?? 0) > 0;
      status = counts['cancelled']
        ? 'cancelled'
        : counts['failed'] || unfinished || error
          ? 'failed'
          : 'succeeded';
    }
    const { store, pipeline } = this.#options;
    try {
      this.#writer.close({ status, finishedAt: now(), counts });
      if (timed) store.writeDurations(pipeline, durations);
    } finally {
      await store.close();
    }
  }

  // The cache is a convenience: an entry that cannot be written is a warning, not a failed run.
  #writeCache(key: string, stage: string, value: unknown): void {
    const store = this.#options.store;
    try {
      const bytes = encode(value);
      if (bytes) store.writeCache(key, bytes);
    } catch (error) {
      console.warn(
        `tsdags: the cached result of stage "${stage}" could not be written to ${store.location} ` +
          `(${error instanceof Error ? error.message : String(error)}); the stage will run again next time.`,
      );
    }
  }

  #fingerprint(i: number): string {
    return (this.#fingerprints[i] ??= fingerprint(this.#options.graph, i));
  }

  // Where the result is kept (a StoredResult), as JSON text. Most results are small: JSON, without
  // a V8 serializer per stage.
  #resultJson(stage: string, value: unknown): string {
    if (value === undefined) return '{"undefined":true}';
    const json = exactJson(value, inlineLimit);
    if (json !== undefined && json.length <= inlineLimit) return `{"json":${json}}`;
    const bytes = encode(value);
    if (!bytes) return '{"unstored":"the result cannot be serialized"}';
    if (bytes.length <= inlineLimit) return `{"inline":"${bytes.toString('base64')}"}`;
    return JSON.stringify({ file: this.#writer.writeResult(stage, bytes) });
  }

  // Which stages keep their stored result: stored, unchanged, and with every upstream stage kept.
  #planResume(resume: string): ResumePlan {
    const { store, graph, pipeline } = this.#options;
    const stored = store.readRun(resume, pipeline);
    for (const warning of stored.warnings) console.warn(`tsdags: ${warning}`);
    const done = new Map<string, RecordLine & { fingerprint?: string }>();
    for (const line of stored.lines) {
      if (
        line.type === 'stage:done' &&
        line.stage !== undefined &&
        line.result &&
        !('unstored' in line.result)
      ) {
        done.set(line.stage, line);
      }
    }
    const before = new Set(Object.keys(stored.meta.stages));
    const restored = new Map<number, unknown>();
    const changed: string[] = [];
    for (const i of graph.order) {
      const name = graph.names[i]!;
      const line = done.get(name);
      if (!before.has(name) || (line && line.fingerprint !== this.#fingerprint(i))) {
        changed.push(name);
        continue;
      }
      if (!line) continue;
      let upstreamKept = true;
      for (let e = graph.parentStart[i]!; e < graph.parentStart[i + 1]!; e++) {
        if (!restored.has(graph.parents[e]!)) upstreamKept = false;
      }
      if (!upstreamKept) continue;
      const result = stored.result(line);
      if (result) restored.set(i, result.value);
    }
    return { restored, info: { from: stored.meta.runId, restored: restored.size, changed } };
  }
}
