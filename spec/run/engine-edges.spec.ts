import { getMaxListeners } from 'node:events';
import { tmpdir } from 'node:os';
import { EMPTY, firstValueFrom, of } from 'rxjs';
import { Pipeline, Stage, StageNotFoundError, stage, type RunEvent, type StageContext } from 'tsdags';
import { late } from '../fixtures/late-stage.mjs';
import { deferred, stagesWith } from '../support/schedule.js';
import { MainThreadExecutor } from '../../lib/executors/main-thread.js';
import { buildGraph } from '../../lib/graph/graph.js';
import { Engine } from '../../lib/run/engine.js';
import { EventLog } from '../../lib/run/event-log.js';
import type { Recorder } from '../../lib/run/recorder.js';
import { Run } from '../../lib/run/run.js';
import { FileKeyValueStore } from '../../lib/store/file-key-value-store.js';

const noStore = { storeDir: false } as const;

describe('engine edge cases', () => {
  test("the run's signal takes a listener from every attempt a run may hold, without Node's leak warning", async () => {
    class Limit extends Stage<number> {
      run(ctx: StageContext): number {
        return getMaxListeners(ctx.signal);
      }
    }
    const limit = new Limit();
    const result = await new Pipeline().addStage(limit).run({ cores: 2, ...noStore }).done;

    // Worker lanes hold up to 32 short stages each, and each listens to the run's signal.
    expect(result.output(limit)).toBeGreaterThan(64); // 10: Node's default for an EventTarget
  });

  test('an input that fails while the run starts does not settle a stage twice or end the run early', async () => {
    const gate = deferred();
    const pass = stage({ thread: 'main' }, function pass(x: number) {
      return x;
    });
    const both = stage({ thread: 'main' }, function both(a: number, b: number) {
      return a + b;
    });
    const slow = stage({ thread: 'main' }, async function slow() {
      await gate.promise;
      return 'slow';
    });
    const b = pass(EMPTY as never).named('b');
    const c = both(b, of(1)).named('c');
    const s = slow();
    const run = new Pipeline().addStages([c, s]).run({ onError: 'continue', ...noStore });
    await new Promise<void>((resolve) => run.events.subscribe((e) => e.type === 'stage:start' && resolve()));
    gate.resolve();
    const result = await run.done;

    expect(result.output(s)).toBe('slow');
    expect(result.stages['b']!.status).toBe('failed');
    expect(stagesWith(result.events, 'stage:skip')).toEqual(['c']);
  });

  test('run.cancel() from a stage:start subscriber ends a main-thread stage that ignores its signal', async () => {
    const forever = stage({ thread: 'main' }, function forever() {
      return new Promise(() => {});
    });
    const run = new Pipeline().addStage(forever()).run(noStore);
    run.events.subscribe((e) => e.type === 'stage:start' && run.cancel('now'));

    expect((await run.done).status).toBe('cancelled');
  });

  test('an already-aborted signal runs no stage', async () => {
    const ran: string[] = [];
    const mark = stage({ thread: 'main' }, function mark(label: string) {
      ran.push(label);
    });
    const result = await new Pipeline()
      .addStages([mark('a'), mark('b')])
      .run({ signal: AbortSignal.abort('too late'), ...noStore }).done;

    expect(result.status).toBe('cancelled');
    expect(ran).toEqual([]);
    expect(stagesWith(result.events, 'stage:cancel').sort()).toEqual(['mark', 'mark-2']);
  });

  test('a stage waiting to retry when the run stops keeps the error it was retrying', async () => {
    const gate = deferred();
    const flaky = stage({ thread: 'main', retries: 3, retryDelay: 60_000 }, function flaky(): number {
      throw new Error('flaky');
    });
    const broken = stage({ thread: 'main' }, async function broken() {
      await gate.promise;
      throw new Error('broken');
    });
    const run = new Pipeline().addStages([flaky(), broken()]).run({ cores: 2, ...noStore });
    run.events.subscribe((e) => e.type === 'stage:retry' && gate.resolve());
    const result = await run.done;

    expect(result.stages['flaky']).toMatchObject({ status: 'skipped' });
    expect(result.stages['flaky']!.error!.message).toContain('flaky');
  });

  test('a stage that succeeds on a retry does not keep the failure of its first attempt', async () => {
    let calls = 0;
    const once = stage({ thread: 'main', retries: 1, retryDelay: 0 }, function once() {
      if (++calls === 1) throw new Error('first');
      return 'second';
    });
    const result = await new Pipeline().addStage(once()).start(noStore);

    expect(result.stages['once']).toMatchObject({ status: 'succeeded', attempts: 2, error: undefined });
    expect(result.errors).toEqual([]);
  });

  test('a subscriber added while an event is emitted gets each event once', async () => {
    const seen: RunEvent['type'][] = [];
    const run = new Pipeline().addStage(stage({ thread: 'main' }, function one() {})()).run(noStore);
    let added = false;
    run.events.subscribe((e) => {
      if (e.type === 'stage:start' && !added) {
        added = true;
        run.events.subscribe((f) => seen.push(f.type));
      }
    });
    await run.done;

    expect(seen).toEqual(['run:start', 'stage:ready', 'stage:start', 'stage:done', 'run:done']);
  });

  test("a stage defined below the module's start() is not found, and the error says why", async () => {
    const result = await new Pipeline().addStage(late()).run(noStore).done;
    const cause = result.stages['late']!.error!.cause;

    expect(cause).toBeInstanceOf(StageNotFoundError);
    expect((cause as Error).message).toContain(
      'importing its module reached pipeline.start() or run() before any stage() named "late"',
    );
  });

  test('a class stage with a timeout in a worker is refused: class stages run on the main thread', async () => {
    class OnWorker extends Stage<void> {
      run(_ctx: StageContext): void {}
    }
    const result = await new Pipeline().addStage(new OnWorker({ thread: 'worker' })).run(noStore).done;

    expect(result.stages['OnWorker']!.error!.message).toContain('class stages run on the main thread');
  });
});

