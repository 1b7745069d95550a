import { existsSync, readFileSync } from 'node:fs';
import { TsdagsError } from '../errors.js';
import type { Graph } from '../graph/graph.js';
import { now, type ResumeInfo, type RunEvent } from '../run/events.js';
import type { Recorder } from '../run/recorder.js';
import { Code, type RunState } from '../run/run-result.js';
import { decode, encode, errorJson } from './codec.js';
import type { FileRunStore, RunLogWriter } from './file-run-store.js';
import { writeFileAtomicSync } from './files.js';
import { cacheKey, fingerprint } from './fingerprint.js';
import type { RecordLine, StoredResult } from './run-record.js';

// Results up to this size sit inline in their event line; larger ones get a file of their own.
const inlineLimit = 16 * 1024;

export interface RecorderOptions {
  readonly store: FileRunStore;
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
 * The run's record in a FileRunStore: every event appended as it happens (a `stage:done` with its
 * result, written before the event is announced), results reused from a resumed run, and the
 * input-keyed cache.
 */
export class RunRecorder implements Recorder {
  readonly restored: Map<number, unknown>;
  readonly resume: ResumeInfo | undefined;
  readonly #options: RecorderOptions;
  readonly #writer: RunLogWriter;
  readonly #fingerprints: (string | undefined)[];
  readonly #cacheKeys = new Map<number, string>();
  #state: RunState | undefined;

  constructor(options: RecorderOptions) {
    this.#options = options;
    const { store, graph } = options;
    this.#fingerprints = new Array<string | undefined>(graph.stages.length);
    const plan = options.resume === undefined ? undefined : this.#planResume(options.resume);
    this.restored = plan?.restored ?? new Map();
    this.resume = plan?.info;
    this.#writer = store.beginRun({
      format: 'tsdags-run',
      version: 1,
      runId: options.runId,
      pipeline: options.pipeline,
      // Fractional ms, like the events' times: runs started within one millisecond still sort.
      startedAt: now(),
      cores: options.cores,
      ...(plan ? { resumedFrom: plan.info.from } : {}),
      stages: Object.fromEntries(graph.stages.map((s) => [s.name, ''])),
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
    const file = this.#options.store.cacheFile(key);
    if (!existsSync(file)) return undefined;
    try {
      return { value: decode(readFileSync(file)) };
    } catch {
      return undefined; // A damaged cache entry is a miss: the stage runs and rewrites it.
    }
  }

  record(event: RunEvent, i?: number): void {
    try {
      this.#record(event, i);
    } catch (cause) {
      const stage = 'stage' in event ? ` for stage "${event.stage}"` : '';
      throw new TsdagsError(
        'STORE_WRITE',
        `The run record in ${this.#writer.dir} could not be written${stage} ` +
          `(${cause instanceof Error ? cause.message : String(cause)}). Check that the store directory is ` +
          'writable and has room, or run with storeDir: false to keep no record.',
        { cause },
      );
    }
  }

  #record(event: RunEvent, i?: number): void {
    const writer = this.#writer;
    switch (event.type) {
      case 'stage:done': {
        const value = this.#state!.values[i!];
        const cached = this.#cacheKeys.get(i!);
        if (cached !== undefined && !event.cached) this.#writeCache(cached, event.stage, value);
        writer.append({
          ...event,
          fingerprint: this.#fingerprint(i!),
          result: this.#store(event.stage, value),
        });
        writer.flush();
        return;
      }
      case 'stage:error':
      case 'stage:retry':
        writer.append({ ...event, error: errorJson(event.error) });
        writer.flush();
        return;
      case 'run:done':
        writer.append(event);
        writer.flush();
        return;
      default:
        writer.append(event);
    }
  }

  async close(error?: Error): Promise<void> {
    const state = this.#state;
    const counts: Record<string, number> = {};
    const durations: Record<string, number> = {};
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
      state.graph.stages.forEach((stage, i) => {
        const code = state.status[i]!;
        const name = names[code]!;
        counts[name] = (counts[name] ?? 0) + 1;
        if (code === Code.Succeeded && state.attempts[i]! > 0) {
          durations[stage.name] = state.finishedAt[i]! - state.startedAt[i]!;
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
    this.#writer.close({ status, finishedAt: now(), counts });
    if (Object.keys(durations).length > 0)
      this.#options.store.writeDurations(this.#options.pipeline, durations);
  }

  // The cache is a convenience: an entry that cannot be written is a warning, not a failed run.
  #writeCache(key: string, stage: string, value: unknown): void {
    const file = this.#options.store.cacheFile(key);
    try {
      const bytes = encode(value);
      if (bytes) writeFileAtomicSync(file, bytes);
    } catch (error) {
      console.warn(
        `tsdags: the cached result of stage "${stage}" could not be written to ${file} ` +
          `(${error instanceof Error ? error.message : String(error)}); the stage will run again next time.`,
      );
    }
  }

  #fingerprint(i: number): string {
    return (this.#fingerprints[i] ??= fingerprint(this.#options.graph, i));
  }

  #store(stage: string, value: unknown): StoredResult {
    // Most results are small scalars: JSON, without a V8 serializer per stage.
    if (value === undefined) return { undefined: true };
    const small = typeof value === 'string' ? value.length <= inlineLimit : true;
    if (
      small &&
      (value === null || typeof value === 'boolean' || typeof value === 'string' || Number.isFinite(value))
    ) {
      return { json: value as string | number | boolean | null };
    }
    const bytes = encode(value);
    if (!bytes) return { unstored: 'the result cannot be serialized' };
    if (bytes.length <= inlineLimit) return { inline: bytes.toString('base64') };
    return { file: this.#writer.writeResult(stage, bytes) };
  }

  // Which stages keep their stored result: stored, unchanged, and with every upstream stage kept.
  #planResume(resume: string): { restored: Map<number, unknown>; info: ResumeInfo } {
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
      const name = graph.stages[i]!.name;
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
