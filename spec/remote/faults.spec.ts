/**
 * The bullmq executor when things go wrong around it: Redis not there, Redis lost mid-run, a run
 * cancelled while a remote stage runs. The run ends, with an error that says what happened; it
 * never hangs.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pipeline, StageFailedError } from 'tsdags';
import { BullMQExecutor } from '../../lib/executors/bullmq.js';
import { RedisUnavailableError } from '../../lib/remote/remote-errors.js';
import { add, gated } from '../fixtures/remote/stages.mjs';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { runWith } from '../support/run-with.js';
import { spawnWorker, type WorkerProcess } from '../support/worker-process.js';

const spawned: WorkerProcess[] = [];
const servers: RedisServer[] = [];
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsdags-faults-'));
});

afterAll(async () => {
  await Promise.all(spawned.map((worker) => worker.stop()));
  await Promise.all(servers.map((server) => server.stop()));
  rmSync(dir, { recursive: true, force: true });
});

async function redis(): Promise<RedisServer> {
  const server = await startRedis();
  servers.push(server);
  return server;
}

function worker(url: string, queue: string): WorkerProcess {
  const process = spawnWorker({ redis: url, queue });
  spawned.push(process);
  return process;
}

test('a run whose Redis is not there fails with RedisUnavailableError naming the address', async () => {
  // A port where Redis was and is no more.
  const gone = await redis();
  await gone.stop();
  const s = add(1, 2);
  const run = runWith(
    new Pipeline().addStages([s]),
    (runId) => new BullMQExecutor({ runId, redis: gone.url, queue: 'nowhere', redisTimeout: 200 }),
  );
  const result = await run.done;
  expect(result.status).toBe('failed');
  const [error] = result.errors;
  expect(error).toBeInstanceOf(StageFailedError);
  expect(error!.cause).toBeInstanceOf(RedisUnavailableError);
  expect((error!.cause as RedisUnavailableError).address).toBe(`redis://127.0.0.1:${gone.port}`);
  expect((error!.cause as Error).message).toContain(`Expected Redis at redis://127.0.0.1:${gone.port}`);
});

test('a run whose Redis goes away mid-stage fails with RedisUnavailableError instead of waiting', async () => {
  const server = await redis();
  const queue = `lost-${process.pid}`;
  const remote = worker(server.url, queue);
  await remote.waitFor(/ready on queue/);
  const g = gated(join(dir, 'lost-runs'));
  const run = runWith(
    new Pipeline().addStages([g]),
    (runId) => new BullMQExecutor({ runId, redis: server.url, queue, redisTimeout: 300 }),
  );
  await remote.waitFor(/^gated /);
  await server.stop();
  const result = await run.done;
  expect(result.status).toBe('failed');
  expect(result.errors[0]!.cause).toBeInstanceOf(RedisUnavailableError);
  expect((result.errors[0]!.cause as Error).message).toContain(server.url);
});

test('run.cancel() stops the remote stage on its worker and ends the run cancelled', async () => {
  const server = await redis();
  const queue = `cancel-${process.pid}`;
  const remote = worker(server.url, queue);
  await remote.waitFor(/ready on queue/);
  const runs = join(dir, 'cancel-runs');
  const g = gated(runs);
  const run = runWith(
    new Pipeline().addStages([g]),
    (runId) => new BullMQExecutor({ runId, redis: server.url, queue }),
  );
  await remote.waitFor(/^gated /);
  run.cancel('enough');
  const result = await run.done;
  expect(result.status).toBe('cancelled');
  expect(result.stages[g.name]!.status).toBe('cancelled');
  // The worker was told, and stopped the stage (its thread is terminated, its job failed, not re-run).
  await remote.waitFor(/stopped 1 stage\(s\)/);
  expect(readFileSync(runs, 'utf8').trim().split('\n')).toEqual([String(remote.pid)]);
});
