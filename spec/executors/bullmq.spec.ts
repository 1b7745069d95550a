/**
 * The bullmq executor's part in the engine's cap: with the run's cores it takes jobs beyond them
 * (queueAhead, canQueue), which wait in Redis for the next free worker. Nothing here connects.
 */
import { Stage, stage } from 'tsdags';
import { BullMQExecutor } from '../../lib/executors/bullmq.js';
import { jobsPerCore } from '../../lib/remote/executor-options.js';

const redis = 'redis://127.0.0.1:1';
const work = stage(function work() {});

class Local extends Stage<void> {
  run(): void {}
}

test('new BullMQExecutor({ cores }) queues jobsPerCore jobs per core in all', async () => {
  const executor = new BullMQExecutor({ runId: 'r1', redis, cores: 3 });
  expect(executor.queueAhead).toBe(3 * (jobsPerCore - 1));
  expect(executor.canQueue(work())).toBe(true);
  // Class stages do not run remotely: nothing to queue.
  expect(executor.canQueue(new Local())).toBe(false);
  await executor.close();
});

test('new BullMQExecutor() without cores queues nothing beyond them', async () => {
  const executor = new BullMQExecutor({ runId: 'r1', redis });
  expect(executor.queueAhead).toBe(0);
  expect(executor.canQueue(work())).toBe(false);
  await executor.close();
});

test('new BullMQExecutor() refuses cores that are not a whole number from 1 up', () => {
  for (const cores of [0, 1.5, -2, Number.NaN]) {
    expect(() => new BullMQExecutor({ runId: 'r1', redis, cores })).toThrow(
      new RegExp(`Expected \`cores\` to be a whole number from 1 up, got ${String(cores)}`),
    );
  }
});
