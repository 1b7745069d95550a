import { CommanderError } from 'commander';
import { CancelledError, TsdagsError } from '../errors.js';

/** How `tsdags` ends: each exit code, named. */
export const ExitCode = {
  Ok: 0,
  StageFailed: 1,
  BadUsage: 2,
  /** Cancelled by SIGINT (Ctrl-C), or by the run's own signal: 128 + 2. */
  Interrupted: 130,
  /** The reader of stdout went away (`tsdags runs --json | head -1`): 128 + SIGPIPE, as a killed tool. */
  BrokenPipe: 141,
  /** Cancelled by SIGTERM: 128 + 15. */
  Terminated: 143,
} as const;

/** The signals that cancel `tsdags run`, and the exit code each one ends it with. */
export const stopSignals = { SIGINT: ExitCode.Interrupted, SIGTERM: ExitCode.Terminated } as const;
export type StopSignal = keyof typeof stopSignals;

/** A run cancelled because the process got SIGINT or SIGTERM. */
export class InterruptedError extends CancelledError {
  readonly signal: StopSignal;

  constructor(signal: StopSignal) {
    super(signal === 'SIGINT' ? 'interrupted (SIGINT)' : 'terminated (SIGTERM)');
    this.signal = signal;
  }
}

/**
 * The exit code for an error that ended a command: 1 when a stage failed, 130 when the run was
 * interrupted (143 by SIGTERM), 2 for bad usage or a bad pipeline file (commander's errors, the
 * library's validation errors: TsdagsErrors, a missing run or a damaged store, a Redis that
 * refuses the credentials in `--redis`), and 1 for anything unexpected.
 */
export function exitCodeFor(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.Ok : ExitCode.BadUsage;
  if (error instanceof InterruptedError) return stopSignals[error.signal];
  // By code rather than class: the pipeline file may bring its own copy of tsdags.
  switch (codeOf(error)) {
    case 'STAGE_FAILED':
    case 'RUN_FAILED':
      return ExitCode.StageFailed;
    case 'CANCELLED':
      return ExitCode.Interrupted;
    case 'INTERNAL':
      return ExitCode.StageFailed;
  }
  if (error instanceof TsdagsError || typeof codeOf(error) === 'string') return ExitCode.BadUsage;
  return ExitCode.StageFailed;
}

/** True for what the CLI has already shown in full (help, the version). */
export function isQuiet(error: unknown): boolean {
  return error instanceof CommanderError && (error.exitCode === 0 || error.code === 'commander.help');
}

function codeOf(error: unknown): unknown {
  return typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
}
