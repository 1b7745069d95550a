/**
 * Where a remote worker runs stages (`thread`): `auto`, the default, runs a stage on the worker's
 * main thread once its recent runs all took under 1 ms and its attempt has no timeout, and on a
 * worker thread otherwise; `worker` and `main` always there.
 */
import { Pipeline, startWorker, type RunOptions } from 'tsdags';
import { where } from '../fixtures/remote/stages.mjs';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { spawnWorker, type WorkerProcess } from '../support/worker-process.js';

let redis: RedisServer;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.stop()));
  await redis?.stop();
});

// A worker of its own (one stage at a time) on a queue of its own: what it learnt stays its own.
async function workerOn(queue: string, thread?: string): Promise<void> {
  const worker = spawnWorker({ redis: redis.url, queue, env: thread ? { TSDAGS_THREAD: thread } : {} });
  workers.push(worker);
  await worker.waitFor(/ready on queue/);
}

// Runs where(ms) for each ms in turn, one after the other; says where each ran.
async function wherever(queue: string, spins: number[], options: RunOptions = {}): Promise<string[]> {
  const stages = spins.map((ms, k) => where(ms).named(`where-${k}`));
  stages.forEach((s, k) => k > 0 && s.after(stages[k - 1]!));
  const result = await new Pipeline()
    .addStages(stages)
    .run({ executor: 'bullmq', redis: redis.url, queue, storeDir: false, ...options }).done;
  expect(result.status).toBe('succeeded');
  return stages.map((s) => result.output(s) as string);
}

test('auto: a stage runs on a thread until its runs are known short, then on the main thread', async () => {
  await workerOn('auto-short');
  expect(await wherever('auto-short', [0, 0, 0])).toEqual(['thread', 'main', 'main']);
});

test('auto: a run of 1 ms or more sends the stage back to a thread', async () => {
  await workerOn('auto-long');
  expect(await wherever('auto-long', [0, 5, 0, 0])).toEqual(['thread', 'main', 'thread', 'thread']);
});

test('auto: an attempt with a timeout always runs on a thread, where its timeout can stop it', async () => {
  await workerOn('auto-timed');
  expect(await wherever('auto-timed', [0, 0, 0], { timeout: 30_000 })).toEqual([
    'thread',
    'thread',
    'thread',
  ]);
  // The same stage without one, on the same worker: known short, on the main thread.
  expect(await wherever('auto-timed', [0])).toEqual(['main']);
});

test.each([
  ['worker', 'thread'],
  ['main', 'main'],
])('thread: %s runs every stage there', async (thread, expected) => {
  await workerOn(`fixed-${thread}`, thread);
  expect(await wherever(`fixed-${thread}`, [0, 0, 0])).toEqual([expected, expected, expected]);
});

test('startWorker() refuses another thread, saying which it takes', async () => {
  await expect(
    startWorker({ module: 'pipeline.mjs', redis: redis.url, thread: 'gpu' as never }),
  ).rejects.toThrow("Expected `thread` to be 'auto', 'worker' or 'main', got \"gpu\" (string).");
});
