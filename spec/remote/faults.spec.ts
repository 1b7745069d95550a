/**
 * The bullmq executor when things go wrong around it: Redis not there, Redis lost mid-run, a run
 * cancelled while a remote stage runs. The run ends, with an error that says what happened; it
 * never hangs.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pipeline, RedisUnavailableError, StageFailedError, type RunOptions } from 'tsdags';
import { add, gated } from '../fixtures/remote/stages.mjs';
import { startRedis, type RedisServer } from '../support/redis-server.js';
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

function remote(redis: RunOptions['redis'], queue: string): RunOptions {
  return { executor: 'bullmq', redis, queue, storeDir: false };
}

test('a run whose Redis is not there fails with RedisUnavailableError naming the address', async () => {
  // A port where Redis was and is no more. The run waits its default 10 s for Redis to come back.
  const gone = await redis();
  await gone.stop();
  const s = add(1, 2);
  const run = new Pipeline().addStages([s]).run(remote(gone.url, 'nowhere'));
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
  const remoteWorker = worker(server.url, queue);
  await remoteWorker.waitFor(/ready on queue/);
  const g = gated(join(dir, 'lost-runs'));
  // ioredis options pass through: a retryStrategy that gives up makes the run fail at once.
  const run = new Pipeline()
    .addStages([g])
    .run(remote({ url: server.url, retryStrategy: () => null }, queue));
  await remoteWorker.waitFor(/^gated /);
  await server.stop();
  const result = await run.done;
  expect(result.status).toBe('failed');
  expect(result.errors[0]!.cause).toBeInstanceOf(RedisUnavailableError);
  expect((result.errors[0]!.cause as Error).message).toContain(server.url);
});

test('run.cancel() stops the remote stage on its worker and ends the run cancelled', async () => {
  const server = await redis();
  const queue = `cancel-${process.pid}`;
  const remoteWorker = worker(server.url, queue);
  await remoteWorker.waitFor(/ready on queue/);
  const runs = join(dir, 'cancel-runs');
  const g = gated(runs);
  const run = new Pipeline().addStages([g]).run(remote(server.url, queue));
  await remoteWorker.waitFor(/^gated /);
  run.cancel('enough');
  const result = await run.done;
  expect(result.status).toBe('cancelled');
  expect(result.stages[g.name]!.status).toBe('cancelled');
  // The worker was told, and stopped the stage (its thread is terminated, its job failed, not re-run).
  await remoteWorker.waitFor(/stopped 1 stage\(s\)/);
  expect(readFileSync(runs, 'utf8').trim().split('\n')).toEqual([String(remoteWorker.pid)]);
});
