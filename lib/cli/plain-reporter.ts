import type { RunEvent } from '../run/events.js';
import type { RunResult } from '../run/run-result.js';
import {
  colorsFor,
  failureMessage,
  failureStack,
  formatDuration,
  plural,
  resumeLine,
  type Colors,
} from './format.js';
import type { Reporter } from './reporter.js';
import { summaryTable } from './summary-table.js';

/**
 * Not on a terminal (CI logs, pipes): one line per change of a stage's state, on stderr, so that
 * stdout keeps what the stages print; the summary table at the end.
 */
export class PlainReporter implements Reporter {
  readonly #out: NodeJS.WritableStream;
  readonly #colors: Colors;
  readonly #verbose: boolean;

  constructor(out: NodeJS.WriteStream = process.stderr, options: { verbose?: boolean } = {}) {
    this.#out = out;
    this.#colors = colorsFor(out);
    this.#verbose = options.verbose ?? false;
  }

  event(event: RunEvent): void {
    const line = this.#line(event);
    if (line !== undefined) this.#out.write(`${line}\n`);
  }

  note(message: string): void {
    this.#out.write(`${message}\n`);
  }

  finish(result: RunResult): void {
    this.#out.write(`\n${summaryTable(result, this.#colors)}\n`);
  }

  close(): void {}

  #line(event: RunEvent): string | undefined {
    const c = this.#colors;
    switch (event.type) {
      case 'run:start': {
        const head = `run ${event.runId}: ${plural(event.stages, 'stage')}, at most ${event.cores} at once`;
        return event.resume ? `${head}\n${resumeLine(event.resume)}` : head;
      }
      case 'stage:retry': {
        const head = `${c.yellow('retry ')}  ${event.stage}: attempt ${event.attempt} failed (${failureMessage(event.error)}); again in ${formatDuration(event.delayMs)}`;
        return this.#verbose ? `${head}\n${indent(failureStack(event.error))}` : head;
      }
      case 'stage:ready':
        // Waiting for a core is not news in a log; --json has it.
        return undefined;
      case 'stage:start':
        return `${c.cyan('start ')}  ${event.stage}${event.attempt > 1 ? ` (attempt ${event.attempt})` : ''}`;
      case 'stage:done':
        return event.cached
          ? `${c.green('done  ')}  ${event.stage} (stored result reused)`
          : `${c.green('done  ')}  ${event.stage} in ${formatDuration(event.durationMs)}`;
      case 'stage:error': {
        const head = `${c.red('failed')}  ${event.stage} after ${formatDuration(event.durationMs)} (attempt ${event.attempt}): ${failureMessage(event.error)}`;
        return this.#verbose ? `${head}\n${indent(failureStack(event.error))}` : head;
      }
      case 'stage:skip':
        return `${c.yellow('skip  ')}  ${event.stage}: ${event.reason}`;
      case 'stage:cancel':
        return `${c.yellow('cancel')}  ${event.stage}`;
      case 'run:done':
        // The summary's last line says how the run ended.
        return undefined;
    }
  }
}

export function indent(text: string): string {
  return text.replace(/^/gm, '        ');
}
