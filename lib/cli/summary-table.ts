import type { StageStatus } from '../run/events.js';
import type { RunResult, StageResult } from '../run/run-result.js';
import { formatDuration, padEnd, type Colors } from './format.js';

/** Up to this many stages the table lists them all; past it, the slowest first. */
const listAll = 12;
/** How many of the slowest stages a large run's table shows (failed stages are shown besides). */
const slowest = 10;

/**
 * The end-of-run table: state, duration and attempts of each stage; for a large pipeline, the
 * slowest stages and every failed one, then a count of the rest. Ends with the run's status line.
 */
export function summaryTable(result: RunResult, colors: Colors): string {
  // In the order they started (never-started last), which reads like the run itself.
  const all = Object.entries(result.stages).sort(
    ([, a], [, b]) => (a.startedAt ?? Infinity) - (b.startedAt ?? Infinity),
  );
  let rows = all;
  let rest: [string, StageResult][] = [];
  if (all.length > listAll) {
    const byDuration = [...all].sort(([, a], [, b]) => (b.durationMs ?? -1) - (a.durationMs ?? -1));
    const shown = new Set(byDuration.slice(0, slowest).map(([name]) => name));
    for (const [name, stage] of all) if (stage.status === 'failed') shown.add(name);
    rows = byDuration.filter(([name]) => shown.has(name));
    rest = byDuration.filter(([name]) => !shown.has(name));
  }

  const nameWidth = Math.max(5, ...rows.map(([name]) => name.length));
  const lines = [
    colors.dim(`  ${padEnd('stage', nameWidth)}  ${padEnd('state', 9)}  ${padEnd('duration', 9)}  attempts`),
  ];
  for (const [name, stage] of rows) {
    const label = isReused(stage) ? 'reused' : stage.status;
    const state = paint(stage.status, padEnd(label, 9), colors);
    lines.push(
      `  ${padEnd(name, nameWidth)}  ${state}  ${padEnd(formatDuration(stage.durationMs), 9)}  ${stage.attempts}`,
    );
  }
  if (rest.length > 0) {
    lines.push(colors.dim(`  … and ${rest.length} more stages (${countByStatus(rest.map(([, s]) => s))})`));
  }
  lines.push('', statusLine(result, colors));
  return lines.join('\n');
}

/** `✔ succeeded in 1.24s: 6 stages` or `✖ failed in 1.24s: 4 succeeded, 1 failed, 1 skipped`. */
export function statusLine(result: RunResult, colors: Colors): string {
  const stages = Object.values(result.stages);
  const reused = stages.filter(isReused).length;
  const counts =
    (result.status === 'succeeded'
      ? `${stages.length} stage${stages.length === 1 ? '' : 's'}`
      : countByStatus(stages)) + (reused > 0 ? ` (${reused} reused)` : '');
  const mark = result.status === 'succeeded' ? colors.green('✔') : colors.red('✖');
  return `${mark} ${paint(result.status, result.status, colors)} in ${formatDuration(result.durationMs)}: ${counts}`;
}

// Succeeded without an attempt: its result came from the cache or from the run being resumed.
function isReused(stage: StageResult): boolean {
  return stage.status === 'succeeded' && stage.attempts === 0;
}

const order: StageStatus[] = ['succeeded', 'failed', 'skipped', 'cancelled', 'pending'];

function countByStatus(stages: StageResult[]): string {
  const counts = new Map<StageStatus, number>();
  for (const stage of stages) counts.set(stage.status, (counts.get(stage.status) ?? 0) + 1);
  return order
    .filter((status) => counts.has(status))
    .map((status) => `${counts.get(status)} ${status}`)
    .join(', ');
}

function paint(status: string, text: string, colors: Colors): string {
  switch (status) {
    case 'succeeded':
      return colors.green(text);
    case 'failed':
      return colors.red(text);
    case 'cancelled':
    case 'skipped':
      return colors.yellow(text);
    default:
      return colors.dim(text);
  }
}
