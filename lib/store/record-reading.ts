import { decode } from './codec.js';
import type { RecordLine, RunMeta, RunSummary } from './run-record.js';

/** Whether a parsed header is one tsdags wrote: format "tsdags-run", version 1, with its stages. */
export function isRunMeta(meta: unknown): meta is RunMeta {
  const m = meta as Partial<RunMeta> | null | undefined;
  return m?.format === 'tsdags-run' && m.version === 1 && typeof m.stages === 'object' && m.stages !== null;
}

export const notRunMeta = 'is not a tsdags run record (format "tsdags-run", version 1)';

/** How `tsdags runs` lists a run. */
export function summaryOf(meta: RunMeta): RunSummary {
  return {
    runId: meta.runId,
    pipeline: meta.pipeline,
    startedAt: meta.startedAt,
    status: meta.status,
    durationMs: meta.finishedAt === undefined ? undefined : meta.finishedAt - meta.startedAt,
    stages: Object.keys(meta.stages).length,
    counts: meta.counts,
  };
}

// By start time, not by id: ids may be chosen by users, and two ids of one second sort by their
// random part.
export function byStart(a: RunSummary, b: RunSummary): number {
  return a.startedAt - b.startedAt || (a.runId < b.runId ? -1 : 1);
}

/** Parses one event line; undefined when it is not one. */
export function parseLine(text: string): RecordLine | undefined {
  try {
    const parsed = JSON.parse(text) as RecordLine;
    return typeof parsed?.type === 'string' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A stage result as a `stage:done` line keeps it: in the line (JSON, or V8 bytes in base64), or
 * elsewhere (`{ file }`, read by `readElsewhere`). Throws what `corrupt` makes when bytes do not decode.
 */
export function storedValue(
  line: RecordLine,
  readElsewhere: (name: string) => Uint8Array,
  corrupt: (inline: boolean) => Error,
): { value: unknown } | undefined {
  const stored = line.result;
  if (!stored || 'unstored' in stored) return undefined;
  if ('json' in stored) return { value: stored.json };
  if ('undefined' in stored) return { value: undefined };
  const bytes = 'inline' in stored ? Buffer.from(stored.inline, 'base64') : readElsewhere(stored.file);
  try {
    return { value: decode(bytes) };
  } catch {
    throw corrupt('inline' in stored);
  }
}
