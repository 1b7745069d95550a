/**
 * A hostile review of 096e8b0: a timed worker stage's module load is timed (the lane's `taken`
 * cell, Attempt.loading(), Engine.loading()). Its one finding (a thread blocked importing its
 * preload module never took its timed stage up, so no clock ran) is fixed: the two specs below it.
 *
 * The loading-review-*.mjs fixtures misbehave only in worker threads, at their top level; they say
 * what they do in files of reviewDir() (loading-review.mjs), emptied before each test.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  Pipeline,
  StageFailedError,
  TimeoutError,
  type Run,
  type RunOptions,
  type RunResult,
  type Stage,
  type StageRetryEvent,
  type StageStartEvent,
} from 'tsdags';
import {
  answers,
  cue,
  failsOnceFileExists,
  marks,
  reviewDir,
  runsFor,
  timedAnswers,
} from '../fixtures/loading-review.mjs';
import { blocksOnImport } from '../fixtures/loading-review-blocks.mjs';
import { diesLoading } from '../fixtures/loading-review-dies.mjs';
import { hangsLoading, hangsLoadingShort, hangsLoadingUntimed } from '../fixtures/loading-review-hangs.mjs';
import { hangsFirstLoad } from '../fixtures/loading-review-once.mjs';
import { slowLoadHangs, slowLoadMs, slowLoadRuns, slowTimeout } from '../fixtures/loading-review-slow.mjs';
import { attemptTrail } from '../support/trail.js';

const dir = reviewDir();
// Runs a test started: one still going when it ends (a hang) is cancelled, so that its threads end.
const runs: Run[] = [];

beforeEach(() => {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
});

afterEach(async () => {
  for (const run of runs.splice(0)) {
    run.cancel();
    await run.done;
  }
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function start(stages: Stage[], options: RunOptions = {}): Run {
  const run = new Pipeline().addStages(stages).run({ cores: 1, storeDir: false, ...options });
  runs.push(run);
  return run;
}

function causeOf(result: RunResult, name: string): unknown {
  const error = result.stages[name]?.error;
  expect(error).toBeInstanceOf(StageFailedError);
  return (error as StageFailedError).cause;
}

const loadTimeout = (stage: string, ms: number) => new TimeoutError(stage, ms, 'loading').message;

// Resolves once `n` threads have started importing a fixture that marks `name` as it loads.
async function untilMarks(name: string, n: number): Promise<void> {
  while (marks(name) < n) await new Promise((resolve) => setTimeout(resolve, 10));
}

// First: no other test's run is still winding down while it counts.
test('runs of timed stages, loaded or not, leave no timer behind', async () => {
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  const before = timers();
  const stages = [0, 1, 2].map((k) => timedAnswers(k).named(`t${k}`));
  const result = await start(stages, { cores: 2, timeout: 60_000 }).done;

  expect(result.status).toBe('succeeded');
  const timedOut = await start([hangsLoadingShort().named('stuck')]).done;
  expect((causeOf(timedOut, 'stuck') as Error).message).toBe(loadTimeout('stuck', 300));
  // One left behind (a load clock or a stage clock not cleared) keeps the process alive until it
  // fires. Fewer is fine: jest's or an earlier import's own may have gone meanwhile.
  expect(timers()).toBeLessThanOrEqual(before);
}, 15_000);

describe('a timed worker stage whose module does not load (096e8b0)', () => {
  // Both: the run's first worker stage is "blocked", so every lane's thread imports its module as it
  // boots (the executor's preload), and blocks there for good, before any task of its own. A timed
  // stage sent to such a thread later is never taken up: its load is timed from the thread's boot
  // (the `booted` cell). Found: with the clock started only by a claim, the run hung.
  test(
    'a healthy timed stage sent to a lane whose thread blocks at boot, importing the first ' +
      "stage's module, does not hang the run",
    async () => {
      const go = join(dir, 'go');
      const blocked = blocksOnImport().named('blocked');
      const healthy = timedAnswers('healthy').named('healthy').after(cue(go).named('cue'));
      const run = start([blocked, healthy], { cores: 2, onError: 'continue' });
      // Both lanes' threads are in the blocking module's top level.
      await untilMarks('blocks-loading', 2);
      writeFileSync(go, '');
      const result = await run.done;

      expect((causeOf(result, 'blocked') as Error).message).toBe(loadTimeout('blocked', 300));
      // Whether it then runs (on a thread that does not preload the module) or fails with a
      // TimeoutError, it ends.
      expect(['succeeded', 'failed']).toContain(result.stages['healthy']!.status);
    },
    15_000,
  );

  test(
    "a timed stage whose module blocks its thread as it loads times out when its lane's " +
      'thread was already importing that module at boot',
    async () => {
      const go = join(dir, 'go');
      const first = blocksOnImport().named('first');
      const late = blocksOnImport().named('late').after(cue(go).named('cue'));
      const run = start([first, late], { cores: 2, onError: 'continue' });
      await untilMarks('blocks-loading', 2);
      writeFileSync(go, '');
      const result = await run.done;

      expect((causeOf(result, 'first') as Error).message).toBe(loadTimeout('first', 300));
      expect((causeOf(result, 'late') as Error).message).toBe(loadTimeout('late', 300));
    },
    15_000,
  );

  test("a healthy timed stage runs on a lane whose thread awaits forever in the first stage's module (an await does not block it)", async () => {
    const go = join(dir, 'go');
    const stuck = hangsLoadingShort().named('stuck');
    const healthy = timedAnswers('healthy').named('healthy').after(cue(go).named('cue'));
    const run = start([stuck, healthy], { cores: 2, onError: 'continue' });
    await untilMarks('hangs-loading', 2);
    writeFileSync(go, '');
    const result = await run.done;

    expect((causeOf(result, 'stuck') as Error).message).toBe(loadTimeout('stuck', 300));
    expect(result.output('healthy')).toMatchObject({ value: 'healthy' });
  }, 15_000);

  test('a module that blocks its thread as it loads, when not the preload, fails its timed stage', async () => {
    const first = answers('first').named('first');
    const blocked = blocksOnImport().named('blocked').after(first);
    const result = await start([blocked]).done;

    expect(result.output('first')).toMatchObject({ value: 'first' });
    expect((causeOf(result, 'blocked') as Error).message).toBe(loadTimeout('blocked', 300));
  }, 15_000);

  test("the run's default timeout times the load of a stage without its own; a stage's own wins", async () => {
    const untimed = hangsLoadingUntimed().named('untimed');
    const byDefault = await start([untimed], { timeout: 400 }).done;
    const cause = causeOf(byDefault, 'untimed') as TimeoutError;
    expect([cause.timeoutMs, cause.message]).toEqual([400, loadTimeout('untimed', 400)]);

    const own = hangsLoadingShort().named('own');
    const ownWins = await start([own], { timeout: 60_000 }).done;
    expect((causeOf(ownWins, 'own') as Error).message).toBe(loadTimeout('own', 300));
  }, 15_000);

  test('a load that timed out is retried on a fresh thread, where the module loads; events stay in order', async () => {
    const result = await start([hangsFirstLoad().named('once')]).done;

    expect(result.status).toBe('succeeded');
    expect(attemptTrail(result.events, 'once')).toEqual([
      'stage:start 1',
      'stage:retry 1',
      'stage:start 2',
      'stage:done 2',
    ]);
    const retry = result.events.find((e): e is StageRetryEvent => e.type === 'stage:retry')!;
    expect((retry.error.cause as Error).message).toBe(loadTimeout('once', 500));
    const starts = result.events.filter((e): e is StageStartEvent => e.type === 'stage:start');
    // The second attempt ran on another thread than the one that was ended.
    expect(starts[1]!.threadId).not.toBe(starts[0]!.threadId);
    expect(result.output('once')).toEqual({ threadId: starts[1]!.threadId });
    expect(marks('once-loads')).toBe(2);
  }, 15_000);

  test('a run cancelled while a timed stage loads ends at once, without waiting for its timeout', async () => {
    const run = start([hangsLoading().named('loading')]);
    await untilMarks('hangs-loading', 1);
    run.cancel();
    const result = await run.done;

    expect(result.status).toBe('cancelled');
    expect(result.events.filter((e) => e.type === 'stage:retry')).toEqual([]);
  }, 15_000);

  test('a run that stops after a failure while a timed stage loads ends when the load times out, unretried', async () => {
    const cue = join(dir, 'fail-now');
    const loading = hangsLoadingShort().named('loading');
    const failing = failsOnceFileExists(cue).named('failing');
    const run = start([loading, failing], { cores: 2 });
    // Its thread took the stage up (the loading clock runs) before the other stage fails.
    await untilMarks('hangs-loading', 1);
    writeFileSync(cue, '');
    const result = await run.done;

    expect(result.status).toBe('failed');
    expect((causeOf(result, 'failing') as Error).message).toBe('failed on cue');
    expect((causeOf(result, 'loading') as Error).message).toBe(loadTimeout('loading', 300));
    expect(attemptTrail(result.events, 'loading')).toEqual(['stage:start 1', 'stage:error 1']);
  }, 15_000);

  test('a thread that dies while it loads a timed stage fails the stage at once, with why', async () => {
    const first = answers('first').named('first');
    const dies = diesLoading().named('dies').after(first);
    const result = await start([dies]).done;

    expect((causeOf(result, 'dies') as Error).message).toBe('the module blew up while loading');
  }, 15_000);
});

describe('a timed worker stage whose module loads (096e8b0)', () => {
  test("a slow load within the timeout leaves the stage its whole timeout, from its code's start", async () => {
    // The load takes more than half the timeout, and so does the run: a clock started at the
    // load and not reset at the start would stop it.
    expect(slowLoadMs * 2).toBeGreaterThan(slowTimeout);
    const result = await start([slowLoadRuns(slowLoadMs).named('slow')]).done;

    expect(result.status).toBe('succeeded');
  }, 15_000);

  test('a stage that hangs after a slow load times out as a running stage, not as a load', async () => {
    const result = await start([slowLoadHangs().named('slow')]).done;
    const cause = causeOf(result, 'slow') as TimeoutError;

    expect(cause.message).toBe(new TimeoutError('slow', slowTimeout, 'worker').message);
  }, 15_000);

  test('a timed stage queued behind another on its lane is timed from when its thread takes it up', async () => {
    // One core: "timed" is sent ahead to the lane where "long" runs, for longer than its timeout.
    const long = runsFor(1000).named('long');
    const timed = timedAnswers('timed').named('timed');
    const result = await start([long, timed]).done;

    expect(result.status).toBe('succeeded');
    const order = result.events.flatMap((e) =>
      'stage' in e && e.type !== 'stage:ready' ? [`${e.type} ${e.stage}`] : [],
    );
    expect(order).toEqual(['stage:start long', 'stage:done long', 'stage:start timed', 'stage:done timed']);
  }, 15_000);
});
