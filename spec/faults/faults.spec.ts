import {
  Pipeline,
  Stage,
  StageFailedError,
  TimeoutError,
  UncloneableValueError,
  stage,
  type RunEvent,
  type RunResult,
  type StageContext,
} from 'tsdags';
import {
  eatsMemory,
  exits,
  flaky,
  hangs,
  hangsForever,
  hangsTwice,
  ok,
  rejects,
  throws,
  uncloneable,
} from '../fixtures/faults.mjs';
import { stuckImport } from '../fixtures/hanging-import.mjs';
import { deferred, stagesWith } from '../support/schedule.js';

const cell = () => new Int32Array(new SharedArrayBuffer(4));
const noStore = { storeDir: false } as const;

/** Runs `faulty` beside two healthy stages (one before it, one independent) with onError 'continue'. */
async function runBeside(faulty: Stage, options: Parameters<Pipeline['run']>[0] = {}): Promise<RunResult> {
  const before = ok('before').named('before');
  const independent = ok('independent').named('independent');
  faulty.after(before);
  const after = ok('after').named('after').after(faulty);
  return new Pipeline()
    .addStages([after, independent])
    .run({ cores: 2, onError: 'continue', ...noStore, ...options }).done;
}

function expectOthersIntact(result: RunResult): void {
  expect(result.output('before')).toBe('before');
  expect(result.output('independent')).toBe('independent');
  expect(result.stages['after']!.status).toBe('skipped');
}

function failureOf(result: RunResult, name: string): StageFailedError {
  const error = result.stages[name]!.error;
  expect(error).toBeInstanceOf(StageFailedError);
  return error as StageFailedError;
}

function eventsOf(result: RunResult, name: string): RunEvent['type'][] {
  return result.events.filter((e) => 'stage' in e && e.stage === name).map((e) => e.type);
}

describe('faults in worker stages are stage failures', () => {
  test('a stage that throws', async () => {
    const result = await runBeside(throws().named('faulty'));

    expect(failureOf(result, 'faulty').cause).toMatchObject({ name: 'TypeError', message: 'bad input row' });
    expect(eventsOf(result, 'faulty')).toEqual(['stage:ready', 'stage:start', 'stage:error']);
    expectOthersIntact(result);
  });

  test('a stage that rejects', async () => {
    const result = await runBeside(rejects().named('faulty'));

    expect(failureOf(result, 'faulty').message).toBe('Stage "faulty" failed on attempt 1: service said no');
    expectOthersIntact(result);
  });

  test('a stage that calls process.exit()', async () => {
    const result = await runBeside(exits().named('faulty'));

    expect(failureOf(result, 'faulty').message).toContain('process.exit(2) was called by a stage');
    expectOthersIntact(result);
  });

  test('a stage stuck in a loop is stopped by its timeout, and its thread freed', async () => {
    const attempts = cell();
    const result = await runBeside(hangs(attempts).named('faulty'), { cores: 1 });
    const cause = failureOf(result, 'faulty').cause;

    expect(cause).toBeInstanceOf(TimeoutError);
    expect((cause as TimeoutError).timeoutMs).toBe(1000);
    expect((cause as TimeoutError).message).toBe(
      'Stage "faulty" timed out after 1000 ms: its worker thread was terminated. Raise its `timeout` option if it needs longer.',
    );
    expect(Atomics.load(attempts, 0)).toBe(1);
    // With one core, "independent" could only run after the stuck thread was ended.
    expectOthersIntact(result);
  });

  test('a timed stage whose module never finishes loading in its thread times out too', async () => {
    const result = await runBeside(stuckImport().named('faulty'), { cores: 1 });
    const cause = failureOf(result, 'faulty').cause;

    expect(cause).toBeInstanceOf(TimeoutError);
    expect((cause as TimeoutError).message).toBe(
      'Stage "faulty" timed out after 300 ms importing its module in a worker thread, before its code ' +
        "started: the thread was terminated. Look for what the module's top level waits for (an await " +
        'that never ends), or raise the `timeout` option if the import needs longer.',
    );
    // Its thread was ended: with one core, "independent" ran on a fresh one.
    expectOthersIntact(result);
  }, 20_000);

  test('a timed-out stage is retried', async () => {
    const attempts = cell();
    const result = await runBeside(hangsTwice(attempts).named('faulty'));

    expect(Atomics.load(attempts, 0)).toBe(2);
    expect(result.stages['faulty']).toMatchObject({ status: 'failed', attempts: 2 });
    expect(eventsOf(result, 'faulty')).toEqual([
      'stage:ready',
      'stage:start',
      'stage:retry',
      // After its back-off the stage is ready again and waits for a free core.
      'stage:ready',
      'stage:start',
      'stage:error',
    ]);
  });

  test('a stage that runs out of memory under its resourceLimits', async () => {
    const result = await runBeside(eatsMemory().named('faulty'));

    expect(failureOf(result, 'faulty').message).toContain('ran out of memory in its worker thread');
    expectOthersIntact(result);
  });

  test('a stage whose result cannot be cloned', async () => {
    const result = await runBeside(uncloneable().named('faulty'));

    expect(failureOf(result, 'faulty').cause).toBeInstanceOf(UncloneableValueError);
    expect(failureOf(result, 'faulty').message).toContain('WeakMap');
    expectOthersIntact(result);
  });

  test('a flaky stage succeeds on a retry, with stage:retry events carrying the attempt and delay', async () => {
    const attempts = cell();
    const s = flaky(attempts, 2).named('faulty');
    const result = await new Pipeline()
      .addStage(s)
      .start({ retries: 3, retryDelay: 5, maxRetryDelay: 8, ...noStore });
    const retries = result.events.filter((e) => e.type === 'stage:retry');

    expect(result.output(s)).toBe('finally, on attempt 3');
    expect(result.stages['faulty']).toMatchObject({ status: 'succeeded', attempts: 3 });
    expect(retries.map((e) => e.attempt)).toEqual([1, 2]);
    // Back-off: 5 then 10 capped at 8, each with jitter between half and all of it.
    expect(retries[0]!.delayMs).toBeGreaterThanOrEqual(2.5);
    expect(retries[0]!.delayMs).toBeLessThanOrEqual(5);
    expect(retries[1]!.delayMs).toBeGreaterThanOrEqual(4);
    expect(retries[1]!.delayMs).toBeLessThanOrEqual(8);
    expect(retries[0]!.error.message).toContain('flaky attempt 1');
  });

  test("a stage's own retries override the run's", async () => {
    const attempts = cell();
    const once = stage({ retries: 0 }, function onlyOnce(c: Int32Array) {
      Atomics.add(c, 0, 1);
      throw new Error('no second chance');
    });
    const result = await new Pipeline()
      .addStage(once(attempts))
      .run({ retries: 5, retryDelay: 0, thread: 'main', ...noStore }).done;

    expect(Atomics.load(attempts, 0)).toBe(1);
    expect(result.stages['onlyOnce']!.attempts).toBe(1);
  });
});

