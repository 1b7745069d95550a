import type { RunStatus } from '../run/events.js';

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

/** Where a `stage:done` line keeps the stage's result. */
export type StoredResult =
  | { readonly json: string | number | boolean | null }
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
