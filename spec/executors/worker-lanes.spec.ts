import { Pipeline, stage, type RunEvent } from 'tsdags';
import { WorkerThreadExecutor } from '../../lib/executors/worker-thread.js';
import { busyWorker, counted, held, holdWhileWorkersRun, release, revokesNext } from '../fixtures/lanes.mjs';
import { fails } from '../fixtures/stages.mjs';
import { attemptOf } from '../support/attempts.js';
import { peakConcurrency } from '../support/schedule.js';

interface Held {
  threadId: number;
  start: number;
  end: number;
}

interface Counted {
  threadId: number;
  start: number;
}

const cells = () => new Int32Array(new SharedArrayBuffer(16));

describe('worker lanes: one stage sent ahead per lane', () => {
  let executor: WorkerThreadExecutor;
  afterEach(() => executor.close());

  test('takes one stage beyond cores, and starts it on the same thread once the running one ends', async () => {
    executor = new WorkerThreadExecutor(1);
    const cell = cells();
    const first = held(cell, 0);
    const next = counted(cell, 1);
    const running = attemptOf(first);
    const a = executor.run(running) as Promise<Held>;
    await running.started;

    expect(executor.canQueue(next)).toBe(true);
    const b = executor.run(attemptOf(next)) as Promise<Counted>;
    expect(executor.canQueue(counted(cell, 2))).toBe(false);
    release(cell, 0);
    const [ran, after] = await Promise.all([a, b]);

    expect(after.threadId).toBe(ran.threadId);
    expect(after.start).toBeGreaterThanOrEqual(ran.end);
  });

  test('does not take a stage with resourceLimits beyond cores: it needs a thread of its own', async () => {
    executor = new WorkerThreadExecutor(1);
    const cell = cells();
    const running = attemptOf(held(cell, 0));
    const a = executor.run(running);
    await running.started;
    const limited = stage({ resourceLimits: { maxOldGenerationSizeMb: 64 } }, function limited() {});

    expect(executor.canQueue(limited())).toBe(false);
    release(cell, 0);
    await a;
  });

  test('takes back a stage sent ahead whose attempt aborts before it starts: it never runs', async () => {
    executor = new WorkerThreadExecutor(1);
    const cell = cells();
    const running = attemptOf(held(cell, 0));
    const a = executor.run(running);
    await running.started;
    const abort = new AbortController();
    const b = executor.run(attemptOf(counted(cell, 1), abort.signal));
    abort.abort(new Error('taken back'));

    await expect(b).rejects.toThrow('taken back');
    release(cell, 0);
    await a;
    // The lane's thread reads its messages in order: once a later stage ran, the taken-back one was seen.
    await executor.run(attemptOf(counted(cell, 2)));
    expect(Atomics.load(cell, 2)).toBe(1);
    expect(Atomics.load(cell, 1)).toBe(0);
  });

  test('ends the thread of a stage whose attempt aborts as it runs; the stage behind it runs on a fresh thread', async () => {
    executor = new WorkerThreadExecutor(1);
    const cell = cells();
    const abort = new AbortController();
    const running = attemptOf(held(cell, 0), abort.signal);
    const a = executor.run(running);
    const thread = await running.started;
    const b = executor.run(attemptOf(counted(cell, 1))) as Promise<Counted>;
    abort.abort(new Error('timed out'));

    await expect(a).rejects.toThrow('timed out');
    const after = await b;
    expect(after.threadId).not.toBe(thread);
    expect(Atomics.load(cell, 1)).toBe(1);
  });

  test('sends a stage again when its thread skipped it as taken back but the main thread had kept it', async () => {
    executor = new WorkerThreadExecutor(1);
    const cell = cells();
    const first = attemptOf(revokesNext());
    const a = executor.run(first);
    const b = executor.run(attemptOf(counted(cell, 1))) as Promise<Counted>;
    await a;
    await b;

    expect(Atomics.load(cell, 1)).toBe(1);
  });

  test('moves a stage waiting behind a busy lane to a lane that went idle', async () => {
    executor = new WorkerThreadExecutor(2, 2);
    const cell = cells();
    const long = attemptOf(held(cell, 0));
    const short = attemptOf(held(cell, 2));
    const a = executor.run(long) as Promise<Held>;
    const c = executor.run(short) as Promise<Held>;
    await Promise.all([long.started, short.started]);
    // Sent ahead behind the first lane, whose stage will not end until this test says so.
    const b = executor.run(attemptOf(counted(cell, 1))) as Promise<Counted>;
    release(cell, 2);
    const [quick, moved] = await Promise.all([c, b]);

    expect(moved.threadId).toBe(quick.threadId);
    release(cell, 0);
    await a;
  });
});

describe('worker lanes in a run', () => {
  test('a run that stops on a failure takes back the stage sent ahead behind it: it never runs', async () => {
    const cell = cells();
    const bad = fails('boom').named('bad');
    const next = counted(cell, 1).named('next');
    const result = await new Pipeline()
      .addStages([bad, next])
      .run({ cores: 1, onError: 'stop', storeDir: false }).done;

    expect(result.stages['bad']!.status).toBe('failed');
    expect(result.stages['next']!.status).toBe('skipped');
    expect(Atomics.load(cell, 1)).toBe(0);
  });

  test('a long stage says it started while it runs, at the time its thread stamped', async () => {
    const cell = cells();
    const long = held(cell, 0);
    const run = new Pipeline().addStage(long).run({ storeDir: false });
    const start = await new Promise<RunEvent>((resolve) =>
      run.events.subscribe((e) => e.type === 'stage:start' && resolve(e)),
    );
    release(cell, 0);
    const result = await run.done;

    // The thread stamps the start before calling the stage, which stamps its own first.
    expect(start.time).toBeLessThanOrEqual((result.output(long) as Held).start);
  });

  test('never run more than cores stages at once, main-thread and worker stages mixed', async () => {
    const cell = cells();
    const onMain = stage({ thread: 'main' }, function onMain(c: Int32Array, ended: number) {
      return holdWhileWorkersRun(c, ended);
    });
    const stages = Array.from({ length: 60 }, (_, k) =>
      k % 6 === 0 ? onMain(cell, 3) : busyWorker(cell, 1),
    );
    const result = await new Pipeline().addStages(stages).run({ cores: 2, storeDir: false }).done;

    expect(result.status).toBe('succeeded');
    expect(Atomics.load(cell, 1)).toBe(2);
    // The events agree: a stage sent ahead says it started only after the one before it ended.
    expect(peakConcurrency(result.events)).toBeLessThanOrEqual(2);
  });
});
