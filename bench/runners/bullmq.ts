import { Queue, QueueEvents, Worker, type ConnectionOptions } from 'bullmq';
import type { RunResult } from 'tsdags';
import type { Dag } from '../dag.js';
import { pipelineOf } from './tsdags.js';

/** The module remote workers load for the no-op stages: the one tsdags' pipelines take them from. */
export const stagesModule = new URL('../stages/spin.mjs', import.meta.url);

/** Where a run's jobs go. */
export interface QueueSettings {
  /** `redis://127.0.0.1:<port>` */
  readonly redis: string;
  readonly queue: string;
}

/**
 * The workload through remote workers: `pipeline.run({ executor: 'bullmq' })` with no store, at
 * most `cores` jobs in flight (the workers' total concurrency, as the executor's docs advise).
 * Resolves with how many worker processes ran its stages.
 */
export async function runTsdagsBullmq(dag: Dag, settings: QueueSettings, cores: number): Promise<number> {
  const run = pipelineOf(dag).pipeline.run({
    executor: 'bullmq',
    redis: settings.redis,
    queue: settings.queue,
    storeDir: false,
    cores,
  });
  const result: RunResult = await run.done;
  if (result.status !== 'succeeded') throw new Error(`Expected ${dag.name} to succeed, got ${result.status}`);
  const workers = new Set<string>();
  for (const event of result.events)
    if (event.type === 'stage:start' && event.worker) workers.add(event.worker);
  return workers.size;
}

/**
 * Raw BullMQ, the floor: a Worker with a no-op processor in this process, kept for every run as
 * remote workers are; each run makes its Queue and QueueEvents (as tsdags' executor does on every
 * run), adds its n jobs with one `addBulk` and waits for each with `waitUntilFinished`.
 */
export class RawBullmq {
  readonly #connection: ConnectionOptions;
  readonly #queue: string;
  readonly #worker: Worker;

  private constructor(connection: ConnectionOptions, queue: string, worker: Worker) {
    this.#connection = connection;
    this.#queue = queue;
    this.#worker = worker;
  }

  static async start(settings: QueueSettings, concurrency: number): Promise<RawBullmq> {
    const { hostname, port } = new URL(settings.redis);
    const connection: ConnectionOptions = { host: hostname, port: Number(port) };
    const worker = new Worker(settings.queue, () => Promise.resolve(), { connection, concurrency });
    await worker.waitUntilReady();
    return new RawBullmq(connection, settings.queue, worker);
  }

  async run(n: number): Promise<void> {
    const connection = this.#connection;
    const queue = new Queue(this.#queue, { connection });
    const events = new QueueEvents(this.#queue, { connection });
    // Each waitUntilFinished listens for the queue's closing: n listeners, not a leak.
    queue.setMaxListeners(n + 10);
    try {
      await events.waitUntilReady();
      const jobs = await queue.addBulk(Array.from({ length: n }, () => ({ name: 'noop', data: {} })));
      await Promise.all(jobs.map((job) => job.waitUntilFinished(events)));
    } finally {
      await Promise.all([events.close(), queue.close()]);
    }
  }

  close(): Promise<void> {
    return this.#worker.close();
  }
}
