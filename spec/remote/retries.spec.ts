/**
 * A remote stage's retries are BullMQ's attempts: one job, tried again by BullMQ with the stage's
 * back-off, each failed try announced by the orchestrator as a stage:retry. A run stopped by a
 * failure takes back a job that waits out its back-off.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Pipeline, type RunOptions } from 'tsdags';
import { stageJobId } from '../../lib/remote/protocol.js';
import { backoffType, jobBackoff, retryOptions } from '../../lib/remote/retries.js';
import { failWhen, flaky } from '../fixtures/remote/stages.mjs';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { spawnWorker, type WorkerProcess } from '../support/worker-process.js';

let redis: RedisServer;
let worker: WorkerProcess;
let queue: Queue;
let dir: string;
const queueName = `retries-${process.pid}`;

beforeAll(async () => {
  redis = await startRedis();
  dir = mkdtempSync(join(tmpdir(), 'tsdags-retries-'));
  worker = spawnWorker({ redis: redis.url, queue: queueName, concurrency: 2 });
  queue = new Queue(queueName, { connection: { url: redis.url } });
  await worker.waitFor(/ready on queue/);
});

afterAll(async () => {
  await queue?.close();
  await worker?.stop();
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const remote = (options: RunOptions): RunOptions => ({
  executor: 'bullmq',
  redis: redis.url,
  queue: queueName,
  storeDir: false,
  cores: 2,
  ...options,
});

test("a failing stage is retried by its job's BullMQ attempts, not by new jobs", async () => {
  const f = flaky(join(dir, 'flaky-runs'), 2);
  const result = await new Pipeline().addStages([f]).run(remote({ retries: 3, retryDelay: 10 })).done;
  expect(result.status).toBe('succeeded');
  expect(result.output(f)).toBe(3);
  const job = await queue.getJob(stageJobId(result.runId, f.name, 1));
  expect(job?.attemptsMade).toBe(3);
  expect(job?.opts.attempts).toBe(4);
  expect(job?.opts.backoff).toEqual({ type: backoffType, delay: 10, max: 30_000 });
  expect(await queue.getJob(stageJobId(result.runId, f.name, 2))).toBeUndefined();
});

test('a run stopped by a failure takes back the job waiting out its back-off, and ends', async () => {
  const release = join(dir, 'release');
  const log = join(dir, 'stopped-runs');
  const f = flaky(log, 5);
  const w = failWhen(release);
  // A back-off of a minute: the run ends at once only if the waiting job is taken back.
  const run = new Pipeline()
    .addStages([f, w])
    .run(remote({ retries: 3, retryDelay: 60_000, maxRetryDelay: 60_000, onError: 'stop' }));
  run.events.subscribe((event) => {
    if (event.type === 'stage:retry' && !existsSync(release)) writeFileSync(release, '');
  });
  const result = await run.done;
  expect(result.status).toBe('failed');
  expect(result.errors.map((error) => error.stage)).toEqual([w.name]);
  expect(result.stages[f.name]?.status).toBe('skipped');
  expect(await queue.getJob(stageJobId(result.runId, f.name, 1))).toBeUndefined();
  expect(readFileSync(log, 'utf8').trim().split('\n')).toHaveLength(1);
});

describe('the back-off the worker computes', () => {
  const job = (attempt: number) => ({
    data: { attempt },
    opts: { backoff: { type: backoffType, delay: 100, max: 1000 } },
  });

  test('waits as the engine would: doubling from retryDelay, capped at maxRetryDelay, half jittered', () => {
    // The job's first try was attempt 1: its third failed try is attempt 3 (ceiling 400 ms).
    const third = jobBackoff(3, backoffType, undefined, job(1));
    expect(third).toBeGreaterThanOrEqual(200);
    expect(third).toBeLessThanOrEqual(400);
    // A job made for attempt 4 (the engine retried a timeout): its first failed try is attempt 4.
    const capped = jobBackoff(2, backoffType, undefined, job(4));
    expect(capped).toBeGreaterThanOrEqual(500);
    expect(capped).toBeLessThanOrEqual(1000);
  });

  test('refuses to retry a back-off that is not a tsdags one', () => {
    expect(jobBackoff(1, 'exponential', undefined, job(1))).toBe(-1);
    expect(jobBackoff(1, backoffType, undefined, { data: {}, opts: {} })).toBe(-1);
  });

  test('a stage without retries gets one attempt and no back-off', () => {
    expect(retryOptions({ retries: 0, retryDelay: 100, maxRetryDelay: 1000 })).toEqual({ attempts: 1 });
  });
});
