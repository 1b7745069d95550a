import { CommanderError } from 'commander';
import { TsdagsError } from '../errors.js';
import { ExitCode, exitCodeFor, isQuiet } from './exit-code.js';
import { failureStack } from './format.js';
import { createProgram } from './program.js';

/** Runs the command line `argv` (as in `process.argv`); what goes wrong is thrown. */
export async function main(argv: readonly string[]): Promise<void> {
  await createProgram().parseAsync([...argv]);
}

/**
 * The `tsdags` process: runs `main`, maps what it threw onto the exit code (0 done, 1 a stage
 * failed, 2 bad usage or a bad pipeline file, 130 interrupted) with one sentence on stderr, or
 * the stack traces with --verbose, and exits once the output is flushed.
 */
export function cli(argv: readonly string[] = process.argv): void {
  const verbose = argv.includes('--verbose');
  process.stdout.on('error', quitOnBrokenPipe);
  process.stderr.on('error', quitOnBrokenPipe);
  main(argv)
    .then(() => 0)
    .catch((error: unknown) => {
      if (!isQuiet(error)) process.stderr.write(`${describe(error, verbose)}\n`);
      return exitCodeFor(error);
    })
    .then(exitWhenFlushed);
}

function describe(error: unknown, verbose: boolean): string {
  if (error instanceof CommanderError) return `tsdags: ${error.message.replace(/^error: /, '')}`;
  if (!(error instanceof Error)) return `tsdags: ${String(error)}`;
  if (!verbose) {
    const expected = error instanceof TsdagsError || error instanceof AggregateError;
    return `tsdags: ${error.message}${expected ? '' : ' (an unexpected error: --verbose shows where)'}`;
  }
  const lines = [error.stack ?? error.message];
  const inner =
    error instanceof AggregateError ? error.errors : error.cause === undefined ? [] : [error.cause];
  for (const cause of inner) {
    lines.push('', `caused by: ${cause instanceof Error ? failureStack(cause) : String(cause)}`);
  }
  return lines.join('\n');
}

// The reader went away (`tsdags run --json | head -1`): nobody is left to tell, so the command
// ends at once and quietly, as a Unix tool killed by SIGPIPE would (Node ignores that signal and
// reports EPIPE instead). A run cut short this way can be resumed.
function quitOnBrokenPipe(error: NodeJS.ErrnoException): void {
  if (error.code === 'EPIPE') process.exit(ExitCode.BrokenPipe);
  throw error;
}

// A pipeline module may leave timers or sockets open, and a cancelled main-thread stage may not
// stop: the command ends when its work is done, after stdout and stderr are written out.
function exitWhenFlushed(code: number): void {
  process.exitCode = code;
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}
