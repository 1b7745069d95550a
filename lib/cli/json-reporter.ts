import type { RunEvent } from '../run/events.js';
import type { Reporter } from './reporter.js';
import { divertStdout, type HookedStream } from './write-hook.js';

/**
 * `--json`: one JSON object per event, one per line, on stdout, and nothing else there. What
 * the pipeline module and its stages print (on this thread or in worker threads) is sent to
 * stderr from the moment the reporter exists; so are the CLI's notes.
 * Errors are written as `{ name, code, message }`.
 */
export class JsonReporter implements Reporter {
  readonly #stdout: HookedStream;

  constructor() {
    this.#stdout = divertStdout();
  }

  event(event: RunEvent): void {
    this.#stdout.raw(`${eventToJson(event)}\n`);
  }

  note(message: string): void {
    process.stderr.write(`${message}\n`);
  }

  finish(): void {}

  // The hook stays until the process exits: a worker thread's last lines can arrive after the run
  // ended (its output and its result travel on different channels), and they must not reach stdout.
  close(): void {}
}

/** An event as one line of JSON; Error values become `{ name, code, message }`. */
export function eventToJson(event: RunEvent): string {
  return JSON.stringify(event, (_key, value: unknown) => {
    if (!(value instanceof Error)) return value;
    const code = (value as { code?: unknown }).code;
    return { name: value.name, code: typeof code === 'string' ? code : undefined, message: value.message };
  });
}
