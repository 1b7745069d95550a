// A hostile review of the worker lanes (one stage sent ahead per lane): each test failed because
// of the bug its comment names, until the fix that made it pass.
import { createHook } from 'node:async_hooks';
import Tinypool from 'tinypool';
import { Pipeline } from 'tsdags';
import { WorkerThreadExecutor } from '../../lib/executors/worker-thread.js';
import {
  awaitsIo,
  counted,
  dies,
  gated,
  gatedTimed,
  gatedLimited,
  givesFunction,
  release,
  until,
  waitFor,
} from '../fixtures/lanes-review.mjs';
import { attemptOf } from '../support/attempts.js';
import { deferred, peakConcurrency } from '../support/schedule.js';

interface Ran {
  threadId: number;
}

const cells = (n = 16) => new Int32Array(new SharedArrayBuffer(4 * n));

describe('worker lanes under review', () => {
  let executor: WorkerThreadExecutor;
  afterEach(() => executor.close());

  // Was a bug (revoke-overwrite): the lane has one `revoked` cell. A stage moved off a lane (#steal) is
  // revoked there; the lane then takes another stage ahead, which is moved too, and its revocation
  // overwrites the first before the lane's thread reached it. The thread then claims the first
  // stage (revoked !== its ticket) and runs it a second time.
  test('runs a stage once when two stages are moved off the same busy lane in turn', async () => {
    executor = new WorkerThreadExecutor(2, 2);
    const cell = cells();
    // Lane X runs `long` (gate 1); lane Y runs `short` (gate 3).
    const long = executor.run(attemptOf(gated(cell, 0, 1))) as Promise<Ran>;
    await until(cell, 0);
    const short = executor.run(attemptOf(gated(cell, 2, 3))) as Promise<Ran>;
    await until(cell, 2);
    // Sent ahead behind X, then moved to Y when Y goes idle.
    const first = executor.run(attemptOf(counted(cell, 4))) as Promise<Ran>;
    release(cell, 3);
    await Promise.all([short, first]);
    // Y is busy again; the next one goes ahead behind X, and moves to Y once Y is idle.
    const other = executor.run(attemptOf(gated(cell, 5, 6))) as Promise<Ran>;
    await until(cell, 5);
    const second = executor.run(attemptOf(counted(cell, 7))) as Promise<Ran>;
    release(cell, 6);
    await Promise.all([other, second]);
    release(cell, 1);
    const x = await long;
    // X's thread takes its tickets in order: once a later stage ran there, it has passed both.
    const later = (await executor.run(attemptOf(counted(cell, 8)))) as Ran;

    expect(later.threadId).toBe(x.threadId);
    expect(Atomics.load(cell, 4)).toBe(1); // 2: `first` ran again on X
    expect(Atomics.load(cell, 7)).toBe(1);
  });

  // Was a bug (revoke-overwrite, again): a run cancelled while a lane's thread still starts revokes both of
  // its stages; the second revocation overwrites the first, and the starting thread runs the first.
  test('runs neither of two stages taken back from a lane whose thread is still starting', async () => {
    executor = new WorkerThreadExecutor(1);
    const cell = cells();
    const abort = new AbortController();
    const first = executor.run(attemptOf(counted(cell, 0), abort.signal));
    expect(executor.canQueue(counted(cell, 1))).toBe(true);
    const second = executor.run(attemptOf(counted(cell, 1), abort.signal));
    abort.abort(new Error('cancelled'));
    await expect(first).rejects.toThrow('cancelled');
    await expect(second).rejects.toThrow('cancelled');
    // The lane's thread takes its tickets in order: once this one ran, it has passed both.
    await executor.run(attemptOf(counted(cell, 2)));

    expect(Atomics.load(cell, 2)).toBe(1);
    expect(Atomics.load(cell, 0)).toBe(0); // 1: the first ran after it was taken back
    expect(Atomics.load(cell, 1)).toBe(0);
  });

  // Was a bug (claim-before-death): a result structured clone refuses kills the thread in tinypool's
  // process.nextTick, after the microtasks in which the worker entry already claimed (and started)
  // the stage sent ahead. On the main thread that stage counts as claimed, so it is not sent again:
  // it fails with the other stage's death, having run part-way.
  test('runs a stage sent ahead when the stage before it on its lane returns an uncloneable value', async () => {
    executor = new WorkerThreadExecutor(1);
    const cell = cells();
    const bad = executor.run(attemptOf(givesFunction(cell, 0, 1)));
    await until(cell, 0);
    const next = executor.run(attemptOf(awaitsIo(cell, 2))) as Promise<Ran>;
    release(cell, 1);

    await expect(bad).rejects.toThrow(/result that cannot be passed/);
    await expect(next).resolves.toEqual({ threadId: expect.any(Number) }); // rejects with bad's death
    expect(Atomics.load(cell, 2)).toBe(1);
  });

  // Was a bug (late-abort-kills-next): an abort (a timeout) handled after the lane's thread already finished
  // the stage and claimed the one sent ahead still ends the thread, and the stage that runs there
  // fails with "Terminating worker thread". The main thread was busy: A's answer was still unread.
  test('keeps running the stage sent ahead when the stage before it times out after it ended', async () => {
    executor = new WorkerThreadExecutor(1);
    const cell = cells();
    const abort = new AbortController();
    const first = executor.run(attemptOf(gated(cell, 0, 1), abort.signal));
    first.catch(() => {});
    await until(cell, 0);
    const next = executor.run(attemptOf(gated(cell, 2, 3))) as Promise<Ran>;
    release(cell, 1);
    waitFor(cell, 2); // blocks the main thread: `next` runs in the lane's thread, first's answer unread
    abort.abort(new Error('timed out'));
    release(cell, 3);

    await expect(next).resolves.toEqual({ threadId: expect.any(Number) }); // Terminating worker thread
  });

  // Was a bug (replaced-thread-queue): when a lane's thread dies, tinypool starts another in the same pool;
  // until it is ready, tasks wait in tinypool's queue, and once it is, tinypool posts only the first
  // (_onWorkerAvailable returns after one) and the next only when an answer comes back. A stage sent
  // ahead to that lane therefore waits for the main thread to read the answer of the stage before
  // it: the round trip the lanes exist to avoid. Here the main thread is blocked until the stage
  // sent ahead starts, so it never does (the gate gives up after 10 s).
  test('starts a stage sent ahead to a replaced thread without the main thread', async () => {
    executor = new WorkerThreadExecutor(1);
    const cell = cells();
    await expect(executor.run(attemptOf(dies()))).rejects.toThrow('uncaught in a callback');
    const first = executor.run(attemptOf(gated(cell, 0, 1)));
    expect(executor.canQueue(gated(cell, 2, 3))).toBe(true);
    const next = executor.run(attemptOf(gated(cell, 2, 3)));
    await until(cell, 0);
    release(cell, 1);
    try {
      waitFor(cell, 2, 10_000); // throws: `next` is still in tinypool's queue on the main thread
    } finally {
      release(cell, 3);
      await Promise.allSettled([first, next]);
    }
  });

  // Was a bug (own-lane-no-steal): a stage with resourceLimits ends its own lane (#settled) but nothing takes
  // over the stage waiting behind a busy lane; canQueue now says no (fewer than cores run) and the
  // engine dispatches nothing, so a core idles until that lane's stage ends. Here that stage waits
  // for the one behind it: it gives up after 10 s.
  test('moves a stage waiting behind a busy lane when a stage with resourceLimits ends', async () => {
    executor = new WorkerThreadExecutor(2);
    const cell = cells();
    // The busy lane's stage holds until the stage sent ahead behind it has run (cell 4).
    const busy = executor.run(attemptOf(gated(cell, 0, 4, 10_000)));
    await until(cell, 0);
    const limited = executor.run(attemptOf(gatedLimited(cell, 2, 3)));
    await until(cell, 2);
    expect(executor.canQueue(counted(cell, 4))).toBe(true);
    const waiting = executor.run(attemptOf(counted(cell, 4)));
    release(cell, 3);
    await limited;

    await expect(busy).resolves.toEqual({ threadId: expect.any(Number) }); // cell 4 was never set
    await waiting;
  });

  // Was a bug (cancel-resends): cancel() destroys the lanes' pools; tinypool fails the stage sent ahead with
  // "Terminating worker thread", #failed finds it unclaimed and sends it again to the destroyed pool,
  // which starts a new thread for it: it runs after cancel(), on a thread nothing will end.
  test('cancel() stops a stage sent ahead: it does not run', async () => {
    executor = new WorkerThreadExecutor(1);
    const cell = cells();
    const first = executor.run(attemptOf(gated(cell, 0, 1)));
    await until(cell, 0);
    const next = executor.run(attemptOf(counted(cell, 2)));
    await executor.cancel();
    release(cell, 1);

    await expect(first).rejects.toThrow();
    await expect(next).rejects.toThrow(); // resolves: it ran on a new thread after cancel()
    expect(Atomics.load(cell, 2)).toBe(0);
  });

  // Was a bug (own-lane-renew): #aborted checks `this.#own.has(lane)` after #settled removed the lane from
  // #own, so a timed-out stage with resourceLimits gets lane.renew(): a new pool and thread with its
  // limits that nothing ends (close() no longer knows the lane), one per such timeout.
  test('ends every thread it started once closed, after a stage with resourceLimits timed out', async () => {
    const pools = trackPools();
    try {
      executor = new WorkerThreadExecutor(1);
      const cell = cells();
      const abort = new AbortController();
      const limited = executor.run(attemptOf(gatedLimited(cell, 0, 1), abort.signal));
      await until(cell, 0);
      abort.abort(new Error('timed out'));
      await expect(limited).rejects.toThrow('timed out');
      await executor.close();

      expect(pools.created.size).toBeGreaterThan(0);
      expect([...pools.created].filter((pool) => !pools.destroyed.has(pool))).toHaveLength(0); // 1
    } finally {
      pools.stop();
    }
  });
});

