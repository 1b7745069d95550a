/**
 * `tsdags worker` (the built CLI, calling workerCommand) as a long-running process: SIGTERM lets
 * the running stage finish, a second SIGTERM stops it and puts its job back in the queue for
 * another worker. And a restarted orchestrator (same run id) gets finished stages back without
 * running them again.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pipeline, type RunOptions } from 'tsdags';
import { workerCommand } from '../../lib/remote/worker-command.js';
import { count, hold } from '../fixtures/remote/stages.mjs';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { spawnCliWorker, type WorkerProcess } from '../support/worker-process.js';

const pipelineFile = fileURLToPath(new URL('../fixtures/remote/pipeline.mjs', import.meta.url));
let redis: RedisServer;
let dir: string;
const spawned: WorkerProcess[] = [];

beforeAll(async () => {
  redis = await startRedis();
  dir = mkdtempSync(join(tmpdir(), 'tsdags-worker-command-'));
});

afterAll(async () => {
  await Promise.all(spawned.map((worker) => worker.stop()));
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function command(queue: string): WorkerProcess {
  const worker = spawnCliWorker({ redis: redis.url, queue, module: pipelineFile });
  spawned.push(worker);
  return worker;
}

function remote(queue: string, runId?: string): RunOptions {
  return { executor: 'bullmq', redis: redis.url, queue, storeDir: false, ...(runId ? { runId } : {}) };
}

test('tsdags worker on SIGTERM lets the running stage finish, then exits 0', async () => {
  const queue = 'sigterm';
  const release = join(dir, 'release-1');
  const log = join(dir, 'log-1');
  const worker = command(queue);
  await worker.waitFor(/ready on queue "sigterm"/);
  const h = hold(release, log);
  const run = new Pipeline().addStages([h]).run(remote(queue));
  await worker.waitFor(/^holding /);
  worker.child.kill('SIGTERM');
  await worker.waitFor(/SIGTERM: finishing the running stages/);
  writeFileSync(release, '');
  const result = await run.done;
  expect(result.status).toBe('succeeded');
  expect(result.output(h)).toBe(1);
  expect(await worker.exited).toEqual([0, null]);
  expect(worker.lines.at(-1)).toMatch(/stopped$/);
});

test('tsdags worker on a second SIGTERM stops the stage and hands its job to another worker', async () => {
  const queue = 'sigterm-twice';
  const release = join(dir, 'release-2');
  const log = join(dir, 'log-2');
  const first = command(queue);
  await first.waitFor(/ready on queue/);
  const h = hold(release, log);
  const run = new Pipeline().addStages([h]).run(remote(queue));
  await first.waitFor(/^holding /);
  first.child.kill('SIGTERM');
  await first.waitFor(/finishing the running stages/);
  first.child.kill('SIGTERM');
  expect(await first.exited).toEqual([0, null]);
  expect(first.lines).toContainEqual(expect.stringMatching(/SIGTERM: stopping now/));

  // The job went back to the queue at once: the next worker takes it, no stalled-job wait.
  writeFileSync(release, '');
  const second = command(queue);
  const result = await run.done;
  expect(result.status).toBe('succeeded');
  expect(result.output(h)).toBe(2);
  expect(readFileSync(log, 'utf8').trim().split('\n')).toEqual([String(first.pid), String(second.pid)]);
});

test('a restarted orchestrator gets the results of stages that ran, without running them again', async () => {
  const queue = 'restart';
  const worker = command(queue);
  await worker.waitFor(/ready on queue/);
  const log = join(dir, 'log-3');
  const runId = `restart-${process.pid}`;
  const first = count(log);
  const before = await new Pipeline().addStages([first]).run(remote(queue, runId)).done;
  expect(before.output(first)).toBe(1);
  // Same run id, same stage name, same attempt: the same job id, which BullMQ does not add twice.
  const again = count(log).named(first.name);
  const after = await new Pipeline().addStages([again]).run(remote(queue, runId)).done;
  expect(after.status).toBe('succeeded');
  expect(after.output(again)).toBe(1);
  expect(readFileSync(log, 'utf8').trim().split('\n')).toHaveLength(1);
});

test('workerCommand() rejects a bad --redis, --concurrency or --thread before loading anything', async () => {
  const io = { log: () => {}, signals: process };
  await expect(workerCommand(pipelineFile, { redis: '' }, io)).rejects.toThrow(/Expected --redis/);
  await expect(workerCommand(pipelineFile, { redis: 'http://x' }, io)).rejects.toThrow(
    /Expected `redis` to be a redis:\/\/ or rediss:\/\/ URL/,
  );
  await expect(workerCommand(pipelineFile, { redis: redis.url, concurrency: 'two' }, io)).rejects.toThrow(
    /Expected --concurrency to be a whole number from 1 up, got "two"/,
  );
  await expect(
    workerCommand(pipelineFile, { redis: redis.url, thread: 'process' as never }, io),
  ).rejects.toThrow(/Expected --thread to be auto, worker or main, got "process"/);
});
