// A hostile review of the worker batches (short stages several to a message, a lane's outbox, at
// most two messages out). Each test whose comment names a bug failed because of it, until the fix
// that made it pass.
import { Pipeline, type Stage } from 'tsdags';
import type { Attempt } from '../../lib/executors/executor.js';
import { AttemptWithdrawn } from '../../lib/executors/executor.js';
import { RunTimes } from '../../lib/executors/run-times.js';
import { WorkerThreadExecutor } from '../../lib/executors/worker-thread.js';
import { lone, release, rq, tally } from '../fixtures/batches-review.mjs';
import { until, waitFor } from '../fixtures/lanes-review.mjs';
import { attemptOf } from '../support/attempts.js';
import { batchHarness } from '../support/batches.js';
import { peakConcurrency } from '../support/schedule.js';

interface Ran {
  k: number;
  threadId: number;
}

const cells = (n = 64) => new Int32Array(new SharedArrayBuffer(4 * n));

// The main thread's turn is over: setImmediate callbacks queued before this one have run.
const turnOver = () => new Promise<void>((resolve) => setImmediate(resolve));

// Spins the main thread for `ms`: a stage that started before this call has run that long since.
function spin(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

describe('worker batches under review', () => {
  const h = batchHarness(rq);

  const learnt = (cores?: number, warm?: number) => h.learnt(cores, warm);

  function run(s: Stage, attempt: Attempt = attemptOf(s)): Promise<Ran> {
    const running = h.executor.run(attempt) as Promise<Ran>;
    running.catch(() => {});
    return running;
  }

  // Hands these stages over as the engine does: beyond `cores` (all but a first that finds its lane
  // idle) only once canQueue says yes.
  function queue(stages: Stage[], signal?: AbortSignal): Promise<Ran>[] {
    return stages.map((s, j) => {
      expect(h.executor.canQueue(s) || j === 0).toBe(true);
      return run(s, attemptOf(s, signal));
    });
  }

  // Was a bug (renew-drops-outbox): a lane whose thread dies is renewed (#failed: lane.renew()), and
  // renew() empties its outbox; only the tasks of the dead thread's messages are sent again. A
  // task still in the outbox (two messages were out) is on the lane, never sent, never settled:
  // the engine waits for it forever, and the lane counts as busy for good.
  test("runs the stages waiting in a lane's outbox when its thread dies", async () => {
    const cell = await learnt();
    const dying = run(rq(cell, 0, 'gatedDies', 1));
    await until(cell, 0);
    const second = queue([rq(cell, 2), rq(cell, 3)]);
    await turnOver();
    const waiting = queue([rq(cell, 4), rq(cell, 5)]);
    await turnOver();
    expect(h.sent.sizes).toEqual([1, 2]); // two messages out: the last two wait in the outbox
    const settled = waiting.map(settledFlag);
    release(cell, 1);

    await expect(dying).rejects.toThrow('uncaught in a callback');
    await expect(Promise.all(second)).resolves.toMatchObject([{ k: 2 }, { k: 3 }]);
    // A stage queued behind them on the same lane runs on the fresh thread; those before it have.
    await expect(run(rq(cell, 6))).resolves.toMatchObject({ k: 6 });
    expect(settled.map((s) => s.done)).toEqual([true, true]); // [false, false]: never sent
    expect([4, 5].map((k) => Atomics.load(cell, k))).toEqual([1, 1]);
  });

  // Was a bug (withdraw-steal): withdraw() walks the lanes in order; a lane it empties steals (#settled
  // -> #steal) the stages waiting behind a lane it has not reached yet, sends them with new
  // tickets, and withdraw() then finds that lane holding only its running stage. The moved stages
  // run after the run stopped.
  test('withdraw() takes back stages that a lane it emptied took over from another', async () => {
    const cell = await learnt(2, 2);
    // Lane 0: a stage that fails once let go. Lane 1: a short stage held.
    const failing = run(lone(cell, 0, 'gatedThrows', 1));
    await until(cell, 0);
    const held = run(rq(cell, 2, 'gated', 3));
    await until(cell, 2);
    spin(5); // `held` has run longer than a move takes (stealAfterMs): a lane gone idle takes its queue
    // `next` waits behind `failing` (lane 0 then holds no more); w1 and w2 behind `held`.
    const [next, w1, w2] = queue([rq(cell, 4), rq(cell, 5), rq(cell, 6)]);
    // As the engine of a run that stops does: in the failure's reaction.
    const stopped = failing.catch(() => h.executor.withdraw());
    release(cell, 1);
    await stopped;
    const outcomes = await Promise.allSettled([next!, w1!, w2!]);
    release(cell, 3);
    await held;

    for (const outcome of outcomes) {
      expect(outcome).toEqual({ status: 'rejected', reason: expect.any(AttemptWithdrawn) }); // w1, w2 fulfilled
    }
    expect([4, 5, 6].map((k) => Atomics.load(cell, k))).toEqual([0, 0, 0]); // [0, 1, 1]
  });

  // Was a bug (handed-back-look-claimed): a batch that stops after a long stage hands the rest back
  // unclaimed (revokedTask), but `claimed` is a high-water mark: once the thread claims the first
  // stage of its next message, the handed-back stages look claimed (isClaimed) until their answer
  // is read. withdraw() leaves them (they "run"), and their answer then sends them again: they run
  // after the run stopped.
  test('withdraw() takes back the stages a batch handed back, while their answer is unread', async () => {
    const cell = await learnt();
    const stages = [
      rq(cell, 0, 'long', 0, 5),
      ...Array.from({ length: 15 }, (_, j) => rq(cell, 1 + j)),
      rq(cell, 16, 'gated', 20),
      rq(cell, 17),
    ];
    const runs = queue(stages);
    await Promise.resolve(); // the lane's flush (a microtask queued by the first) sent both messages
    expect(h.sent.sizes).toEqual([16, 2]);
    // Blocks the main thread until the second message runs: the first one's answer is unread.
    waitFor(cell, 16);
    h.executor.withdraw();
    release(cell, 20);
    const outcomes = await Promise.allSettled(runs);
    // The lane's thread takes its tickets in order: once this one ran, it has passed all the others.
    await run(lone(cell, 18));

    expect(outcomes[17]).toEqual({ status: 'rejected', reason: expect.any(AttemptWithdrawn) });
    const handedBack = outcomes.slice(1, 16).map((o) => o.status);
    expect(handedBack).toEqual(handedBack.map(() => 'rejected')); // 'fulfilled': they ran
    expect(Array.from({ length: 15 }, (_, j) => Atomics.load(cell, 1 + j))).toEqual(
      Array.from({ length: 15 }, () => 0),
    );
  });

  // Was a bug (handed-back-look-claimed, on cancel): the same stages, when the run is cancelled, are
  // taken for running ones (#aborted: isClaimed): begin() says they started, so the engine shows
  // a start (and counts a run) for fifteen stages that never ran, all at once on one core.
  test('a cancel does not say that stages a batch handed back started', async () => {
    const cell = await learnt();
    const abort = new AbortController();
    const begun: boolean[] = [];
    const stages = [
      rq(cell, 0, 'long', 0, 5),
      ...Array.from({ length: 15 }, (_, j) => rq(cell, 1 + j)),
      rq(cell, 16, 'gated', 20),
    ];
    const runs = stages.map((s, j) => {
      expect(h.executor.canQueue(s) || j === 0).toBe(true);
      const attempt = attemptOf(s, abort.signal);
      const begin = attempt.begin;
      begun[j] = false;
      return run(s, {
        ...attempt,
        begin: (...args) => {
          begun[j] = true;
          begin(...args);
        },
      });
    });
    await Promise.resolve();
    expect(h.sent.sizes).toEqual([16, 1]);
    waitFor(cell, 16); // the first message's answer is unread
    abort.abort(new Error('cancelled'));
    release(cell, 20);
    await Promise.allSettled(runs);

    expect(begun.slice(1, 16)).toEqual(begun.slice(1, 16).map(() => false)); // all true
    expect(Array.from({ length: 15 }, (_, j) => Atomics.load(cell, 1 + j))).toEqual(
      Array.from({ length: 15 }, () => 0),
    );
  });

  // Was a bug (batch-result-aliasing): runBatch checks each outcome with structuredClone but keeps the
  // original, and the answer is cloned when the whole batch is over. A stage that returns an
  // object its module keeps (a cache, an accumulator) answers with what the object holds after
  // the last stage of the batch, not what it returned: alone, each stage gets its own snapshot.
  test('answers each stage of a batch with its result as it was when the stage returned', async () => {
    h.executor = new WorkerThreadExecutor(1, 1, new RunTimes(1000));
    const cell = cells();
    const first = (await h.executor.run(attemptOf(tally(cell, 0)))) as { count: number };
    h.sent.sizes.length = 0;
    const results = (await Promise.all(
      queue([tally(cell, 1), tally(cell, 2), tally(cell, 3)]),
    )) as unknown as {
      count: number;
    }[];

    expect(h.sent.sizes).toEqual([3]);
    // [first + 3, first + 3, first + 3]
    expect(results.map((r) => r.count)).toEqual([first.count + 1, first.count + 2, first.count + 3]);
  });

  // Was a bug (foreign-ack): failWith() acknowledges every failure to the lane's thread, also one the
  // thread never had: an argument structured clone refused at send (#failed). The acknowledged
  // cell is a high-water mark, so the thread, waiting for the main side to handle a failure of a
  // lower ticket, goes on at once and claims the next stage before a run that stops on that
  // failure can take it back. Here the main thread is busy when it handles the failure (it waits,
  // at most 3 s, for the next stage to start: it starts only because of the bug).
  test('withdraw() in the reaction to a failure takes back the next stage, after a stage that could not be sent', async () => {
    const cell = await learnt();
    // One message: x, then failing (held, throws once let go); their answer comes at its end.
    const [x, failing] = queue([rq(cell, 0), rq(cell, 2, 'gatedThrows', 1)]);
    await until(cell, 2);
    const unsendable = rq(cell, 4);
    (unsendable.args as unknown[]).push(() => 'a function cannot cross threads');
    // Their batch cannot be sent: each goes again alone; the unsendable one fails, after x.
    const [bad, next] = queue([unsendable, rq(cell, 5)]);
    await turnOver();
    await turnOver();
    expect(h.sent.sizes).toEqual([2, 2, 1, 1]);
    const stopped = failing!.catch(() => {
      try {
        waitFor(cell, 5, 3000);
      } catch {
        // `next` did not start while the failure waited to be handled: as it should be.
      }
      h.executor.withdraw();
    });
    release(cell, 1);
    await expect(x).resolves.toMatchObject({ k: 0 });
    await expect(bad).rejects.toThrow(/argument that cannot be passed/);
    await stopped;

    await expect(next).rejects.toBeInstanceOf(AttemptWithdrawn); // resolves: it ran
    expect(Atomics.load(cell, 5)).toBe(0);
  });

  // Checked, fine: close() with a batch running, a second message out and stages in the outbox
  // settles every promise, and no stage starts after it.
  test('close() settles every stage of a lane: running, sent ahead, and in its outbox', async () => {
    const cell = await learnt();
    const first = run(rq(cell, 0, 'gated', 40));
    await until(cell, 0);
    const rest = queue(Array.from({ length: 20 }, (_, j) => rq(cell, 1 + j)));
    await turnOver();
    expect(h.sent.sizes).toEqual([1, 16]); // four wait in the outbox
    await h.executor.close();
    release(cell, 40);

    const outcomes = await Promise.allSettled([first, ...rest]);
    expect(outcomes.map((o) => o.status)).toEqual(outcomes.map(() => 'rejected'));
    expect(Array.from({ length: 20 }, (_, j) => Atomics.load(cell, 1 + j))).toEqual(
      Array.from({ length: 20 }, () => 0),
    );
  });

  // Checked, fine: a definition that turns long in the middle of a lane of its stages: the batches
  // stop after each long one and hand the rest back; every stage runs once, in order of its turn.
  test('a short definition that turns long: each of its queued stages runs once', async () => {
    const cell = await learnt();
    const stages = Array.from({ length: 30 }, (_, k) => rq(cell, k, k % 3 === 0 ? 'long' : 'ok', 0, 2));
    const results = await Promise.all(queue(stages));

    expect(results.map((r) => r.k)).toEqual(stages.map((_, k) => k));
    expect(stages.map((_, k) => Atomics.load(cell, k))).toEqual(stages.map(() => 1));
  });

  // Was a bug (moved-back-twice): a stage waiting in a lane's outbox moves to a lane gone idle
  // (#steal), then back when this lane goes idle in turn, with a new ticket and a new entry in the
  // outbox; its old entry now matched again, and the stage went to the thread twice, ran twice.
  test('a stage moved to another lane and back runs once', async () => {
    const cell = await learnt(2, 2);
    const a1 = run(rq(cell, 0, 'gated', 20)); // lane A
    await until(cell, 0);
    const b1 = run(rq(cell, 1, 'gated', 21)); // lane B
    await until(cell, 1);
    const [a2, b2] = queue([rq(cell, 2, 'gated', 22), rq(cell, 4, 'gated', 23)]); // A, then B
    await turnOver(); // a2 is A's second message out
    const [w] = queue([rq(cell, 3)]); // waits in A's outbox: two messages are out
    spin(2); // a1 has run long enough for the stages behind it to move
    release(cell, 21);
    release(cell, 23);
    await Promise.all([b1, b2]); // B is idle: a2 and w move to B, and a2 runs there
    await until(cell, 2);
    spin(2);
    release(cell, 20);
    await a1; // A is idle: w, waiting behind a2 on B, moves back to A
    release(cell, 22);
    await Promise.all([a2, w]);
    await run(rq(cell, 5)); // both threads have passed every ticket by now

    expect(Atomics.load(cell, 3)).toBe(1); // 2: w went to A's thread twice
  });
});

describe('worker batches under review, in a run', () => {
  // Checked, fine: a fan whose stages are short but some turn long: start/end events never show
  // more than cores running, and each stage runs once.
  test('a fan of stages that turn long now and then: never more than cores running', async () => {
    const cell = cells(128);
    const root = rq(cell, 127);
    const leaves = Array.from({ length: 80 }, (_, k) =>
      rq(cell, k, k % 7 === 3 ? 'long' : 'ok', 0, 2).after(root),
    );
    const result = await new Pipeline().addStages([root, ...leaves]).run({ cores: 2, storeDir: false }).done;

    expect(result.status).toBe('succeeded');
    expect(peakConcurrency(result.events)).toBeLessThanOrEqual(2);
    expect(leaves.map((_, k) => Atomics.load(cell, k))).toEqual(leaves.map(() => 1));
  });
});

function settledFlag(promise: Promise<unknown>): { done: boolean } {
  const flag = { done: false };
  const mark = () => (flag.done = true);
  promise.then(mark, mark);
  return flag;
}
