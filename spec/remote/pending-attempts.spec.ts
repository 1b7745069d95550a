/**
 * The attempts an orchestrator waits for, told of their jobs' events in the order BullMQ's event
 * stream gives them, while reads of which worker took a job are still on their way.
 */
import { stage } from 'tsdags';
import type { Attempt } from '../../lib/executors/executor.js';
import { PendingAttempts } from '../../lib/remote/pending-attempts.js';
import { encodeError } from '../../lib/remote/value-codec.js';
import { defaultRetryPolicy } from '../../lib/run/retry.js';

const s = stage(function work() {
  return 1;
});

/** An attempt that writes down what the executor tells it; it takes retries while `retries` says. */
function recordingAttempt(retries = true): { attempt: Attempt; told: string[] } {
  const told: string[] = [];
  const attempt: Attempt = {
    stage: s(),
    name: 'work',
    args: [],
    attempt: 1,
    signal: new AbortController().signal,
    context: () => {
      throw new Error('function stages have no context');
    },
    begin: (threadId, worker) => told.push(`begin ${threadId} ${worker}`),
    retry: { ...defaultRetryPolicy, retries: 2 },
    retried: (error, delayMs) => {
      told.push(`retried ${(error as Error).message} ${delayMs}`);
      return retries;
    },
  };
  return { attempt, told };
}

test('a try that fails before the read of its worker ends starts, fails, and the late read is not the next try', () => {
  const pending = new PendingAttempts(() => {});
  const { attempt, told } = recordingAttempt();
  void pending.add('job-1', attempt);
  // 'active': the read of who took it starts...
  const first = pending.tryWaitingForStart('job-1');
  expect(first).toBe(0);
  // ...and before it ends, the try fails and BullMQ delays the job for its retry.
  pending.progress('job-1', { worker: 'host:1', failure: encodeError(new Error('flaky')) });
  expect(pending.retrying('job-1', 50)).toBe('retried');
  // The read ends: it was about the failed try, not the next one.
  pending.started('job-1', 'host:1', first);
  expect(told).toEqual(['begin -1 host:1', 'retried flaky 50']);
  // The job waits out its back-off: a run that stops may take it back.
  expect(pending.waitingForStart).toEqual(['job-1']);
  // The next try is taken, by another worker.
  const second = pending.tryWaitingForStart('job-1');
  expect(second).toBe(1);
  pending.started('job-1', 'host:2', second);
  expect(told.at(-1)).toBe('begin -1 host:2');
  expect(pending.waitingForStart).toEqual([]);
});

test('a job put back without a failure (a lost or stopping worker) is not a retry', () => {
  const pending = new PendingAttempts(() => {});
  const { attempt, told } = recordingAttempt();
  void pending.add('job-2', attempt);
  pending.started('job-2', 'host:1', pending.tryWaitingForStart('job-2'));
  expect(pending.retrying('job-2', 0)).toBeUndefined();
  expect(told).toEqual(['begin -1 host:1']);
});

test('a retry the engine refuses (the run stopped) keeps the failure: the attempt fails with it', async () => {
  const pending = new PendingAttempts(() => {});
  const { attempt, told } = recordingAttempt(false);
  const result = pending.add('job-3', attempt);
  pending.started('job-3', 'host:1', pending.tryWaitingForStart('job-3'));
  pending.progress('job-3', { worker: 'host:1', failure: encodeError(new TypeError('late')) });
  expect(pending.retrying('job-3', 50)).toBe('refused');
  pending.failed('job-3', 'the run stopped');
  await expect(result).rejects.toThrow(TypeError);
  expect(told).toEqual(['begin -1 host:1', 'retried late 50']);
});

test('a job back to wait at once after a failure report is a retry only for a stage without back-off', () => {
  // Its worker died between reporting the failure and BullMQ's move to delayed: a stall, which
  // also puts the job back to wait; the stage's back-off says that was no retry.
  const pending = new PendingAttempts(() => {});
  const { attempt, told } = recordingAttempt();
  void pending.add('job-4', attempt);
  pending.started('job-4', 'host:1', pending.tryWaitingForStart('job-4'));
  pending.progress('job-4', { worker: 'host:1', failure: encodeError(new Error('died after')) });
  expect(pending.retrying('job-4', 0, true)).toBeUndefined();
  expect(told).toEqual(['begin -1 host:1']);

  const immediate = recordingAttempt();
  const atOnce: Attempt = { ...immediate.attempt, retry: { ...immediate.attempt.retry, retryDelay: 0 } };
  void pending.add('job-5', atOnce);
  pending.started('job-5', 'host:1', pending.tryWaitingForStart('job-5'));
  pending.progress('job-5', { worker: 'host:1', failure: encodeError(new Error('again')) });
  expect(pending.retrying('job-5', 0, true)).toBe('retried');
  expect(immediate.told).toEqual(['begin -1 host:1', 'retried again 0']);
});

test("a failure's report that comes before the read of its worker starts the attempt with threadId -1", () => {
  const pending = new PendingAttempts(() => {});
  const { attempt, told } = recordingAttempt();
  void pending.add('job-1', attempt).catch(() => {});
  // It failed on its worker's main thread (threadId 0), in the same read as its 'active'.
  pending.progress('job-1', { worker: 'host:1', threadId: 0, failure: encodeError(new Error('bad')) });
  pending.failed('job-1', 'bad');
  expect(told).toEqual(['begin -1 host:1']);
});
