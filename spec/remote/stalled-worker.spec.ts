/**
 * A remote worker killed with SIGKILL in the middle of a stage: BullMQ's stalled-job check gives
 * the job to another worker, the stage runs again there, and the run completes. The stage's side
 * effect is seen exactly twice (the killed attempt and the re-run): never lost, never tripled.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pipeline, type RunEvent, type StageStartEvent } from 'tsdags';
import { double, gated } from '../fixtures/remote/stages.mjs';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { spawnWorker, type WorkerProcess } from '../support/worker-process.js';

let redis: RedisServer;
const spawned: WorkerProcess[] = [];
let dir: string;

beforeAll(async () => {
  redis = await startRedis();
  dir = mkdtempSync(join(tmpdir(), 'tsdags-stalled-'));
});

afterAll(async () => {
  await Promise.all(spawned.map((worker) => worker.stop()));
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

// Short locks so that the lost worker's job is noticed in about a second, not BullMQ's 30 s.
function worker(queue: string): WorkerProcess {
  const process = spawnWorker({ redis: redis.url, queue, lockDuration: 1000, stalledInterval: 300 });
  spawned.push(process);
  return process;
}

test('a stage whose worker is killed with SIGKILL runs again on another worker and the run completes', async () => {
  const queue = `stalled-${process.pid}`;
  const runs = join(dir, 'runs');
  const first = worker(queue);
  await first.waitFor(/ready on queue/);

  //  gated ─> double
  const g = gated(runs);
  const d = double(g);
  const run = new Pipeline()
    .addStages([d])
    .run({ executor: 'bullmq', redis: redis.url, queue, storeDir: false });

  // The stage is running on the first worker (it said so), and is stuck there: kill that worker.
  await first.waitFor(/^gated /);
  await first.stop();
  expect(first.child.signalCode).toBe('SIGKILL');
  const second = worker(queue);

  const result = await run.done;
  expect(result.status).toBe('succeeded');
  expect(result.output(g)).toBe(2);
  expect(result.output(d)).toBe(4);
  // The side effect: once by the killed worker, once by the one that took its job over.
  expect(readFileSync(runs, 'utf8').trim().split('\n')).toEqual([String(first.pid), String(second.pid)]);
  // One attempt as far as the run is concerned; its start names the worker that first took it.
  const starts = result.events.filter((e: RunEvent): e is StageStartEvent => e.type === 'stage:start');
  expect(starts.map((e) => [e.stage, e.attempt, e.worker])).toEqual([
    [g.name, 1, `${hostname()}:${first.pid}`],
    [d.name, 1, `${hostname()}:${second.pid}`],
  ]);
});
