import { fileURLToPath } from 'node:url';
import type { BenchContext } from '../context.js';
import { fixed, median, sideBySide, spread, type Contender, type Samples } from '../measure.js';
import { withCpuOf } from '../remote/process-cpu.js';
import { startRedis } from '../remote/redis-server.js';
import { startWorkers, type WorkerProcesses } from '../remote/worker-processes.js';
import { ratio, type SuiteResult, type Target } from '../report.js';
import { RawBullmq, runTsdagsBullmq, stagesModule } from '../runners/bullmq.js';
import { fan } from '../workloads.js';

const suite = 'bullmq';
const raw = 'raw BullMQ';

type Thread = 'auto' | 'worker' | 'main';

/**
 * One tsdags contender: how many worker processes, where they run stages, and how many jobs the
 * run keeps in flight.
 */
interface Setup {
  readonly processes: number;
  readonly thread: Thread;
  readonly cores: number;
  readonly queue: string;
}

/**
 * Per-stage overhead through remote workers: no-op `fan:n` through `pipeline.run({ executor:
 * 'bullmq' })` with one and with two `tsdags worker` processes, running stages on worker threads
 * (their default) or on their main thread (`--thread main`, as raw BullMQ's Worker runs its
 * processor), against n no-op jobs of raw BullMQ (one `addBulk`, a Worker in this process,
 * `waitUntilFinished`), on a private redis-server.
 */
