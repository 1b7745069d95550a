import type { BenchContext } from '../context.js';
import { lowerBound, workAndCriticalPath } from '../dag.js';
import { fixed, median } from '../measure.js';
import { gap, type SuiteResult } from '../report.js';
import { cpu as cpuWorkload } from '../workloads.js';
import { levelName, makespanColumns, makespanNote, makespanRows, makespans, tsdagsName } from './makespan.js';

const suite = 'cpu';

/** `cpu:200` on worker threads: makespan against max(critical path, total work / cores). */
export async function cpu(ctx: BenchContext): Promise<SuiteResult> {
  const name = 'cpu:200';
  if (!ctx.selected(suite, name)) return { tables: [], targets: [] };
  ctx.progress(`${suite}: ${name}`);
  const runs = ctx.quick ? 1 : 5;
  const dag = cpuWorkload(200);
  const bound = lowerBound(dag, ctx.cores);
  const { work, criticalPath } = workAndCriticalPath(dag);
  const measured = await makespans(dag, ctx.cores, runs, ctx.storeDir);
  const tsdags = median(measured.inner.get(tsdagsName)!);
  const tsdagsWall = median(measured.wall.get(tsdagsName)!);
  const level = median(measured.inner.get(levelName)!);
  return {
    tables: [
      {
        title: 'CPU-bound: cpu:200 on worker threads',
        columns: ['workload', ...makespanColumns],
        numeric: [2, 3, 4, 5, 6, 7],
        rows: makespanRows([name], measured, bound),
        notes: [
          `${dag.size} stages, ${dag.parents.length} edges; total work ${fixed(work, 0)} ms, critical path ` +
            `${fixed(criticalPath, 0)} ms; lower bound max(CP, W / ${ctx.cores}) = ${fixed(bound, 0)} ms. ` +
            `Median of ${runs} interleaved runs. ${makespanNote}`,
        ],
      },
    ],
    targets: [
      {
        target: `${name}: tsdags makespan over the lower bound (level-sync: ${gap(level, bound)})`,
        measured: `${fixed(tsdags, 0)} vs ${fixed(bound, 0)} ms (${gap(tsdags, bound)}; wall ${gap(tsdagsWall, bound)})`,
        limit: '≤ +3%',
        pass: tsdags <= bound * 1.03,
      },
    ],
  };
}
