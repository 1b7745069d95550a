import type { BenchContext } from '../context.js';
import { lowerBound } from '../dag.js';
import { forcedIdleBound } from '../forced-idle.js';
import { fixed, median } from '../measure.js';
import { gap, ratio, type SuiteResult, type Target } from '../report.js';
import { loadWorkflow, workflowNames } from '../wfcommons.js';
import {
  greedyName,
  makespanColumns,
  makespanNote,
  makespanRows,
  makespans,
  tsdagsName,
} from './makespan.js';

const suite = 'wfcommons';

/**
 * The real WfCommons workflows, every runtime scaled by one factor per instance so that its lower
 * bound on `cores` cores is a fixed number of ms: makespans against that bound and against FCFS.
 */
export async function wfcommons(ctx: BenchContext): Promise<SuiteResult> {
  const targetMs = ctx.quick ? 500 : 2000;
  const runs = ctx.quick ? 1 : 3;
  const rows: string[][] = [];
  const targets: Target[] = [];
  for (const name of workflowNames()) {
    if (!ctx.selected(suite, name)) continue;
    ctx.progress(`${suite}: ${name}`);
    const { dag, scale } = loadWorkflow(name, ctx.cores, targetMs);
    const bound = lowerBound(dag, ctx.cores);
    const floor = forcedIdleBound(dag, ctx.cores);
    const measured = await makespans(dag, ctx.cores, runs, ctx.storeDir);
    rows.push(
      ...makespanRows([name, String(dag.size), `${fixed(floor, 0)} (${gap(floor, bound)})`], measured, bound),
    );
    const tsdags = median(measured.inner.get(tsdagsName)!);
    const greedy = median(measured.inner.get(greedyName)!);
    targets.push({
      target: `${name} (${scale.toPrecision(2)} ms per trace s): tsdags within 5% of the bound, not slower than greedy`,
      measured:
        `${fixed(tsdags, 0)} ms: ${gap(tsdags, bound)} over ${fixed(bound, 0)}` +
        (floor > bound * 1.0005 ? ` (no schedule under ${fixed(floor, 0)}: ${gap(floor, bound)})` : '') +
        `, ${ratio(tsdags / greedy)} greedy`,
      limit: '≤ +5%, ≤ 1.00x',
      pass: tsdags <= bound * 1.05 && tsdags <= greedy,
    });
  }
  return {
    tables: rows.length
      ? [
          {
            title: `WfCommons workflows on worker threads, lower bound scaled to ${targetMs} ms`,
            columns: ['instance', 'tasks', 'floor ms', ...makespanColumns],
            numeric: [1, 2, 4, 5, 6, 7, 8, 9],
            rows,
            notes: [
              'Runtimes of each trace scaled by one factor so that max(CP, W / cores) is ' +
                `${targetMs} ms (the factor is in the targets table); each task spins that long. *floor*: a ` +
                'tighter bound no schedule beats, from the idle time the DAG forces (bench/forced-idle.ts), ' +
                `and its gap over max(CP, W / cores). Median of ${runs} ` +
                `interleaved runs. ${makespanNote} Data: WfCommons WfInstances, LGPL-3.0 ` +
                '(see ../shared/workloads/wfcommons/README.md).',
            ],
          },
        ]
      : [],
    targets,
  };
}
