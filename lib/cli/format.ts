import pc from 'picocolors';
import { StageFailedError } from '../errors.js';
import type { ResumeInfo } from '../run/events.js';

/** A duration for people: `850ms`, `1.24s`, `2m 05s`, `1h 02m`. */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '-';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`;
  const seconds = Math.floor(ms / 1000);
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${pad2(seconds % 60)}s`;
  return `${Math.floor(seconds / 3600)}h ${pad2(Math.floor(seconds / 60) % 60)}m`;
}

/**
 * What a failed stage threw, in one line: the cause's message rather than the StageFailedError
 * wrapper, whose "Stage x failed on attempt n" the reporters already say.
 */
export function failureMessage(error: Error): string {
  const cause = error instanceof StageFailedError ? error.cause : error;
  const message = cause instanceof Error ? cause.message : String(cause);
  return firstLine(message);
}

/** The stack of what a failed stage threw (for --verbose), or its message when it has none. */
export function failureStack(error: Error): string {
  const cause = error instanceof StageFailedError ? error.cause : error;
  return cause instanceof Error ? (cause.stack ?? cause.message) : String(cause);
}

export function firstLine(text: string): string {
  const end = text.indexOf('\n');
  return end < 0 ? text : `${text.slice(0, end)} …`;
}

/** A moment as local time, to the second: `2026-11-26 02:22:34`. */
export function formatTime(ms: number): string {
  const d = new Date(ms);
  const date = `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}`;
  return `${date} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

/** `resuming 20261125T003512-3f9a1c: 5 stages restored; changed: clean, report` */
export function resumeLine(resume: ResumeInfo): string {
  const shown = resume.changed.slice(0, 10).join(', ');
  const more = resume.changed.length > 10 ? ` … and ${resume.changed.length - 10} more` : '';
  const changed = resume.changed.length === 0 ? 'none changed' : `changed: ${shown}${more}`;
  return `resuming ${resume.from}: ${plural(resume.restored, 'stage')} restored; ${changed}`;
}

/** `1 stage`, `2 stages`. */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** Pads plain (uncoloured) text to a width. */
export function padEnd(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

export type Colors = ReturnType<typeof pc.createColors>;

/** Colours for a stream: on a terminal unless NO_COLOR is set, elsewhere only with FORCE_COLOR. */
export function colorsFor(stream: { isTTY?: boolean }): Colors {
  const { NO_COLOR, FORCE_COLOR, TERM } = process.env;
  const forced = FORCE_COLOR !== undefined && FORCE_COLOR !== '0' && FORCE_COLOR !== 'false';
  return pc.createColors(!NO_COLOR && (forced || (stream.isTTY === true && TERM !== 'dumb')));
}