describe('cancellation', () => {
  test('run.cancel() terminates a stuck worker stage and ends the run cancelled', async () => {
    const attempts = cell();
    const s = hangsForever(attempts).named('stuck');
    const later = ok(1).after(s).named('later');
    const run = new Pipeline().addStage(later).run({ cores: 1, ...noStore });
    await new Promise<void>((resolve) =>
      run.events.subscribe((e) => e.type === 'stage:start' && e.stage === 'stuck' && resolve()),
    );
    run.cancel('enough');
    const result = await run.done;

    expect(result.status).toBe('cancelled');
    expect(result.stages['stuck']!.status).toBe('cancelled');
    expect(result.stages['later']!.status).toBe('cancelled');
    expect(stagesWith(result.events, 'stage:cancel').sort()).toEqual(['later', 'stuck']);
  });

  test('an AbortSignal in the run options cancels it, and a main-thread stage sees ctx.signal abort', async () => {
    const started = deferred();
    const sawAbort = deferred<unknown>();
    class Waits extends Stage<void> {
      run(ctx: StageContext): Promise<void> {
        ctx.signal.addEventListener('abort', () => sawAbort.resolve(ctx.signal.reason));
        started.resolve();
        return new Promise(() => {});
      }
    }
    const controller = new AbortController();
    const run = new Pipeline().addStage(new Waits()).run({ signal: controller.signal, ...noStore });
    await started.promise;
    controller.abort('user pressed stop');

    expect((await run.done).status).toBe('cancelled');
    expect(await sawAbort.promise).toMatchObject({
      code: 'CANCELLED',
      message: 'The run was cancelled: user pressed stop',
    });
  });

  test('a main-thread stage past its timeout is abandoned and told through ctx.signal', async () => {
    const sawAbort = deferred<unknown>();
    class Slow extends Stage<void> {
      run(ctx: StageContext): Promise<void> {
        ctx.signal.addEventListener('abort', () => sawAbort.resolve(ctx.signal.reason));
        return new Promise(() => {});
      }
    }
    const result = await new Pipeline().addStage(new Slow({ timeout: 50 })).run(noStore).done;

    expect(result.stages['Slow']!.error!.cause).toBeInstanceOf(TimeoutError);
    expect(await sawAbort.promise).toBeInstanceOf(TimeoutError);
  });
});

describe('stage and run options are checked where they are given', () => {
  test.each([
    [
      () => stage({ retries: -1 }, function a() {}),
      'Expected `retries` in stage(a) to be a whole number from 0 up, got -1 (number).',
    ],
    [
      () => stage({ timeout: 0 }, function b() {}),
      'Expected `timeout` in stage(b) to be a number of ms above 0',
    ],
    [
      () => stage({ retryDelay: 'soon' as never }, function c() {}),
      'Expected `retryDelay` in stage(c) to be a number of ms',
    ],
    [
      () => stage({ cache: 1 as never }, function d() {}),
      'Expected `cache` in stage(d) to be true or false, got 1 (number).',
    ],
    [
      () => new Pipeline().addStage(ok(1)).run({ retries: 1.5 }),
      'Expected `retries` in run() to be a whole number',
    ],
    [
      () => new Pipeline().addStage(ok(1)).run({ signal: 'stop' as never }),
      'Expected `signal` to be an AbortSignal',
    ],
  ])('%#', (make, message) => {
    expect(make).toThrow(message);
  });
});
