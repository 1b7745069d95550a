// Short stages: once a stage definition's last run was short, the worker executor takes many of
// its stages per lane and sends them up to batchSize (16) to a message. Each stage still succeeds, fails, is
// taken back or runs again on its own.
import { Pipeline, UncloneableValueError } from 'tsdags';
import { AttemptWithdrawn } from '../../lib/executors/executor.js';
import { quick, release } from '../fixtures/batches.mjs';
import { until } from '../fixtures/lanes-review.mjs';
import { add } from '../fixtures/stages.mjs';
import { attemptOf } from '../support/attempts.js';
import { batchHarness, trackMessages } from '../support/batches.js';
import { peakConcurrency } from '../support/schedule.js';

interface Quick {
  k: number;
  threadId: number;
}

describe('worker batches: short stages share messages', () => {
  const h = batchHarness(quick);

  const learnt = (cores?: number, warm?: number) => h.learnt(cores, warm);

  // Runs these stages as the engine hands them over: all in one turn, each as the h.executor takes it.
  function runAll(stages: ReturnType<typeof quick>[]): Promise<Quick>[] {
    return stages.map((s) => {
      expect(h.executor.canQueue(s) || stages.indexOf(s) === 0).toBe(true);
      const running = h.executor.run(attemptOf(s)) as Promise<Quick>;
      running.catch(() => {});
      return running;
    });
  }

  // Four short stages, the second of which throws.
  const withFailureSecond = (cell: Int32Array) => [
    quick(cell, 0),
    quick(cell, 1, 'throws'),
    quick(cell, 2),
    quick(cell, 3),
  ];

  test('sends short stages several to a message, and answers each with its own result', async () => {
    const cell = await learnt();
    const ks = Array.from({ length: 20 }, (_, k) => k);
    const results = await Promise.all(runAll(ks.map((k) => quick(cell, k))));

    expect(results.map((r) => r.k)).toEqual(ks);
    expect(h.sent.sizes).toEqual([16, 4]); // one message per stage: [1, 1, ...]
    for (const k of ks) expect(Atomics.load(cell, k)).toBe(1);
  });

  test('takes one stage ahead again once the definition ran long', async () => {
    const cell = await learnt();
    await h.executor.run(attemptOf(quick(cell, 0, 'long', 0, 5)));
    const running = h.executor.run(attemptOf(quick(cell, 1, 'gated', 2)));
    await until(cell, 1);
    const ahead = h.executor.run(attemptOf(quick(cell, 3)));

    expect(h.executor.canQueue(quick(cell, 4))).toBe(false); // true: it waits behind a long stage
    release(cell, 2);
    await Promise.all([running, ahead]);
  });

  test('a stage that was not short ends its batch: the stages after it go again, in a message of their own', async () => {
    const cell = await learnt();
    const results = await Promise.all(
      runAll([quick(cell, 0), quick(cell, 1, 'long', 0, 5), quick(cell, 2), quick(cell, 3)]),
    );

    expect(results.map((r) => r.k)).toEqual([0, 1, 2, 3]);
    expect(h.sent.sizes).toEqual([4, 2]); // [4]: the two after it waited for it
    expect([0, 1, 2, 3].map((k) => Atomics.load(cell, k))).toEqual([1, 1, 1, 1]);
  });

  test('a failure ends its batch: the stages after it run only once it is handled', async () => {
    const cell = await learnt();
    const [ok, failed, after, last] = runAll(withFailureSecond(cell));
    // As the engine of a run that stops does: in the failure's reaction, it takes back what waits.
    await expect(
      failed!.catch((error: unknown) => {
        h.executor.withdraw();
        throw error;
      }),
    ).rejects.toThrow('quick 1 failed');
    await expect(after).rejects.toBeInstanceOf(AttemptWithdrawn);
    await expect(last).rejects.toBeInstanceOf(AttemptWithdrawn);
    await expect(ok).resolves.toMatchObject({ k: 0 });
    // The lane's thread takes its tickets in order: once this one ran, it has passed the others.
    await h.executor.run(attemptOf(quick(cell, 4)));

    expect([2, 3].map((k) => Atomics.load(cell, k))).toEqual([0, 0]); // [1, 1]: they ran past the failure
  });

  test('the stages after a failure in a batch run when the failure does not stop them', async () => {
    const cell = await learnt();
    const [ok, failed, after, last] = runAll(withFailureSecond(cell));

    await expect(failed).rejects.toThrow('quick 1 failed');
    await expect(Promise.all([ok, after, last])).resolves.toMatchObject([{ k: 0 }, { k: 2 }, { k: 3 }]);
    expect([0, 1, 2, 3].map((k) => Atomics.load(cell, k))).toEqual([1, 1, 1, 1]);
  });

  test('a result structured clone refuses fails its own stage only, and the thread lives on', async () => {
    const cell = await learnt();
    const [before, bad, after] = runAll([quick(cell, 0), quick(cell, 1, 'function'), quick(cell, 2)]);

    await expect(bad).rejects.toThrow(UncloneableValueError);
    await expect(bad).rejects.toThrow(/Stage "quick-\d+" has a result that cannot be passed/);
    const [a, c] = await Promise.all([before!, after!]);
    expect(c.threadId).toBe(a.threadId); // a fresh thread: the batch's answer killed the old one
    expect([0, 1, 2].map((k) => Atomics.load(cell, k))).toEqual([1, 1, 1]);
  });

  test('an argument structured clone refuses fails its own stage only', async () => {
    const cell = await learnt();
    const uncloneable = quick(cell, 1, 'ok', 0, 5);
    (uncloneable.args as unknown[]).push(() => 'a function cannot cross threads');
    const [before, bad, after] = runAll([quick(cell, 0), uncloneable, quick(cell, 2)]);

    await expect(bad).rejects.toThrow(/Stage "quick-\d+" has an argument that cannot be passed/);
    await expect(Promise.all([before, after])).resolves.toMatchObject([{ k: 0 }, { k: 2 }]);
    expect([0, 1, 2].map((k) => Atomics.load(cell, k))).toEqual([1, 0, 1]);
  });

  test('a thread that dies in a batch: the stages it finished run again, their answers lost with it', async () => {
    const cell = await learnt();
    const [before, dying, after] = runAll([quick(cell, 0), quick(cell, 1, 'dies'), quick(cell, 2)]);

    await expect(dying).rejects.toThrow('uncaught in a callback');
    await expect(Promise.all([before, after])).resolves.toMatchObject([{ k: 0 }, { k: 2 }]);
    // quick 0 ran before the death and again after it; quick 2 never started on the dead thread.
    expect([0, 1, 2].map((k) => Atomics.load(cell, k))).toEqual([2, 1, 1]);
  });

  test('withdraw() takes back every short stage waiting on a lane, not only the next', async () => {
    const cell = await learnt();
    const [running, ...waiting] = runAll([
      quick(cell, 0, 'gated', 10),
      ...[1, 2, 3, 4, 5].map((k) => quick(cell, k)),
    ]);
    await until(cell, 0);
    h.executor.withdraw();
    for (const w of waiting) await expect(w).rejects.toBeInstanceOf(AttemptWithdrawn);
    release(cell, 10);
    await running;
    await h.executor.run(attemptOf(quick(cell, 6)));

    expect([1, 2, 3, 4, 5].map((k) => Atomics.load(cell, k))).toEqual([0, 0, 0, 0, 0]);
  });

  test('moves every stage waiting behind a busy lane to a lane gone idle', async () => {
    const cell = await learnt(2, 2);
    const held = h.executor.run(attemptOf(quick(cell, 0, 'gated', 10))) as Promise<Quick>;
    await until(cell, 0);
    const other = h.executor.run(attemptOf(quick(cell, 1, 'gated', 11))) as Promise<Quick>;
    await until(cell, 1);
    const waiting = runAll([2, 3, 4, 5].map((k) => quick(cell, k)));
    release(cell, 11);
    // All of them run while the held lane still holds: those behind it moved.
    const [moved, ...rest] = await Promise.all([other, ...waiting]);
    release(cell, 10);
    const stuck = await held;

    for (const r of rest) expect(r.threadId).toBe(moved!.threadId);
    expect(moved!.threadId).not.toBe(stuck.threadId);
  });
});

describe('worker batches in a run', () => {
  test('a fan of short stages: each result arrives, and events never show more than cores running', async () => {
    const root = add(0, 1);
    const leaves = Array.from({ length: 60 }, (_, k) => add(root, k));
    const sent = trackMessages();
    try {
      const result = await new Pipeline().addStages([root, ...leaves]).run({ cores: 2, storeDir: false })
        .done;

      expect(result.status).toBe('succeeded');
      expect(leaves.map((s) => result.output(s))).toEqual(leaves.map((_, k) => 1 + k));
      expect(peakConcurrency(result.events)).toBeLessThanOrEqual(2);
      expect(sent.sizes.length).toBeLessThan(61); // 61: one message per stage
    } finally {
      sent.stop();
    }
  });
});
