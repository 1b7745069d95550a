import type { BenchContext } from '../context.js';
import type { Dag } from '../dag.js';
import { fixed, median, sideBySide, spread, type Contender } from '../measure.js';
import { ratio, type SuiteResult, type Target } from '../report.js';
import { greedy } from '../runners/greedy.js';
import { levelSync } from '../runners/level-sync.js';
import { pGraph } from '../runners/p-graph.js';
import { runTsdags } from '../runners/tsdags.js';
import { workload } from '../workloads.js';

const suite = 'overhead';
const shapes = ['chain', 'fan', 'layered'];
const noop = (): void => {};

const storeName = 'tsdags + file store';

/**
 * The contenders on no-op main-thread stages: what each costs per stage on its own. `tsdags` is
 * the engine alone (`storeDir: false`); `tsdags + file store` runs with the default store, which
 * records every event in files (in `storeDir` here), to show what the record costs.
 */
export function overheadContenders(dag: Dag, cores: number, storeDir: string): Contender[] {
  return [
    { name: 'tsdags', run: () => runTsdags(dag, 'main', cores) },
    { name: storeName, run: () => runTsdags(dag, 'main', cores, storeDir) },
    ...[pGraph, greedy, levelSync].map((s) => ({ name: s.name, run: () => s.schedule(dag, noop, cores) })),
  ];
}

/**
 * Engine overhead: chain, fan and layered graphs of no-op stages on the main thread, each
 * contender building its own graph from the workload and running it to the end.
 */
export async function overhead(ctx: BenchContext): Promise<SuiteResult> {
  const sizes = ctx.quick ? [10_000] : [10_000, 100_000];
  // A 10,000-stage run takes about 0.1 s, and the machine's noise is as large: more runs there.
  const runsOf = (n: number): number => (ctx.quick ? 3 : n <= 10_000 ? 9 : 5);
  const rows: string[][] = [];
  const targets: Target[] = [];
  const perStage = new Map<string, number>();
  for (const shape of shapes) {
    for (const n of sizes) {
      const name = `${shape}:${n}`;
      if (!ctx.selected(suite, name)) continue;
      ctx.progress(`${suite}: ${name}`);
      const dag = workload(name);
      const { wall: samples, cpu } = await sideBySide(
        overheadContenders(dag, ctx.cores, ctx.storeDir),
        runsOf(n),
      );
      const us = (system: string): number => (median(samples.get(system)!) * 1000) / dag.size;
      const reference = us('p-graph');
      for (const [system, ms] of samples) {
        rows.push([
          name,
          system,
          fixed(median(ms), 1),
          spread(ms),
          fixed(us(system), 2),
          ratio(us(system) / reference),
          fixed((median(cpu.get(system)!) * 1000) / dag.size, 2),
          ratio(median(cpu.get(system)!) / median(cpu.get('p-graph')!)),
        ]);
      }
      perStage.set(name, us('tsdags'));
      targets.push({
        target: `overhead ${name}: tsdags µs/stage at or below p-graph's`,
        measured: `${fixed(us('tsdags'), 2)} vs ${fixed(reference, 2)} µs (${ratio(us('tsdags') / reference)})`,
        limit: '≤ 1.00x',
        pass: us('tsdags') <= reference,
      });
    }
  }
  for (const shape of shapes) {
    const small = perStage.get(`${shape}:10000`);
    const large = perStage.get(`${shape}:100000`);
    const growth = small !== undefined && large !== undefined ? large / small : undefined;
    if (growth === undefined && !ctx.selected(suite, `${shape}:100000`)) continue;
    targets.push({
      target: `linear cost, ${shape}: tsdags µs/stage at 100,000 over at 10,000`,
      measured: growth === undefined ? 'not run' : ratio(growth),
      limit: '≤ 1.50x',
      pass: growth === undefined ? undefined : growth <= 1.5,
    });
  }
  return {
    tables: rows.length
      ? [
          {
            title: 'Engine overhead: no-op stages on the main thread',
            columns: [
              'workload',
              'system',
              'median ms',
              'range ms',
              'µs/stage',
              'ratio to p-graph',
              'CPU µs/stage',
              'CPU ratio',
            ],
            numeric: [2, 3, 4, 5, 6, 7],
            rows,
            notes: [
              `Median of ${runsOf(sizes[0]!)} (10,000 stages) or ${runsOf(100_000)} (100,000) interleaved runs after one warm-up; each run builds the system's own graph ` +
                "from the workload (tsdags: stages, `.after()`, `addStages`, `start({ thread: 'main' })`) and runs it to " +
                'the end. p-graph and greedy run at most `cores` tasks at once; level-sync runs a whole level at once. ' +
                "*CPU*: the process's user + system time (GC threads included), steadier than wall time on a " +
                'shared machine; the targets judge wall time.',
            ],
          },
        ]
      : [],
    targets,
  };
}