describe('stage options are checked', () => {
  test.each([
    [
      () => stage({ thread: 'gpu' as never }, function t1() {}),
      "Expected `thread` in stage(t1) to be 'worker' or 'main', got \"gpu\" (string).",
    ],
    [
      () => stage({ resourceLimits: 'lots' as never }, function t2() {}),
      'Expected `resourceLimits` in stage(t2) to be an object of sizes in MB above 0',
    ],
    [
      () => stage({ resourceLimits: { maxOldGenerationSizeMb: -5 } }, function t3() {}),
      'got maxOldGenerationSizeMb: -5 (number).',
    ],
    [
      () => stage({ priority: Number.NaN }, function t4() {}),
      'Expected `priority` in stage(t4) to be a finite number',
    ],
  ])('%#', (make, message) => {
    expect(make).toThrow(message);
  });

  test.each([
    [{ storeDir: '' }, 'Expected `storeDir` to be a directory path or false, got "" (string).'],
    [
      { store: 'memory' },
      "Expected `store` to be 'file' or { redis: 'redis://host:port' }, got \"memory\" (string).",
    ],
    [{ executor: 'cloud' }, "Expected `executor` to be 'local' or 'bullmq', got \"cloud\" (string)."],
    [{ redis: 'redis://x:1' }, "Expected `redis` only with executor: 'bullmq', got executor: 'local'."],
    [{ executor: 'bullmq' }, "Expected `redis` with executor: 'bullmq'"],
    [{ runId: '../x' }, 'Expected a run id of letters'],
  ])('run(%j)', (options, message) => {
    const p = new Pipeline().addStage(stage({ thread: 'main' }, function t5() {})());
    expect(() => p.run({ ...noStore, ...options } as never)).toThrow(message);
  });
});

describe('a run that dies of an error outside its stages', () => {
  // A run record that cannot be written ends the run at once (Engine #fatal): a → b, and the
  // record refuses a's end, so b never runs.
  function dyingRun() {
    const step = stage({ thread: 'main' }, function step(x?: number) {
      return (x ?? 0) + 1;
    });
    const a = step().named('a');
    const b = step(a).named('b');
    const graph = buildGraph([b]);
    const recorder: Recorder = {
      begin: () => {},
      restored: new Map(),
      caches: () => false,
      lookup: () => undefined,
      record: (event) => {
        if (event.type === 'stage:done') throw new Error('the disk is full');
      },
      close: async () => {},
    };
    const log = new EventLog();
    const main = new MainThreadExecutor();
    const engine = new Engine(
      graph,
      {
        runId: 'dying',
        cores: 1,
        thread: 'main',
        onError: 'stop',
        executors: { main, worker: main },
        defaults: {},
        recorder,
        store: new FileKeyValueStore(tmpdir()),
        durations: undefined,
      },
      log,
    );
    const run = new Run('dying', log.observable, engine.done, engine, graph);
    engine.start();
    return { run, a, b };
  }

  test('run.output() of a stage that never ran, subscribed after the run died, errors with its cause', async () => {
    const { run, b } = dyingRun();
    await expect(run.done).rejects.toThrow('the disk is full');
    await expect(firstValueFrom(run.output(b))).rejects.toThrow('the disk is full');
  });
});
