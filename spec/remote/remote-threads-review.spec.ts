/**
 * A hostile review of 54ae315 and 04962c5 (remote workers' `--thread auto`, the default: a stage
 * known short runs on the worker process's main thread). Specs marked "Found:" failed on that
 * code (bugs fixed since: lib/remote/main-thread-run.ts, JobRunner.close, startWorker's
 * unhandledRejection); the others pin behaviour that held.
 * The worker processes load spec/fixtures/remote/review-threads-pipeline.mjs.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue, QueueEvents } from 'bullmq';
import {
  Pipeline,
  UncloneableValueError,
  type RunOptions,
  type RunResult,
  type Stage,
  type StageStartEvent,
} from 'tsdags';
import { stageJobId } from '../../lib/remote/protocol.js';
import {
  rvExit,
  rvFlaky,
  rvHold,
  rvShape,
  rvSpin,
  rvStray,
  rvTimed,
  rvValue,
} from '../fixtures/remote/review-threads.mjs';
import { attemptTrail } from '../support/trail.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { spawnCliWorker, spawnWorker, type WorkerProcess } from '../support/worker-process.js';

const module = fileURLToPath(new URL('../fixtures/remote/review-threads-pipeline.mjs', import.meta.url));
let redis: RedisServer;
let dir: string;
const workers: WorkerProcess[] = [];
const closing: { close(): Promise<unknown> }[] = [];
// Runs a failing spec left waiting (a worker that never answers): cancelled at the end.
const runs: { cancel(): void }[] = [];

beforeAll(async () => {
  redis = await startRedis();
  dir = mkdtempSync(join(tmpdir(), 'tsdags-threads-review-'));
});

afterAll(async () => {
  for (const run of runs) run.cancel();
  await Promise.all(workers.map((worker) => worker.stop()));
  await Promise.all(closing.map((c) => c.close()));
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

// A worker of its own on a queue of its own (what it learns of run times stays its own); auto
// unless `thread` says otherwise.
async function workerOn(queue: string, thread?: string, cli = false): Promise<WorkerProcess> {
  const env: Record<string, string> = thread ? { TSDAGS_THREAD: thread } : {};
  const worker = cli
    ? spawnCliWorker({ redis: redis.url, queue, module })
    : spawnWorker({ redis: redis.url, queue, module, env });
  workers.push(worker);
  await worker.waitFor(/ready on queue/);
  return worker;
}

const remote = (queue: string, options: RunOptions = {}): RunOptions => ({
  executor: 'bullmq',
  redis: redis.url,
  queue,
  storeDir: false,
  ...options,
});

function runOf(queue: string, stages: Stage[], options: RunOptions = {}) {
  const run = new Pipeline().addStages(stages).run(remote(queue, options));
  runs.push(run);
  return run;
}

// Runs one stage; its output, or the cause of its failure.
async function outcome(queue: string, s: Stage, options: RunOptions = {}): Promise<unknown> {
  const result = await runOf(queue, [s], options).done;
  return result.status === 'succeeded' ? result.output(s) : result.errors[0]?.cause;
}

// 'ok' runs: the first on a thread, then, once known short, on the main thread. Its runs are timed
// by the clock: on a loaded machine one may take 1 ms, and the next goes to a thread again.
async function makeShort(queue: string, factory: (mode: string) => Stage): Promise<void> {
  const where = [await outcome(queue, factory('ok'))];
  while (where.length < 10 && where.at(-1) !== 'main') where.push(await outcome(queue, factory('ok')));
  expect([where[0], where.at(-1)]).toEqual(['thread', 'main']);
}

// What the orchestrator sees of an error, but its message (which says where it was thrown).
function shape(error: unknown) {
  const e = error as Error & Record<string, unknown>;
  return { name: e.name, class: e.constructor.name, code: e.code, detail: e.detail, keys: Object.keys(e) };
}

test('Found: an error thrown on the main thread reaches the orchestrator as the same error from a thread', async () => {
  const q = 'rv-errors';
  await workerOn(q);
  // A failed run on a thread is not timed: the stage is not known short yet.
  const thrownThere = (await outcome(q, rvShape('throw'))) as Error;
  const rejectedThere = (await outcome(q, rvShape('reject'))) as Error;
  expect([thrownThere.message, rejectedThere.message]).toEqual(['thrown on thread', 'rejected on thread']);
  await makeShort(q, rvShape);
  const thrownHere = (await outcome(q, rvShape('throw'))) as Error;
  const rejectedHere = (await outcome(q, rvShape('reject'))) as Error;
  expect([thrownHere.message, rejectedHere.message]).toEqual(['thrown on main', 'rejected on main']);
  // Where a stage runs depends on how long its earlier runs took: its error must not.
  expect([shape(thrownHere), shape(rejectedHere)]).toEqual([shape(thrownThere), shape(rejectedThere)]);
});

test('a result structured clone refuses fails the same way on the main thread as on a thread, unretried', async () => {
  const q = 'rv-uncloneable';
  await workerOn(q);
  const options = { retries: 2, retryDelay: 0 };
  const there = await runOf(q, [rvValue('fn').named('v')], options).done;
  await makeShort(q, rvValue);
  const here = await runOf(q, [rvValue('fn').named('v')], options).done;
  for (const result of [there, here]) {
    expect(result.errors[0]?.cause).toBeInstanceOf(UncloneableValueError);
    expect(result.events.filter((e) => e.type === 'stage:retry')).toEqual([]);
  }
  expect((here.errors[0]!.cause as Error).message).toBe((there.errors[0]!.cause as Error).message);
});

test('Found: a Buffer result reaches the orchestrator as the same type from the main thread as from a thread', async () => {
  const q = 'rv-buffer';
  await workerOn(q);
  // Its first run, on a thread, makes it known short.
  const there = (await outcome(q, rvValue('buffer'))) as { bytes: Uint8Array; where: string };
  const here = (await outcome(q, rvValue('buffer'))) as { bytes: Uint8Array; where: string };
  expect([there.where, here.where]).toEqual(['thread', 'main']);
  // From a thread, a Uint8Array (as a local run gives): String(bytes) is '97,98'. From the main
  // thread, a Buffer: String(bytes) is 'ab'.
  const seen = (value: { bytes: Uint8Array }) => [Buffer.isBuffer(value.bytes), String(value.bytes)];
  expect(seen(here)).toEqual(seen(there));
});

test('a cancelled run fails its stage on the main thread as cancelled, unretried; the stage runs on to its end', async () => {
  const q = 'rv-cancel';
  const worker = await workerOn(q);
  const queue = new Queue(q, { connection: { url: redis.url } });
  const events = new QueueEvents(q, { connection: { url: redis.url } });
  closing.push(queue, events);
  await makeShort(q, (mode) => rvHold(mode, '', ''));
  const release = join(dir, 'cancel-release');
  const h = rvHold('hold', release, 'cancel');
  const run = runOf(q, [h], { retries: 3, retryDelay: 0 });
  expect(await worker.waitFor(/rv-holding cancel/)).toBe('rv-holding cancel main');
  run.cancel();
  const result = await run.done;
  expect(result.status).toBe('cancelled');
  const job = (await queue.getJob(stageJobId(result.runId, h.name, 1)))!;
  await expect(job.waitUntilFinished(events)).rejects.toThrow(/cancelled/);
  expect([await job.getState(), (await queue.getJob(job.id!))?.attemptsMade]).toEqual(['failed', 1]);
  await worker.waitFor(/stopped 1 stage\(s\)/);
  // It cannot be stopped there: it ends when released, and its long run sends the stage back to a thread.
  const ended = worker.next(/rv-held cancel main/);
  writeFileSync(release, '');
  await ended;
  expect(await outcome(q, rvHold('ok', '', ''))).toBe('thread');
  expect(worker.lines.filter((line) => line.startsWith('rv-holding'))).toHaveLength(1);
});

test('Found: a stage on the main thread cancelled before it ended is no longer known short', async () => {
  const q = 'rv-hang';
  const worker = await workerOn(q);
  await makeShort(q, (mode) => rvHold(mode, '', ''));
  const run = runOf(q, [rvHold('hang', '', 'hang')]);
  expect(await worker.waitFor(/rv-hanging hang/)).toBe('rv-hanging hang main');
  run.cancel();
  expect((await run.done).status).toBe('cancelled');
  await worker.waitFor(/stopped 1 stage\(s\)/);
  // Its run has lasted far longer than 1 ms, and goes on: the next one goes to a thread, where it
  // can be stopped, as the docs say ("a run of 1 ms or more sends the stage back to the threads").
  expect(await outcome(q, rvHold('ok', '', ''))).toBe('thread');
});

// Whether the worker process exited before the run ended; the run's status and error.
async function survives(worker: WorkerProcess, q: string, s: Stage) {
  const run = runOf(q, [s]);
  const exited = await Promise.race([run.done.then(() => null), worker.exited.then(([code]) => code)]);
  if (exited !== null) run.cancel();
  const result = await run.done;
  const cause = result.errors[0]?.cause as Error | undefined;
  const output = result.status === 'succeeded' ? result.output(s) : cause?.message;
  return { exited, status: result.status, output };
}

test('Found: a stage that calls process.exit() fails on the main thread as on a thread, and the worker lives', async () => {
  const q = 'rv-exit';
  const worker = await workerOn(q);
  const called = expect.stringContaining('process.exit(7) was called by a stage');
  expect(await survives(worker, q, rvExit('exit'))).toEqual({
    exited: null,
    status: 'failed',
    output: called,
  });
  await makeShort(q, rvExit);
  expect(await survives(worker, q, rvExit('exit'))).toEqual({
    exited: null,
    status: 'failed',
    output: called,
  });
});

test('a stray rejection on a thread costs the worker process nothing', async () => {
  const q = 'rv-stray-thread';
  const worker = await workerOn(q, 'worker');
  expect(await survives(worker, q, rvStray('stray'))).toMatchObject({ exited: null });
  expect(await outcome(q, rvStray('ok'))).toBe('thread');
});

test('Found: a stray rejection of a stage on the main thread does not end the worker process', async () => {
  const q = 'rv-stray-main';
  const worker = await workerOn(q);
  await makeShort(q, rvStray);
  // Its result may come back before the process ends: the next stage shows whether it lives.
  expect(await survives(worker, q, rvStray('stray'))).toMatchObject({ exited: null });
  expect(await survives(worker, q, rvStray('ok'))).toEqual({
    exited: null,
    status: 'succeeded',
    output: 'main',
  });
});

test('SIGTERM lets a stage on the main thread finish; its result reaches the orchestrator', async () => {
  const q = 'rv-term';
  const worker = await workerOn(q, undefined, true);
  await makeShort(q, (mode) => rvHold(mode, '', ''));
  const release = join(dir, 'term-release');
  const h = rvHold('hold', release, 'term');
  const run = runOf(q, [h]);
  expect(await worker.waitFor(/rv-holding term/)).toBe('rv-holding term main');
  worker.child.kill('SIGTERM');
  await worker.waitFor(/SIGTERM: finishing the running stages/);
  writeFileSync(release, '');
  const result = await run.done;
  expect([result.status, result.output(h)]).toEqual(['succeeded', 'main']);
  expect(await worker.exited).toEqual([0, null]);
});

test("every stage:start names its worker, though a stage on the main thread ends in its start's read", async () => {
  const q = 'rv-starts';
  const worker = await workerOn(q);
  const id = `${hostname()}:${worker.pid}`;
  const chain = Array.from({ length: 20 }, (_, k) => rvSpin(0).named(`spin-${k}`));
  chain.forEach((s, k) => k > 0 && s.after(chain[k - 1]!));
  const fan = Array.from({ length: 20 }, (_, k) => rvSpin(0).named(`fan-${k}`).after(chain[19]!));
  const result = await runOf(q, [...chain, ...fan]).done;
  expect(result.status).toBe('succeeded');
  const starts = result.events.filter((e): e is StageStartEvent => e.type === 'stage:start');
  expect(starts.map((e) => e.stage).sort()).toEqual([...chain, ...fan].map((s) => s.name).sort());
  expect(new Set(starts.map((e) => e.worker))).toEqual(new Set([id]));
});

test('a stage with its own timeout always runs on a thread; a stage awaiting I/O too', async () => {
  const q = 'rv-timed';
  await workerOn(q);
  const where = [];
  for (let k = 0; k < 3; k++) where.push(await outcome(q, rvTimed()));
  expect(where).toEqual(['thread', 'thread', 'thread']);
  const waits = [];
  for (let k = 0; k < 3; k++) waits.push(await outcome(q, rvHold('sleep', '', '')));
  expect(waits).toEqual(['thread', 'thread', 'thread']);
});

test("a failing stage on the main thread is retried by its job's attempts, there", async () => {
  const q = 'rv-retries';
  await workerOn(q);
  await makeShort(q, (mode) => rvFlaky(mode, '', 0));
  const f = rvFlaky('fail', join(dir, 'flaky-runs'), 2);
  const result: RunResult = await runOf(q, [f], { retries: 3, retryDelay: 0 }).done;
  expect(result.status).toBe('succeeded');
  expect(attemptTrail(result.events)).toEqual([
    'stage:start 1',
    'stage:retry 1',
    'stage:start 2',
    'stage:retry 2',
    'stage:start 3',
    'stage:done 3',
  ]);
  // The first try on the main thread; the next where their clock sent them.
  const errors = result.events.flatMap((e) =>
    e.type === 'stage:retry' ? [(e.error.cause as Error).message] : [],
  );
  expect(errors).toEqual([
    'rv flaky run 1 on main',
    expect.stringMatching(/^rv flaky run 2 on (main|thread)$/),
  ]);
});

// Last: on the code reviewed its first worker runs on until the end of the file.
test('Found: a second SIGTERM hands a stage running on the main thread back to the queue and exits; another worker runs it', async () => {
  const q = 'rv-force';
  const first = await workerOn(q, undefined, true);
  await makeShort(q, (mode) => rvHold(mode, '', ''));
  const release = join(dir, 'force-release');
  const h = rvHold('hold', release, 'force');
  const run = runOf(q, [h]);
  expect(await first.waitFor(/rv-holding force/)).toBe('rv-holding force main');
  first.child.kill('SIGTERM');
  await first.waitFor(/SIGTERM: finishing the running stages/);
  first.child.kill('SIGTERM');
  await first.waitFor(/SIGTERM: stopping now/);
  try {
    // On a thread, the stage is stopped and the process exits at once. Found: here it waited for
    // the stage to end (the test timed out).
    expect(await first.exited).toEqual([0, null]);
    const second = await workerOn(q);
    await second.waitFor(/rv-holding force thread/);
  } finally {
    writeFileSync(release, '');
  }
  const result = await run.done;
  expect([result.status, result.output(h)]).toEqual(['succeeded', 'thread']);
}, 30_000);
