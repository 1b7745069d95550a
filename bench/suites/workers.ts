import type { BenchContext } from '../context.js';
import { fixed, median, sideBySide, spread } from '../measure.js';
import { ratio, type SuiteResult } from '../report.js';
import { greedy } from '../runners/greedy.js';
import { withPool } from '../runners/pool.js';
import { runTsdags } from '../runners/tsdags.js';
import { fan } from '../workloads.js';

const suite = 'workers';

/**
 * No-op `fan:n` through tsdags' worker executor, against n no-op tasks sent straight to a
 * tinypool pool of `cores` threads (all at once; tinypool queues them). Every contender makes and
 * destroys its threads inside the timed run, as tsdags does on every run.
 */
export async function workers(ctx: BenchContext): Promise<SuiteResult> {
  const n = 10_000;
  const name = `fan:${n}`;
  if (!ctx.selected(suite, `${name} worker`)) return { tables: [], targets: [] };
  ctx.progress(`${suite}: ${name}`);
  const runs = ctx.quick ? 3 : 5;
  const dag = fan(n);
  const raw = 'raw tinypool';
  const { wall: samples } = await sideBySide(
    [
      { name: 'tsdags (worker executor)', run: () => runTsdags(dag, 'worker', ctx.cores) },
      {
        name: raw,
        run: () =>
          withPool(ctx.cores, (pool) =>
            Promise.all(Array.from({ length: n }, () => pool.run(undefined, { name: 'noop' }))),
          ),
      },
      {
        name: `${greedy.name} + tinypool`,
        run: () =>
          withPool(ctx.cores, (pool) =>
            greedy.schedule(dag, () => pool.run(undefined, { name: 'noop' }), ctx.cores),
          ),
      },
    ],
    runs,
  );
  const reference = median(samples.get(raw)!);
  const rows = [...samples].map(([system, ms]) => [
    `${name} worker`,
    system,
    fixed(median(ms), 1),
    spread(ms),
    fixed((median(ms) * 1000) / n, 1),
    ratio(median(ms) / reference),
  ]);
  const tsdags = median(samples.get('tsdags (worker executor)')!);
  return {
    tables: [
      {
        title: 'Worker threads: no-op tasks',
        columns: ['workload', 'system', 'median ms', 'range ms', 'µs/task', 'ratio to raw tinypool'],
        numeric: [2, 3, 4, 5],
        rows,
        notes: [
          `Median of ${runs} interleaved runs after one warm-up, ${ctx.cores} threads each; thread start-up ` +
            'and teardown are inside every run. Raw tinypool runs the 10,000 tasks alone (no root, no sink).',
        ],
      },
    ],
    targets: [
      {
        target: `workers ${name}: tsdags' worker executor against raw tinypool`,
        measured: `${fixed(tsdags, 0)} vs ${fixed(reference, 0)} ms (${ratio(tsdags / reference)})`,
        limit: '≤ 1.30x',
        pass: tsdags / reference <= 1.3,
      },
    ],
  };
}
