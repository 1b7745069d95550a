import type { RunStatus, StageDoneEvent, StageReadyEvent, StageStartEvent } from '../run/events.js';

/** The header of a stored run: `runs/<runId>/run.json`, rewritten atomically as the run ends. */
export interface RunMeta {
  readonly format: 'tsdags-run';
  readonly version: 1;
  readonly runId: string;
  readonly pipeline: string;
  readonly startedAt: number;
  readonly cores: number;
  readonly resumedFrom?: string;
  /** Each stage's fingerprint (its definition, source, arguments and upstream names), by name. */
  readonly stages: Readonly<Record<string, string>>;
  readonly status: 'running' | RunStatus;
  readonly finishedAt?: number;
  /** Stage counts by final status, once the run is over. */
  readonly counts?: Readonly<Record<string, number>>;
}

/** A value that JSON gives back as it was. */
export type JsonValue =
  string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/**
 * Where a `stage:done` line keeps the stage's result. `json` held only scalars in records written
 * before arrays and plain objects could sit there too; readers take either.
 */
export type StoredResult =
  | { readonly json: JsonValue }
  | { readonly undefined: true }
  | { readonly inline: string }
  | { readonly file: string }
  | { readonly unstored: string };

/** One line of `events.jsonl`: an event as JSON, with the result of a `stage:done`. */
export interface RecordLine {
  readonly type: string;
  readonly time: number;
  readonly stage?: string;
  readonly attempt?: number;
  readonly durationMs?: number;
  readonly threadId?: number;
  readonly worker?: string;
  readonly cached?: true;
  readonly status?: RunStatus;
  readonly reason?: string;
  readonly delayMs?: number;
  readonly error?: { name: string; code?: string; message: string };
  readonly result?: StoredResult;
  /** A `stage:done`'s stage fingerprint, compared on resume. */
  readonly fingerprint?: string;
}

/** A summary of one stored run, as `tsdags runs` lists them. */
export interface RunSummary {
  readonly runId: string;
  readonly pipeline: string;
  readonly startedAt: number;
  readonly status: 'running' | RunStatus;
  readonly durationMs: number | undefined;
  readonly stages: number;
  readonly counts: Readonly<Record<string, number>> | undefined;
}

// The three lines every stage writes (ready, start, done) are spelled out as text: JSON.stringify of
// an event spread with its extra fields cost ~5 µs a line on Node 20, a template ~0.5. The text is
// what JSON.stringify gave, field for field and in the same order. `Spelled` makes a function's
// parameter `never`, so the build fails, when its event type gains a field the text does not write.
type Spelled<E, Written extends keyof E> = Exclude<keyof E, Written> extends never ? E : never;

/** A number as JSON writes it (null for NaN and infinities). */
function num(n: number): string {
  return Number.isFinite(n) ? `${n}` : 'null';
}

/** A `stage:ready` line. */
export function readyLine(e: Spelled<StageReadyEvent, 'type' | 'time' | 'stage'>): string {
  return `{"type":"stage:ready","time":${num(e.time)},"stage":${JSON.stringify(e.stage)}}`;
}

/** A `stage:start` line. */
export function startLine(
  e: Spelled<StageStartEvent, 'type' | 'time' | 'stage' | 'attempt' | 'threadId' | 'worker'>,
): string {
  const worker = e.worker === undefined ? '' : `,"worker":${JSON.stringify(e.worker)}`;
  return (
    `{"type":"stage:start","time":${num(e.time)},"stage":${JSON.stringify(e.stage)},` +
    `"attempt":${num(e.attempt)},"threadId":${num(e.threadId)}${worker}}`
  );
}

/**
 * A `stage:done` line, with the stage's fingerprint (hex, so without escapes) and its result as
 * the JSON text of a StoredResult.
 */
export function doneLine(
  e: Spelled<StageDoneEvent, 'type' | 'time' | 'stage' | 'attempt' | 'threadId' | 'durationMs' | 'cached'>,
  fingerprint: string,
  result: string,
): string {
  return (
    `{"type":"stage:done","time":${num(e.time)},"stage":${JSON.stringify(e.stage)},` +
    `"attempt":${num(e.attempt)},"threadId":${num(e.threadId)},"durationMs":${num(e.durationMs)}` +
    `${e.cached ? ',"cached":true' : ''},"fingerprint":"${fingerprint}","result":${result}}`
  );
}
