/**
 * Every error tsdags raises on purpose is a `TsdagsError` with a stable `code`; user mistakes
 * say what was expected, what was got and what to do. `InternalError` marks a broken invariant
 * of tsdags itself (a bug to report), never a user mistake.
 */
export class TsdagsError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The graph has a cycle; `cycle` lists the stage names along it, first name repeated last. */
export class CycleError extends TsdagsError {
  readonly cycle: string[];

  constructor(cycle: string[]) {
    super(
      'CYCLE',
      `The pipeline has a cycle: ${cycle.join(' -> ')}. A pipeline must be a DAG: remove one of these ` +
        `dependencies (an .after() call or a stage passed as an argument).`,
    );
    this.cycle = cycle;
  }
}

/** Two stages of one pipeline share a name. */
export class DuplicateStageError extends TsdagsError {
  readonly stage: string;
  readonly definitions: [string, string];

  constructor(stage: string, definitions: [string, string]) {
    super(
      'DUPLICATE_STAGE',
      `Two stages are named "${stage}" (defined at ${definitions[0]} and at ${definitions[1]}). ` +
        `Stage names must be unique in a pipeline: rename one with .named('other') or stage({ name }).`,
    );
    this.stage = stage;
    this.definitions = definitions;
  }
}

/** A stage failed; `cause` is what it threw (or why its worker died). */
export class StageFailedError extends TsdagsError {
  readonly stage: string;
  readonly attempt: number;

  constructor(stage: string, attempt: number, cause: unknown) {
    super('STAGE_FAILED', `Stage "${stage}" failed on attempt ${attempt}: ${describeCause(cause)}`, {
      cause,
    });
    this.stage = stage;
    this.attempt = attempt;
  }
}

/** More than one stage failed (with `onError: 'continue'`); `errors` holds one `StageFailedError` each. */
export class RunFailedError extends AggregateError {
  readonly code = 'RUN_FAILED';
  declare readonly errors: StageFailedError[];

  constructor(errors: StageFailedError[]) {
    super(errors, `${errors.length} stages failed: ${errors.map((e) => `"${e.stage}"`).join(', ')}`);
    this.name = 'RunFailedError';
  }
}

/** The run (or one stage) was cancelled before it finished. */
export class CancelledError extends TsdagsError {
  constructor(reason?: unknown) {
    super('CANCELLED', `The run was cancelled${reason === undefined ? '' : `: ${describeCause(reason)}`}`, {
      cause: reason,
    });
  }
}

/** A stage attempt ran longer than its `timeout`. */
export class TimeoutError extends TsdagsError {
  readonly stage: string;
  readonly timeoutMs: number;

  /** `loading`: its worker thread was still importing its module, so its code never started. */
  constructor(stage: string, timeoutMs: number, thread: 'worker' | 'main' | 'loading') {
    super(
      'TIMEOUT',
      `Stage "${stage}" timed out after ${timeoutMs} ms` +
        (thread === 'worker'
          ? ': its worker thread was terminated. Raise its `timeout` option if it needs longer.'
          : thread === 'main'
            ? ': it was abandoned (main-thread code cannot be stopped; watch ctx.signal to stop early). ' +
              'Raise its `timeout` option if it needs longer.'
            : ' importing its module in a worker thread, before its code started: the thread was ' +
              "terminated. Look for what the module's top level waits for (an await that never " +
              'ends), or raise the `timeout` option if the import needs longer.'),
    );
    this.stage = stage;
    this.timeoutMs = timeoutMs;
  }
}

/** A worker thread could not find the stage it was asked to run. */
export class StageNotFoundError extends TsdagsError {
  readonly stage: string;
  readonly module: string;

  constructor(stage: string, module: string, detail: string) {
    super(
      'STAGE_NOT_FOUND',
      `Stage "${stage}" cannot run in a worker thread: ${detail} (module ${module}). Define it with stage() ` +
        `at the top level of its module, or run it on the main thread with { thread: 'main' }.`,
    );
    this.stage = stage;
    this.module = module;
  }
}

/** A stage's argument or result cannot cross a thread boundary by structured clone. */
export class UncloneableValueError extends TsdagsError {
  readonly stage: string;

  constructor(stage: string, what: 'argument' | 'result', detail: string) {
    super(
      'UNCLONEABLE_VALUE',
      `Stage "${stage}" has ${what === 'result' ? 'a result' : 'an argument'} that cannot be passed between ` +
        `threads (${detail}). Use plain data (objects, arrays, strings, numbers, typed arrays, Map, Set, Date), ` +
        `or run the stage with { thread: 'main' }.`,
    );
    this.stage = stage;
  }
}

/** An Observable given as a stage argument completed without a value. */
export class EmptyInputError extends TsdagsError {
  readonly stage: string;

  constructor(stage: string, argument: string) {
    super(
      'EMPTY_INPUT',
      `Stage "${stage}" waited on an Observable (${argument}) that completed without emitting a value. ` +
        `Make it emit at least once, or pass a default with defaultIfEmpty().`,
    );
    this.stage = stage;
  }
}

/** A stage was skipped because an upstream stage failed or the run stopped. */
export class StageSkippedError extends TsdagsError {
  readonly stage: string;

  constructor(stage: string, reason: string) {
    super('STAGE_SKIPPED', `Stage "${stage}" did not run: ${reason}`);
    this.stage = stage;
  }
}

/** A broken invariant inside tsdags: a bug to report, never a user error. */
export class InternalError extends TsdagsError {
  constructor(message: string) {
    super(
      'INTERNAL',
      `tsdags internal error: ${message}. Please report this with the pipeline that caused it.`,
    );
  }
}

/** A short, printable description of any value, for error messages. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return `"${value.length > 40 ? `${value.slice(0, 40)}…` : value}" (string)`;
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (typeof value === 'object') {
    const ctor = (value as object).constructor;
    return Array.isArray(value) ? `an array of ${value.length}` : `an object (${ctor?.name ?? 'Object'})`;
  }
  return `${String(value)} (${typeof value})`;
}

// Duck-typed: errors from worker threads and other realms are not `instanceof Error` here.
function describeCause(cause: unknown): string {
  const message = (cause as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(cause);
}
