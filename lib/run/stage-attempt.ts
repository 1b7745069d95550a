import type { Attempt } from '../executors/executor.js';
import type { Stage, StageContext } from '../stage/stage.js';
import type { RetryPolicy } from './retry.js';

/** What an attempt needs from the engine that runs it. */
export interface AttemptHost {
  args(index: number, stage: Stage): unknown[];
  context(index: number, attempt: StageAttempt): StageContext;
  began(
    index: number,
    attempt: StageAttempt,
    threadId: number,
    worker: string | undefined,
    at: number | undefined,
  ): void;
  loading(index: number, attempt: StageAttempt): void;
  retryLeft(index: number, attempt: StageAttempt): RetryPolicy;
  retried(index: number, attempt: StageAttempt, error: unknown, delayMs: number): boolean;
}

/**
 * One attempt of one stage, as handed to an executor. Its signal aborts when the run is cancelled
 * or the attempt times out; executors stop the stage's code when it does (a worker thread is
 * terminated; a main-thread stage sees `ctx.signal` abort).
 */
export class StageAttempt implements Attempt {
  readonly #host: AttemptHost;
  readonly index: number;
  readonly stage: Stage;
  /** Its number from 1; the next one's once its executor retried it (see retried()). */
  number: number;
  readonly signal: AbortSignal;
  /** Aborts this attempt alone (its timeout); undefined when it has none. */
  readonly controller: AbortController | undefined;
  timer: ReturnType<typeof setTimeout> | undefined;
  #args: unknown[] | undefined;

  constructor(
    host: AttemptHost,
    index: number,
    stage: Stage,
    number: number,
    runSignal: AbortSignal,
    timed: boolean,
  ) {
    this.#host = host;
    this.index = index;
    this.stage = stage;
    this.number = number;
    if (timed) {
      this.controller = new AbortController();
      this.signal = AbortSignal.any([runSignal, this.controller.signal]);
    } else {
      this.controller = undefined;
      this.signal = runSignal;
    }
  }

  get name(): string {
    return this.stage.name;
  }

  get attempt(): number {
    return this.number;
  }

  get args(): unknown[] {
    return (this.#args ??= this.#host.args(this.index, this.stage));
  }

  context(): StageContext {
    return this.#host.context(this.index, this);
  }

  get timed(): boolean {
    return this.controller !== undefined;
  }

  /** Whether the stage's code started (the executor said so). */
  began = false;

  /** Whether its executor retries it and its next try waits out the back-off. */
  backingOff = false;

  begin(threadId: number, worker?: string, at?: number): void {
    this.began = true;
    this.#host.began(this.index, this, threadId, worker, at);
  }

  loading(): void {
    if (!this.began) this.#host.loading(this.index, this);
  }

  get retry(): RetryPolicy {
    return this.#host.retryLeft(this.index, this);
  }

  retried(error: unknown, delayMs: number): boolean {
    return this.#host.retried(this.index, this, error, delayMs);
  }

  /** Called once the attempt (or a try its executor retries) is over: its timeout no longer applies. */
  over(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
  }
}

export function stageLogger(name: string): StageContext['log'] {
  const prefix = `[${name}]`;
  return {
    info: (...values) => console.log(prefix, ...values),
    warn: (...values) => console.warn(prefix, ...values),
    error: (...values) => console.error(prefix, ...values),
  };
}