describe('worker lanes under review, in a run', () => {
  // Was a bug (begin-ahead-on-failure): a stage sent ahead whose arguments structured clone refuses fails
  // at once, and #failed (through ended()) says it began: stage:start, then stage:error, while the
  // stage before it on its lane still runs. The events show two stages running on one core.
  test('never shows more than cores running when a stage sent ahead cannot be sent', async () => {
    const cell = cells();
    const argument = deferred<unknown>();
    const first = gatedTimed(cell, 0, 1).named('first');
    // Ready once `first` runs (its Promise argument resolves then), so it goes ahead behind it.
    const unsendable = counted(argument.promise, 2).named('unsendable');
    const run = new Pipeline()
      .addStages([first, unsendable])
      .run({ cores: 1, onError: 'continue', storeDir: false });
    run.events.subscribe((e) => {
      if (e.type === 'stage:start' && e.stage === 'first') argument.resolve(() => 'a function');
      // Its dispatch and failure follow in the same turn, before `first`'s end is read.
      if (e.type === 'stage:ready' && e.stage === 'unsendable') release(cell, 1);
    });
    const result = await run.done;

    expect(result.stages['unsendable']!.status).toBe('failed');
    expect(result.stages['first']!.status).toBe('succeeded');
    expect(peakConcurrency(result.events)).toBeLessThanOrEqual(1); // 2
  });
});

/** Records the tinypool pools (their asyncResource) created (async_hooks) and destroyed (destroy() called). */
function trackPools(): { created: Set<object>; destroyed: Set<object>; stop: () => void } {
  const created = new Set<object>();
  const destroyed = new Set<object>();
  const hook = createHook({
    init(_id, type, _trigger, resource) {
      // Not yet a whole object here (its constructor is still running): the pool's asyncResource.
      if (type === 'Tinypool') created.add(resource as object);
    },
  }).enable();
  const destroy = Object.getOwnPropertyDescriptor(Tinypool.prototype, 'destroy')!
    .value as () => Promise<void>;
  Tinypool.prototype.destroy = function (this: Tinypool) {
    destroyed.add(this.asyncResource);
    return destroy.call(this);
  };
  return {
    created,
    destroyed,
    stop: () => {
      hook.disable();
      Tinypool.prototype.destroy = destroy;
    },
  };
}
