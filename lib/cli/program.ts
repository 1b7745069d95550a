import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { addRunCommand } from './run-command.js';
import { addRunsCommand } from './runs-command.js';
import { addShowCommand } from './show-command.js';
import { addVizCommand } from './viz-command.js';
import { addWorkerCommand } from './worker-command.js';

/**
 * The `tsdags` command line: one file per command, each adding itself here. Commands are added
 * with `program.command()` (not `addCommand`) so that they inherit the error handling below.
 */
export function createProgram(): Command {
  const program = new Command('tsdags')
    .description('Run, draw and watch tsdags pipelines: a local-first DAG engine for TypeScript.')
    .version(packageVersion(), '-V, --version', 'print the version of tsdags')
    .helpCommand(false)
    .showSuggestionAfterError(true)
    // Errors are thrown to main(), which prints one sentence and picks the exit code.
    .exitOverride()
    .configureOutput({ outputError: () => {} });
  addRunCommand(program);
  addVizCommand(program);
  addRunsCommand(program);
  addShowCommand(program);
  addWorkerCommand(program);
  return program;
}

function packageVersion(): string {
  // Two levels up from lib/cli/ and from dist/cli/ alike.
  const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}
