import type { Command } from 'commander';
import type { RunSummary } from '../store/run-record.js';
import type { RunStore } from '../store/run-store.js';
import { colorsFor, formatDuration, formatTime, type Colors } from './format.js';
import { addStoreFlags, listStoredRuns, openRunStore, withRunStore, type StoreFlags } from './run-store.js';
import { countsText, countStages, storedStages } from './stored-run.js';
import { textTable } from './text-table.js';

interface RunsFlags extends StoreFlags {
  json?: boolean;
}

/** `tsdags runs`: the runs a store holds. */
export function addRunsCommand(program: Command): void {
  const command = program
    .command('runs')
    .summary('list past runs')
    .description('List the runs recorded in the run store, the newest last.')
    .addHelpText(
      'after',
      '\nA run whose process was killed has no end recorded: it stays "running" (resume it with\n' +
        '`tsdags run <file> --resume <runId>`). Exit codes: 0 listed, 2 a store that cannot be read.',
    );
  addStoreFlags(command)
    .option('--json', 'print each run as one line of JSON on stdout')
    .option('--verbose', 'show stack traces')
    .action(listRuns);
}

async function listRuns(flags: RunsFlags, command: Command): Promise<void> {
  await withRunStore(openRunStore(flags, command), (store) => {
    const runs = listStoredRuns(store);
    if (flags.json) {
      for (const run of runs) process.stdout.write(`${JSON.stringify(run)}\n`);
      return;
    }
    if (runs.length === 0) {
      process.stderr.write(`No runs in ${store.location} yet.\n`);
      return;
    }
    process.stdout.write(`${runsTable(runs, store, colorsFor(process.stdout))}\n`);
  });
}

/**
 * ```
 *   run                     pipeline  started              status     stages                 duration
 *   20261126T022232-47197b  seed      2026-11-26 02:22:32  succeeded  6 succeeded            1.08s
 *   20261126T022240-9c1d2e  seed      2026-11-26 02:22:40  running    3 succeeded, 3 pending -
 * ```
 */
export function runsTable(runs: readonly RunSummary[], store: RunStore, colors: Colors): string {
  const rows = runs.map((run) => [
    run.runId,
    run.pipeline,
    formatTime(run.startedAt),
    run.status,
    stagesText(run, store),
    formatDuration(run.durationMs),
  ]);
  return textTable(
    [
      { heading: 'run' },
      { heading: 'pipeline' },
      { heading: 'started' },
      { heading: 'status', paint: (padded, text) => paintStatus(text, padded, colors) },
      { heading: 'stages' },
      { heading: 'duration' },
    ],
    rows,
    colors,
  );
}

// A finished run's header has its counts; a run with no end recorded (still running, or its
// process killed) is read from its event log.
function stagesText(run: RunSummary, store: RunStore): string {
  if (run.counts) return countsText(new Map(Object.entries(run.counts)));
  try {
    const stored = store.readRun(run.runId);
    return countStages(storedStages(stored.meta, stored.lines));
  } catch {
    return `${run.stages} stages`;
  }
}

/** A run's or a stage's state, coloured. */
export function paintStatus(status: string, text: string, colors: Colors): string {
  switch (status) {
    case 'succeeded':
    case 'reused':
      return colors.green(text);
    case 'failed':
      return colors.red(text);
    case 'cancelled':
    case 'skipped':
    case 'retrying':
      return colors.yellow(text);
    case 'running':
      return colors.cyan(text);
    default:
      return colors.dim(text);
  }
}
