import { Pipeline, StageFailedError, RunFailedError, stage, type RunEvent } from 'tsdags';
import { add, echo, fails, rendezvous, sum, threadId } from './fixtures/stages.mjs';
import { indexOf, peakConcurrency, stagesWith } from './support/schedule.js';

/**
 * The seed's six stages:
 *
 *   stage_1   stage_2
 *      |      /     \
 *   stage_5 stage_3 stage_4
 *       \      |     /
 *          stage_6
 */
function seed(cell: Int32Array) {
  // 1 and 2 meet in a rendezvous: neither returns until both have started.
  const s1 = rendezvous(cell, 2).named('stage_1');
  const s2 = rendezvous(cell, 2).named('stage_2');
  const s3 = echo(3).named('stage_3').after(s2);
  const s4 = echo(4).named('stage_4').after(s2);
  const s5 = echo(5).named('stage_5').after(s1);
  const s6 = echo(6).named('stage_6').after(s3).after(s4).after(s5);
  return new Pipeline().addStages([s1, s2, s3, s4, s5, s6]);
}

const sharedCell = () => new Int32Array(new SharedArrayBuffer(4));

describe('pipeline.start()', () => {
  test('runs the seed DAG in dependency order, stages 1 and 2 in parallel on worker threads', async () => {
    const result = await seed(sharedCell()).start({ cores: 2 });
    const events = result.events;

    expect(result.status).toBe('succeeded');
    const edges: [string, string][] = [
      ['stage_2', 'stage_3'],
      ['stage_2', 'stage_4'],
      ['stage_1', 'stage_5'],
      ['stage_3', 'stage_6'],
      ['stage_4', 'stage_6'],
      ['stage_5', 'stage_6'],
    ];
    for (const [up, down] of edges) {
      expect(indexOf(events, 'stage:done', up)).toBeLessThan(indexOf(events, 'stage:start', down));
    }
    // Both started before either finished.
    const firstDone = Math.min(
      indexOf(events, 'stage:done', 'stage_1'),
      indexOf(events, 'stage:done', 'stage_2'),
    );
    expect(indexOf(events, 'stage:start', 'stage_1')).toBeLessThan(firstDone);
    expect(indexOf(events, 'stage:start', 'stage_2')).toBeLessThan(firstDone);
    expect(result.stages['stage_1']!.threadId).not.toBe(result.stages['stage_2']!.threadId);
    expect(stagesWith(events, 'stage:done')).toHaveLength(6);
  });

  test('never runs more worker stages at once than cores on a 200-wide fan', async () => {
    const cores = 2;
    const fan = Array.from({ length: 200 }, (_, i) => echo(i));
    const total = sum(fan);
    const result = await new Pipeline().addStage(total).start({ cores });

    expect(result.output(total)).toBe((199 * 200) / 2);
    // At most: whether two no-op stages overlap depends on the machine (the rendezvous spec proves they can).
    expect(peakConcurrency(result.events)).toBeLessThanOrEqual(cores);
    const threads = new Set(stagesWith(result.events, 'stage:start').map((s) => result.stages[s]!.threadId));
    expect(threads.size).toBeLessThanOrEqual(cores);
  });

  test('never runs more main-thread stages at once than cores on a 200-wide fan', async () => {
    const cores = 3;
    const wait = stage({ thread: 'main' }, async function wait(i: number) {
      await new Promise((resolve) => setImmediate(resolve));
      return i;
    });
    const fan = Array.from({ length: 200 }, (_, i) => wait(i));
    const result = await new Pipeline().addStages(fan).start({ cores });

    expect(peakConcurrency(result.events)).toBe(cores);
    expect(stagesWith(result.events, 'stage:done')).toHaveLength(200);
  });

  test('passes results between worker stages, also inside arrays and objects', async () => {
    const a = add(1, 2);
    const b = add(a, 10);
    const total = sum([a, b, 100]);
    const bytesBack = echo(new Uint8Array([1, 2, 3]));
    const result = await new Pipeline().addStages([total, bytesBack]).start({ cores: 2 });

    expect(result.output(a)).toBe(3);
    expect(result.output(b)).toBe(13);
    expect(result.output(total)).toBe(116);
    expect(result.output(bytesBack)).toEqual(new Uint8Array([1, 2, 3]));
  });

  test('runs each stage in a worker thread unless told otherwise', async () => {
    const inWorker = threadId();
    const onMain = stage({ thread: 'main' }, async function mainThreadId() {
      return (await import('node:worker_threads')).threadId;
    })();
    const result = await new Pipeline().addStages([inWorker, onMain]).start({ cores: 2 });

    expect(result.output(inWorker)).toBeGreaterThan(0);
    expect(result.output(onMain)).toBe(0);
    expect(result.stages[inWorker.name]!.threadId).toBe(result.output(inWorker));
  });

  test('rejects with StageFailedError carrying the cause when a stage throws', async () => {
    const broken = fails('bad row 7').named('fails');
    const after = echo('never').after(broken);
    const error: unknown = await new Pipeline()
      .addStage(after)
      .start({ cores: 1 })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(StageFailedError);
    const failure = error as StageFailedError;
    expect(failure.stage).toBe('fails');
    expect(failure.attempt).toBe(1);
    expect(failure.code).toBe('STAGE_FAILED');
    // The cause crossed from the worker by structured clone: its class name and message survive.
    expect(failure.cause).toMatchObject({ name: 'RangeError', message: 'bad row 7' });
    expect(failure.message).toContain('bad row 7');
  });
});

