/**
 * One suite, two executors: worker threads on this machine, and BullMQ jobs run by two worker
 * processes (spec/fixtures/remote/worker.mjs) through a Redis started for this file. Results,
 * events and failures must be the same.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Pipeline,
  StageFailedError,
  UncloneableValueError,
  type RunEvent,
  type RunOptions,
  type RunResult,
  type StageRetryEvent,
  type StageStartEvent,
} from 'tsdags';
import {
  add,
  boom,
  double,
  echo,
  flaky,
  shapes,
  total,
  uncloneable,
  whoami,
} from '../fixtures/remote/stages.mjs';
import { attemptTrail } from '../support/trail.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { spawnCliWorker, spawnWorker, type WorkerProcess } from '../support/worker-process.js';

let redis: RedisServer;
let workers: WorkerProcess[] = [];
const queue = `conformance-${process.pid}`;

beforeAll(async () => {
  redis = await startRedis();
  // One stage at a time each, so that two stages running at once are on two processes: one
  // started with startWorker(), one with `tsdags worker`.
  workers = [spawnWorker({ redis: redis.url, queue }), spawnCliWorker({ redis: redis.url, queue })];
  await Promise.all(workers.map((worker) => worker.waitFor(/ready on queue/)));
});

afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.stop()));
  await redis?.stop();
});

// What pipeline.run() takes to run stages on worker threads here, or on the remote workers.
const executors: Record<string, () => RunOptions> = {
  'worker-thread': () => ({ executor: 'local' }),
  bullmq: () => ({ executor: 'bullmq', redis: redis.url, queue }),
};

// Each stage's event types, in order: what must not depend on where stages run.
function eventsByStage(result: RunResult): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const event of result.events) {
    if ('stage' in event) (out[event.stage] ??= []).push(event.type);
  }
  return out;
}

describe.each(Object.keys(executors))('the %s executor', (name) => {
  const run = (pipeline: Pipeline, options: RunOptions = {}) =>
    pipeline.run({ cores: 4, storeDir: false, ...executors[name]!(), ...options });

  test('runs a DAG and passes results downstream', async () => {
    //  add(1, 2) ─> double ─┐
    //  add(3, 4) ───────────┴─> total
    const a = add(1, 2);
    const b = add(3, 4);
    const d = double(a);
    const t = total([d, b]);
    const result = await run(new Pipeline().addStages([t]), { cores: 2 }).done;
    expect(result.status).toBe('succeeded');
    expect([result.output(a), result.output(b), result.output(d), result.output(t)]).toEqual([3, 7, 6, 13]);
    expect(eventsByStage(result)[t.name]).toEqual(['stage:ready', 'stage:start', 'stage:done']);
  });

  test('passes values as structured clone does: Map, Set, Date, BigInt, typed arrays, undefined', async () => {
    const s = shapes(5);
    const e = echo(s);
    const result = await run(new Pipeline().addStages([e])).done;
    const value = result.output(e) as Record<string, unknown>;
    expect(value).toEqual({
      map: new Map([['n', 5]]),
      set: new Set([1, 2]),
      date: new Date(0),
      big: 2n ** 70n,
      bytes: new Uint8Array([1, 2, 3]),
      nothing: undefined,
      nested: [{ deep: [5] }],
    });
    expect('nothing' in value).toBe(true);
  });

  test('fails a stage that throws, with its error as the cause, and skips its dependents', async () => {
    //  boom ─> echo        add(1, 1)
    const b = boom('bad input');
    const e = echo(b);
    const ok = add(1, 1);
    const result = await run(new Pipeline().addStages([e, ok]), { onError: 'continue' }).done;
    expect(result.status).toBe('failed');
    expect(result.output(ok)).toBe(2);
    const [error] = result.errors;
    expect(error).toBeInstanceOf(StageFailedError);
    expect(error!.stage).toBe(b.name);
    // Errors cross a thread by structured clone (class, message, stack), then a machine as they are.
    const cause = error!.cause as Error;
    expect([cause.name, cause.message]).toEqual(['TypeError', 'bad input']);
    expect(cause.stack).toContain('fixtures/remote/stages.mjs');
    expect(eventsByStage(result)).toEqual({
      [b.name]: ['stage:ready', 'stage:start', 'stage:error'],
      [e.name]: ['stage:skip'],
      [ok.name]: ['stage:ready', 'stage:start', 'stage:done'],
    });
  });

  test('retries a failing stage by its retries, announcing each failed try with its back-off', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsdags-flaky-'));
    try {
      const f = flaky(join(dir, 'runs'), 2);
      const result = await run(new Pipeline().addStages([f]), { retries: 3, retryDelay: 10 }).done;
      expect(result.status).toBe('succeeded');
      expect(result.output(f)).toBe(3);
      expect(attemptTrail(result.events)).toEqual([
        'stage:start 1',
        'stage:retry 1',
        'stage:start 2',
        'stage:retry 2',
        'stage:start 3',
        'stage:done 3',
      ]);
      const retries = result.events.filter((e): e is StageRetryEvent => e.type === 'stage:retry');
      expect(retries.map((e) => (e.error.cause as Error).message)).toEqual(['flaky run 1', 'flaky run 2']);
      // Exponential back-off from retryDelay: at most 10 ms, then at most 20.
      expect(retries.map((e) => e.delayMs <= 10 * 2 ** (e.attempt - 1))).toEqual([true, true]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('fails a stage whose result cannot be cloned with UncloneableValueError', async () => {
    const u = uncloneable();
    // Not retried: it would fail again the same way.
    const result = await run(new Pipeline().addStages([u]), { retries: 2, retryDelay: 10 }).done;
    expect(eventsByStage(result)[u.name]).toEqual(['stage:ready', 'stage:start', 'stage:error']);
    expect(result.status).toBe('failed');
    const cause = result.errors[0]!.cause;
    expect(cause).toBeInstanceOf(UncloneableValueError);
    expect((cause as UncloneableValueError).message).toContain(`Stage "${u.name}" has a result`);
  });

  test('fails a stage whose argument cannot be cloned with UncloneableValueError', async () => {
    const e = echo({ fn: () => 1 } as never);
    const result = await run(new Pipeline().addStages([e])).done;
    expect(result.status).toBe('failed');
    const cause = result.errors[0]!.cause;
    expect(cause).toBeInstanceOf(UncloneableValueError);
    expect((cause as UncloneableValueError).message).toContain(`Stage "${e.name}" has an argument`);
  });
});

test('the bullmq executor runs stages on both worker processes and names them in stage:start', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsdags-whoami-'));
  try {
    // Each waits until both have started: with one stage at a time per worker, they run on two.
    const first = whoami(dir, 2);
    const second = whoami(dir, 2);
    const pipeline = new Pipeline().addStages([first, second]);
    const result = await pipeline.run({ cores: 2, storeDir: false, ...executors.bullmq!() }).done;
    const pids = [result.output(first), result.output(second)].sort();
    expect(pids).toEqual(workers.map((worker) => worker.pid).sort());
    const starts = result.events.filter((e: RunEvent): e is StageStartEvent => e.type === 'stage:start');
    expect(starts.map((e) => e.worker).sort()).toEqual(pids.map((pid) => `${hostname()}:${pid}`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