export async function bullmq(ctx: BenchContext): Promise<SuiteResult> {
  const n = ctx.quick ? 500 : 1000;
  const name = `fan:${n}`;
  if (!ctx.selected(suite, `${name} bullmq`)) return { tables: [], targets: [] };
  ctx.progress(`${suite}: ${name}`);
  // One worker process shares the 2 cores with Redis and the orchestrator: its runs vary by ±30%.
  const runs = ctx.quick ? 3 : 9;
  const dag = fan(n);
  // Each worker process runs `cores` stages at once; so does the raw Worker.
  const concurrency = ctx.cores;
  // `cores` as the executor's docs advise (the workers' total concurrency), and every stage at
  // once (as addBulk queues every job at once).
  const fleets = (['auto', 'worker', 'main'] as const).flatMap((thread) =>
    [1, 2].map((processes) => ({ processes, thread, queue: `bench-${processes}-${thread}` })),
  );
  const setups: Setup[] = fleets.flatMap((fleet) =>
    [fleet.processes * concurrency, dag.size].map((cores) => ({ ...fleet, cores })),
  );
  const where: Record<Thread, string> = {
    auto: 'auto, the default: short stages on their main thread',
    worker: 'stages on worker threads',
    main: 'stages on their main thread',
  };
  const label = ({ processes, thread, cores }: Setup): string =>
    `tsdags, ${processes} worker process${processes > 1 ? 'es' : ''} (${where[thread]}), cores ${cores}`;

  const redis = await startRedis();
  const started: { stop(): Promise<void> }[] = [];
  const used = new Map<string, number>();
  // CPU ms of the worker processes and of redis-server, per contender, run by run.
  const workerCpu: Samples = new Map();
  const redisCpu: Samples = new Map();
  let samples: Samples;
  let ownCpu: Samples;
  try {
    const rawRunner = await RawBullmq.start({ redis: redis.url, queue: 'bench-raw' }, concurrency);
    started.push({ stop: () => rawRunner.close() });
    const module = fileURLToPath(stagesModule);
    const workers = new Map<string, WorkerProcesses>();
    for (const { processes, thread, queue } of fleets) {
      const w = await startWorkers(processes, { redis: redis.url, queue, concurrency, module, thread });
      workers.set(queue, w);
      started.push(w);
    }
    const workerPids = [...workers.values()].flatMap((w) => w.pids);
    const redisPid = [redis.process.pid!];
    // Every worker process counts, idle or not: they are there during every contender's runs.
    const measured = (contender: Contender): Contender =>
      withCpuOf(workerPids, workerCpu, withCpuOf(redisPid, redisCpu, contender));
    const contenders: Contender[] = [
      { name: raw, run: () => rawRunner.run(n) },
      ...setups.map((setup) => ({
        name: label(setup),
        run: async () => {
          const processes = await Promise.race([
            runTsdagsBullmq(dag, { redis: redis.url, queue: setup.queue }, setup.cores),
            workers.get(setup.queue)!.lost,
          ]);
          used.set(label(setup), Math.min(used.get(label(setup)) ?? Infinity, processes));
        },
      })),
    ].map(measured);
    ({ wall: samples, cpu: ownCpu } = await sideBySide(contenders, runs));
  } finally {
    // Workers first: stopped after Redis, they would wait for it to come back.
    await Promise.allSettled(started.map((s) => s.stop()));
    await redis.stop();
  }

  const reference = median(samples.get(raw)!);
  const us = (ms: number): number => (ms * 1000) / n;
  const rows = [...samples].map(([system, ms]) => [
    `${name} bullmq`,
    system,
    fixed(median(ms), 1),
    spread(ms),
    fixed(us(median(ms)), 0),
    ratio(median(ms) / reference),
    fixed(us(median(ownCpu.get(system)!)), 0),
    // The warm-up run is not in sideBySide's samples: leave it out here too.
    fixed(us(median(workerCpu.get(system)!.slice(1))), 0),
    fixed(us(median(redisCpu.get(system)!.slice(1))), 0),
    system === raw ? '1 (this one)' : String(used.get(system) ?? 'n/a'),
  ]);
  const targets: Target[] = setups.map((setup) => {
    const tsdags = median(samples.get(label(setup))!);
    return {
      target: `bullmq ${name}: ${label(setup)} against raw BullMQ`,
      measured: `${fixed(us(tsdags), 0)} vs ${fixed(us(reference), 0)} µs/stage (${ratio(tsdags / reference)})`,
      limit: '≤ 1.30x',
      pass: tsdags / reference <= 1.3,
    };
  });
  return {
    tables: [
      {
        title: 'Remote workers through BullMQ: no-op stages',
        columns: [
          'workload',
          'system',
          'median ms',
          'range ms',
          'µs/stage',
          'ratio to raw BullMQ',
          'CPU µs/stage here',
          'in workers',
          'in Redis',
          'processes used',
        ],
        numeric: [2, 3, 4, 5, 6, 7, 8],
        rows,
        notes: [
          `Median of ${runs} interleaved runs after one warm-up, on a private redis-server (127.0.0.1) started ` +
            `for the suite. tsdags: \`pipeline.run({ executor: 'bullmq', storeDir: false, cores })\` on a fresh ` +
            `pipeline of ${dag.size} no-op stages (root, ${n}, sink), run by \`tsdags worker\` processes ` +
            `(\`--concurrency ${concurrency}\` each, \`--thread\`: auto, their default, runs a stage on their main ` +
            'thread, where raw BullMQ runs its processor, once its runs are known to take under 1 ms, and on a ' +
            'worker thread until then; worker always on worker threads; main always on their main thread) ' +
            'started before the runs; ' +
            // 4: jobsPerCore in lib/remote/executor-options.ts.
            "*cores*: the workers' total concurrency (what the docs advise; the run then keeps up to 4 × " +
            `cores jobs in Redis, running or waiting) or every stage. Raw BullMQ: ${n} no-op jobs with one ` +
            `\`addBulk\`, a \`Worker\` (concurrency ${concurrency}) ` +
            'in the benchmark process, `waitUntilFinished` on each. Every run makes its Queue and QueueEvents, ' +
            'as tsdags does. *CPU µs/stage*: user + system time per stage (medians) of the benchmark process ' +
            '(the orchestrator; for raw BullMQ, its Worker too), of all the worker processes, and of ' +
            'redis-server (from /proc, 10 ms ticks). *processes used*: the fewest worker processes that ran ' +
            'stages in a run.',
        ],
      },
    ],
    targets,
  };
}
