import { CommanderError } from 'commander';
import { TsdagsError } from '../errors.js';

/** How `tsdags` ends: each exit code, named. */
export const ExitCode = {
  Ok: 0,
  StageFailed: 1,
  BadUsage: 2,
  Interrupted: 130,
} as const;

/**
 * The exit code for an error that ended a command: 1 when a stage failed, 130 when the run was
 * interrupted, 2 for bad usage or a bad pipeline file (commander's errors, the library's
 * validation errors: TsdagsErrors), and 1 for anything unexpected.
 */
export function exitCodeFor(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.Ok : ExitCode.BadUsage;
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
