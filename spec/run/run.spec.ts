import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { CancelledError, Pipeline, StageSkippedError, stage, type RunEvent } from 'tsdags';
import { deferred, peakConcurrency, stagesWith } from '../support/schedule.js';

const value = stage({ thread: 'main' }, function value(v: number): number {
  return v;
});
const next = stage({ thread: 'main' }, function next(n: number): number {
  return n + 1;
});
const total = stage({ thread: 'main' }, function total(values: number[]): number {
  let sum = 0;
  for (const v of values) sum += v;
  return sum;
});

describe('run.events', () => {
  test('replays every event from the start to a late subscriber', async () => {
    const run = new Pipeline().addStage(next(value(1))).run();
    const early: RunEvent[] = [];
    run.events.subscribe((e) => early.push(e));
    await run.done;
    const late = await lastValueFrom(run.events.pipe(toArray()));

    expect(late).toEqual(early);
    expect(late.map((e) => e.type)).toEqual([
      'run:start',
      'stage:ready',
      'stage:start',
      'stage:done',
      'stage:ready',
      'stage:start',
      'stage:done',
      'run:done',
    ]);
  });

  test('events carry the stage, attempt, thread and time', async () => {
    const s = value(7).named('the_stage');
    const result = await new Pipeline().addStage(s).start();
    const start = result.events.find((e) => e.type === 'stage:start')!;
    const done = result.events.find((e) => e.type === 'stage:done')!;

    expect(start).toMatchObject({ stage: 'the_stage', attempt: 1, threadId: 0 });
    expect(done).toMatchObject({ stage: 'the_stage', attempt: 1, threadId: 0 });
    expect(done.time).toBeGreaterThanOrEqual(start.time);
    expect(result.stages['the_stage']).toMatchObject({ status: 'succeeded', attempts: 1 });
  });
});

describe('run.output()', () => {
  test("emits the stage's result once and completes", async () => {
    const s = next(value(41));
    const run = new Pipeline().addStage(s).run();
    const values = await lastValueFrom(run.output(s).pipe(toArray()));

    expect(values).toEqual([42]);
    // After the run, from the result.
    expect(await lastValueFrom(run.output(s).pipe(toArray()))).toEqual([42]);
  });

  test('errors with the failure, or with StageSkippedError downstream of it', async () => {
    const broken = stage({ thread: 'main' }, function broken(): number {
      throw new Error('no data');
    })();
    const downstream = next(broken).named('downstream');
    const run = new Pipeline().addStage(downstream).run();

    await expect(firstValueFrom(run.output(broken))).rejects.toThrow(
      'Stage "broken" failed on attempt 1: no data',
    );
    await expect(firstValueFrom(run.output(downstream))).rejects.toBeInstanceOf(StageSkippedError);
  });

  test('refuses a stage of another pipeline', () => {
    const run = new Pipeline().addStage(value(1)).run();
    expect(() => run.output(value(2).named('stranger'))).toThrow(
      'Expected a stage of this run\'s pipeline, got "stranger".',
    );
    return run.done;
  });
});

describe('run.cancel()', () => {
  test('stops the run: the stage in flight sees its signal abort, nothing else starts', async () => {
    const gate = deferred();
    const started = deferred();
    const waits = stage({ thread: 'main' }, function waits() {
      started.resolve();
      return gate.promise;
    });
    const first = waits();
    const second = next(value(1)).after(first).named('second');
    const run = new Pipeline().addStage(second).run({ cores: 1 });
    await started.promise;
    run.cancel('user asked');
    gate.resolve();
    const result = await run.done;

    expect(result.status).toBe('cancelled');
    expect(result.stages['second']!.status).toBe('cancelled');
    expect(stagesWith(result.events, 'stage:start')).not.toContain('second');
    await expect(
      new Pipeline()
        .addStage(second)
        .start({ cores: 1 })
        .then(() => 'ok'),
    ).resolves.toBe('ok');
  });

  test('start() rejects with CancelledError', async () => {
    const gate = deferred();
    const waits = stage({ thread: 'main' }, function waits() {
      return gate.promise;
    });
    const pipeline = new Pipeline().addStage(waits());
    const started = pipeline.start({ storeDir: false, signal: AbortSignal.abort('user pressed stop') });
    gate.resolve();

    await expect(started).rejects.toThrow(new CancelledError('user pressed stop'));
    await expect(started).rejects.toBeInstanceOf(CancelledError);
    expect(new CancelledError('why').message).toBe('The run was cancelled: why');
  });
});

describe('large graphs on the main thread', () => {
  test('runs a 100,000-stage chain with default Node flags', async () => {
    let last = value(0);
    for (let i = 1; i < 100_000; i++) last = next(last);
    const result = await new Pipeline().addStage(last).start({ cores: 2 });

    expect(result.output(last)).toBe(99_999);
    expect(peakConcurrency(result.events)).toBe(1);
  });

  test('runs a 100,000-wide fan into one sink', async () => {
    const fan = Array.from({ length: 100_000 }, (_, i) => value(i));
    const sink = total(fan);
    const result = await new Pipeline().addStage(sink).start({ cores: 2 });

    expect(result.output(sink)).toBe((99_999 * 100_000) / 2);
    expect(Object.keys(result.stages)).toHaveLength(100_001);
  });
});
