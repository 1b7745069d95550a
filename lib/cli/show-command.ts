import type { Command } from 'commander';
import type { StoredRun } from '../store/run-store.js';
import { colorsFor, formatDuration, formatTime, type Colors } from './format.js';
import { addStoreFlags, openRunStore, readStoredRun, withRunStore, type StoreFlags } from './run-store.js';
import { paintStatus } from './runs-command.js';
import { recordEnd, storedStages, type StoredStage } from './stored-run.js';
import { textTable } from './text-table.js';

interface ShowFlags extends StoreFlags {
  json?: boolean;
}

/** `tsdags show <runId>`: one stored run, stage by stage. */
export function addShowCommand(program: Command): void {
  const command = program
    .command('show')
    .summary("show one past run's stages")
    .description(
      "Show one recorded run: each stage's state, attempts, duration and error, from its event log.",
    )
    .addHelpText(
      'after',
      '\nExit codes: 0 shown, 2 a bad run id, a run the store does not have, or a damaged store.',
    )
    .argument('<runId>', 'a run id as `tsdags runs` lists them, or "last" for the latest run');
  addStoreFlags(command)
    .option('--json', 'print the run and its stages as one JSON object on stdout')
    .option('--verbose', 'show stack traces')
    .action(showRun);
}

async function showRun(runId: string, flags: ShowFlags, command: Command): Promise<void> {
  const stored = await withRunStore(openRunStore(flags, command), (store) => {
    const run = readStoredRun(store, runId);
    // Results stay in the store; what is shown is read now, before the store closes.
    return { ...run, result: () => undefined };
  });
  for (const warning of stored.warnings) process.stderr.write(`tsdags: ${warning}\n`);
  const stages = storedStages(stored.meta, stored.lines);
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(runJson(stored, stages))}\n`);
    return;
  }
  process.stdout.write(`${showText(stored, stages, colorsFor(process.stdout))}\n`);
}

/** The run as `tsdags show --json` prints it. */
export function runJson(stored: StoredRun, stages: readonly StoredStage[]): object {
  const { meta } = stored;
  return {
    runId: meta.runId,
    pipeline: meta.pipeline,
    status: meta.status,
    startedAt: meta.startedAt,
    finishedAt: meta.finishedAt,
    durationMs: meta.finishedAt === undefined ? undefined : meta.finishedAt - meta.startedAt,
    cores: meta.cores,
    resumedFrom: meta.resumedFrom,
    // A run with no end recorded: when its record stops (see recordEnd()).
    recordEndsAt: meta.status === 'running' ? recordEnd(meta, stored.lines) : undefined,
    stages,
  };
}

/**
 * ```
 * run 20261126T022232-47197b (pipeline seed): failed in 1.08s, started 2026-11-26 02:22:32
 *
 *   stage     status     attempts  duration  error
 *   good      succeeded  1         12ms
 *   bad       failed     1         10ms      the disk is full
 *   after_bad skipped    0         -         upstream stage "bad" did not succeed
 * ```
 */
export function showText(stored: StoredRun, stages: readonly StoredStage[], colors: Colors): string {
  const { meta } = stored;
  const cutOff = meta.status === 'running';
  const outcome =
    meta.status === 'running'
      ? `${paintStatus('running', 'no end recorded', colors)} (still running, or its process was killed)`
      : `${paintStatus(meta.status, meta.status, colors)} in ${formatDuration(meta.finishedAt! - meta.startedAt)}`;
  const head = [
    `run ${meta.runId} (pipeline ${meta.pipeline}): ${outcome}, started ${formatTime(meta.startedAt)}`,
  ];
  if (meta.resumedFrom !== undefined) head.push(`resumed from ${meta.resumedFrom}`);
  const table = textTable(
    [
      { heading: 'stage' },
      { heading: 'status', paint: (padded, text) => paintStatus(text, padded, colors) },
      { heading: 'attempts' },
      { heading: 'duration' },
      { heading: 'error' },
    ],
    stages.map((s) => [s.name, s.status, String(s.attempts), formatDuration(s.durationMs), note(s, cutOff)]),
    colors,
  );
  const text = `${head.join('\n')}\n\n${table}`;
  return cutOff ? `${text}\n\n${cutOffNote(stored, stages)}` : text;
}

// In a run with no end recorded, a running stage's end never came; its start is what is known.
function note(stage: StoredStage, cutOff: boolean): string {
  if (cutOff && stage.status === 'running') {
    return stage.error === undefined
      ? 'running when the record ends'
      : `running when the record ends (attempt ${stage.attempts - 1}: ${stage.error})`;
  }
  return stage.error ?? '';
}

// What the states of a run cut off mean: the record keeps every end, not every start.
function cutOffNote(stored: StoredRun, stages: readonly StoredStage[]): string {
  const { meta, lines } = stored;
  const ends = `The record ends ${formatDuration(recordEnd(meta, lines) - meta.startedAt)} into the run`;
  if (!stages.some((s) => s.status === 'pending')) return `${ends}.`;
  return `${ends}: a stage that started after that, or whose start was not written yet, shows as pending.`;
}
