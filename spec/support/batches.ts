import Tinypool from 'tinypool';
import type { Stage } from 'tsdags';
import { RunTimes } from '../../lib/executors/run-times.js';
import { WorkerThreadExecutor } from '../../lib/executors/worker-thread.js';
import { attemptOf } from './attempts.js';

/**
 * Sizes of the messages sent to worker threads from now until stop(): 1 for a stage alone, the
 * batch's length for a batch.
 */
export function trackMessages(): { sizes: number[]; stop: () => void } {
  const sizes: number[] = [];
  const run = Object.getOwnPropertyDescriptor(Tinypool.prototype, 'run')!.value as Tinypool['run'];
  Tinypool.prototype.run = function (this: Tinypool, task: unknown, options?: object) {
    const batch = (task as { batch?: unknown[] }).batch;
    sizes.push(batch ? batch.length : 1);
    return run.call(this, task, options);
  } as Tinypool['run'];
  return { sizes, stop: () => (Tinypool.prototype.run = run) };
}

/** What each test of a describe about worker batches has (batchHarness). */
export interface BatchHarness {
  /** The test's executor, closed after it. */
  executor: WorkerThreadExecutor;
  /** Sizes of the messages sent to worker threads in the test, since learnt(). */
  readonly sent: { sizes: number[] };
  /**
   * Makes the test's executor and runs one stage of `short` there, so that its definition counts as
   * short: a lane holds as many of its stages as it can (32; queuedMs is large). Returns the cells
   * its stages use.
   */
  learnt(cores?: number, warm?: number): Promise<Int32Array>;
}

/**
 * Sets up the tests of the describe it is called in: messages tracked, the executor closed after
 * each. `short` makes a stage from a cell array and its index.
 */
export function batchHarness(short: (cell: Int32Array, k: number) => Stage): BatchHarness {
  let tracking = { sizes: [] as number[], stop: () => {} };
  const harness: BatchHarness = {
    executor: undefined as unknown as WorkerThreadExecutor,
    get sent() {
      return tracking;
    },
    async learnt(cores = 1, warm = 1) {
      harness.executor = new WorkerThreadExecutor(cores, warm, new RunTimes(1000));
      const cell = new Int32Array(new SharedArrayBuffer(4 * 64));
      await harness.executor.run(attemptOf(short(cell, 63)));
      tracking.sizes.length = 0;
      return cell;
    },
  };
  beforeEach(() => (tracking = trackMessages()));
  afterEach(async () => {
    tracking.stop();
    await harness.executor?.close();
  });
  return harness;
}
