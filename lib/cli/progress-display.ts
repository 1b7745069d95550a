import { createLogUpdate } from 'log-update';
import type { RunEvent } from '../run/events.js';
import type { RunResult } from '../run/run-result.js';
import {
  colorsFor,
  failureMessage,
  failureStack,
  formatDuration,
  padEnd,
  resumeLine,
  type Colors,
} from './format.js';
import { indent } from './plain-reporter.js';
import { ProgressState } from './progress-state.js';
import type { Reporter } from './reporter.js';
import { summaryTable } from './summary-table.js';
import { hookWrites, type HookedStream } from './write-hook.js';

const spinner = '⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏';
const barWidth = 16;
// Often enough for running times to tick by tenths of seconds without costing the run anything.
const refreshMs = 150;

/**
 * The live display on a terminal (stderr): stages done out of the total, the stages running and for
 * how long, failures printed above it as they happen, and the summary table at the end. What the
 * stages print goes above the display too: the display steps aside for each write and comes back.
 */
export class ProgressDisplay implements Reporter {
  readonly #state = new ProgressState();
  readonly #stream: NodeJS.WriteStream;
  readonly #colors: Colors;
  readonly #name: string;
  readonly #verbose: boolean;
  readonly #hooks: HookedStream[] = [];
  readonly #live: ReturnType<typeof createLogUpdate>;
  readonly #timer: NodeJS.Timeout;
  #shown = false;
  #redraw: NodeJS.Immediate | undefined;
  #closed = false;

  constructor(stream: NodeJS.WriteStream, options: { name: string; verbose?: boolean }) {
    this.#stream = stream;
    this.#colors = colorsFor(stream);
    this.#name = options.name;
    this.#verbose = options.verbose ?? false;
    const own = hookWrites(stream, (args, write) => this.#aside(() => write(...args)));
    this.#hooks.push(own);
    if (process.stdout !== stream && process.stdout.isTTY) {
      this.#hooks.push(hookWrites(process.stdout, (args, write) => this.#aside(() => write(...args))));
    }
    // log-update writes past the hook; it reads the terminal's size from the real stream.
    const target = {
      write: (text: string) => own.raw(text),
      // A terminal that reports no size (0 x 0) gets the usual 80 x 24.
      get columns() {
        return stream.columns || 80;
      },
      get rows() {
        return stream.rows || 24;
      },
      isTTY: true,
    };
    this.#live = createLogUpdate(target as unknown as NodeJS.WriteStream, { showCursor: true });
    this.#timer = setInterval(() => this.#render(), refreshMs);
    this.#timer.unref();
  }

  event(event: RunEvent): void {
    this.#state.apply(event);
    if (event.type === 'run:start' && event.resume) {
      this.#print(this.#colors.dim(resumeLine(event.resume)));
    } else if (event.type === 'stage:retry') {
      const head = `${this.#colors.yellow('↻')} ${event.stage} attempt ${event.attempt} failed: ${failureMessage(event.error)}; trying again in ${formatDuration(event.delayMs)}`;
      this.#print(this.#verbose ? `${head}\n${indent(failureStack(event.error))}` : head);
    } else if (event.type === 'stage:error') {
      const c = this.#colors;
      const head = `${c.red('✖')} ${event.stage} ${c.red('failed')} after ${formatDuration(event.durationMs)} (attempt ${event.attempt}): ${failureMessage(event.error)}`;
      this.#print(this.#verbose ? `${head}\n${indent(failureStack(event.error))}` : head);
    }
    this.#render();
  }

  note(message: string): void {
    this.#print(message);
    this.#render();
  }

  finish(result: RunResult): void {
    this.#stop();
    this.#print(`${summaryTable(result, this.#colors)}`);
  }

  close(): void {
    this.#stop();
    for (const hook of this.#hooks.splice(0)) hook.restore();
  }

  /** The display as text at time `now`. */
  frame(now: number): string {
    return renderFrame(this.#state, this.#name, now, this.#colors, this.#stream.rows || 24);
  }

  #render(): void {
    if (this.#closed) return;
    this.#live(this.frame(performance.timeOrigin + performance.now()));
    this.#shown = true;
  }

  // Someone else writes to the terminal: clear the display, let the write through, redraw soon
  // (once for a burst of writes).
  #aside(write: () => boolean): boolean {
    if (this.#shown) {
      this.#live.clear();
      this.#shown = false;
    }
    const result = write();
    if (!this.#closed) this.#redraw ??= setImmediate(() => ((this.#redraw = undefined), this.#render()));
    return result;
  }

  #print(text: string): void {
    if (this.#shown) this.#live.clear();
    this.#shown = false;
    this.#hooks[0]!.raw(`${text}\n`);
  }

  #stop(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    if (this.#redraw) clearImmediate(this.#redraw);
    if (this.#shown) this.#live.clear();
    this.#shown = false;
    this.#live.done();
  }
}

/**
 * ```
 * ⠹ pipeline  ███████░░░░░░░░░░░░░  2/6 stages · 2 running · 1 failed · 1.2s
 *     stage_3  0.81s
 *     stage_4  0.32s  attempt 2
 * ```
 */
export function renderFrame(
  state: ProgressState,
  name: string,
  now: number,
  colors: Colors,
  rows = 24,
): string {
  const c = colors;
  const total = Math.max(state.total, 1);
  const filled = Math.round((state.finished / total) * barWidth);
  const bar = c.cyan('█'.repeat(filled)) + c.dim('░'.repeat(barWidth - filled));
  const done = `${state.finished}/${state.total} done${state.reused > 0 ? ` (${state.reused} reused)` : ''}`;
  const parts = [done, `${state.running.size} running`];
  if (state.failed > 0) parts.push(c.red(`${state.failed} failed`));
  if (state.skipped > 0) parts.push(c.yellow(`${state.skipped} skipped`));
  if (state.cancelled > 0) parts.push(c.yellow(`${state.cancelled} cancelled`));
  parts.push(formatDuration(state.startedAt === undefined ? 0 : now - state.startedAt));
  const tick = spinner[Math.floor(now / 80) % spinner.length];
  const lines = [`${c.cyan(tick)} ${c.bold(name)}  ${bar}  ${parts.join(c.dim(' · '))}`];

  const running = state.runningLongestFirst();
  const room = Math.max(1, Math.min(10, rows - 4));
  const shown = running.length > room ? running.slice(0, room - 1) : running;
  const width = Math.max(0, ...shown.map((s) => s.name.length));
  for (const stage of shown) {
    const attempt = stage.attempt > 1 ? c.dim(`  attempt ${stage.attempt}`) : '';
    lines.push(`    ${padEnd(stage.name, width)}  ${formatDuration(now - stage.since)}${attempt}`);
  }
  if (shown.length < running.length)
    lines.push(c.dim(`    … and ${running.length - shown.length} more running`));
  return lines.join('\n');
}