describe('run options: onError', () => {
  /**
   *   ok_1 ──> fails ──> downstream
   *   ok_2 ──> ok_3
   */
  function failingPipeline() {
    const tap = stage({ thread: 'main' }, function tap(x: number) {
      return x;
    });
    const ok1 = tap(1).named('ok_1');
    const broken = stage({ thread: 'main', priority: 1 }, function broken(_: number): number {
      throw new Error('boom');
    })(ok1);
    const downstream = tap(broken).named('downstream');
    const ok2 = tap(2).named('ok_2');
    const ok3 = tap(ok2).named('ok_3');
    return { pipeline: new Pipeline().addStages([downstream, ok3]), ok3 };
  }

  test("'continue' runs every stage not downstream of a failure", async () => {
    const { pipeline, ok3 } = failingPipeline();
    const result = await pipeline.run({ cores: 1, onError: 'continue' }).done;

    expect(result.status).toBe('failed');
    expect(result.stages['broken']!.status).toBe('failed');
    expect(result.stages['downstream']!.status).toBe('skipped');
    expect(result.stages['ok_3']!.status).toBe('succeeded');
    expect(result.output(ok3)).toBe(2);
  });

  test("'stop' starts no stage after a failure and skips the rest", async () => {
    const { pipeline } = failingPipeline();
    const result = await pipeline.run({ cores: 1, onError: 'stop' }).done;
    const started = stagesWith(result.events, 'stage:start');

    expect(result.status).toBe('failed');
    // ok_1 is the only ready stage of the highest priority path; then broken (priority 1) fails first.
    expect(started).toEqual(['ok_1', 'broken']);
    for (const name of ['downstream', 'ok_2', 'ok_3']) expect(result.stages[name]!.status).toBe('skipped');
  });

  test("'stop' lets stages in flight finish", async () => {
    const cell = sharedCell();
    const slow = rendezvous(cell, 1).named('in_flight');
    const broken = fails('now').named('fails');
    const result = await new Pipeline().addStages([slow, broken]).run({ cores: 2 }).done;

    expect(result.stages['in_flight']!.status).toBe('succeeded');
    expect(result.stages['fails']!.status).toBe('failed');
  });

  test('start() rejects with RunFailedError when several stages failed', async () => {
    const error: unknown = await new Pipeline()
      .addStages([fails('one').named('f1'), fails('two').named('f2')])
      .start({ cores: 2, onError: 'continue' })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RunFailedError);
    expect((error as RunFailedError).errors.map((e) => e.stage).sort()).toEqual(['f1', 'f2']);
  });
});

describe('pipeline.run() options are checked before anything runs', () => {
  const ran: string[] = [];
  const mark = stage({ thread: 'main' }, function mark() {
    ran.push('mark');
  });

  test.each([
    [{ cores: 0 }, 'Expected `cores` to be a whole number from 1 up, got 0 (number).'],
    [{ cores: 1.5 }, 'Expected `cores` to be a whole number from 1 up, got 1.5 (number).'],
    [{ cores: '2' }, 'Expected `cores` to be a whole number from 1 up, got "2" (string).'],
    [{ thread: 'gpu' }, "Expected `thread` to be 'worker' or 'main', got \"gpu\" (string)."],
    [{ onError: 'ignore' }, "Expected `onError` to be 'stop' or 'continue', got \"ignore\" (string)."],
  ])('%j', (options, message) => {
    const pipeline = new Pipeline().addStage(mark());
    expect(() => pipeline.run(options as never)).toThrow(message);
    expect(ran).toEqual([]);
  });

  test('addStage() refuses a stage factory', () => {
    expect(() => new Pipeline().addStage(mark as never)).toThrow(
      'Expected a stage in pipeline.addStage(), got function mark. Call the stage factory first',
    );
  });

  test('addStages() refuses what is not an array', () => {
    expect(() => new Pipeline().addStages(mark() as never)).toThrow(
      'Expected an array of stages in pipeline.addStages(), got an object (FunctionStage).',
    );
  });
});

describe('pipeline.run()', () => {
  test('adds upstream stages that were not added, with their dependents', async () => {
    const add = stage({ thread: 'main' }, function add(a: number, b: number) {
      return a + b;
    });
    const a = add(1, 1);
    const b = add(a, 1);
    const c = add(b, 1);
    const result = await new Pipeline().addStage(c).start();

    expect(Object.keys(result.stages).sort()).toEqual(['add', 'add-2', 'add-3']);
    expect(result.output(c)).toBe(4);
  });

  test('emits run:start first and run:done last', async () => {
    const events: RunEvent[] = [];
    const run = new Pipeline().addStage(add(1, 2)).run({ thread: 'main' });
    run.events.subscribe((e) => events.push(e));
    await run.done;

    expect(events[0]!.type).toBe('run:start');
    expect(events.at(-1)).toMatchObject({ type: 'run:done', status: 'succeeded', runId: run.id });
    expect(events.map((e) => e.type)).toEqual([
      'run:start',
      'stage:ready',
      'stage:start',
      'stage:done',
      'run:done',
    ]);
  });
});
