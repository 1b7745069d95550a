/**
 * A hostile review of 63de938 (a remote stage's retries are its job's BullMQ attempts). The five
 * bugs it proved are fixed; each spec says which ("Was a bug"). The others are cases checked that
 * held.
 * The worker processes load spec/fixtures/remote/review-stages.mjs (which imports stages.mjs too).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue, QueueEvents } from 'bullmq';
import { Pipeline, RemoteJobRejectedError, stage, TimeoutError, type RunOptions, type Stage } from 'tsdags';
import { BullMQExecutor } from '../../lib/executors/bullmq.js';
import { AttemptWithdrawn, type Attempt } from '../../lib/executors/executor.js';
import { stageJobId } from '../../lib/remote/protocol.js';
import { defaultRetryPolicy, type RetryPolicy } from '../../lib/run/retry.js';
import {
  count,
  failHangPass,
  failThenHold,
  failWhen,
  flaky,
  flop,
  flopOnceMore,
  hangThenFail,
  hold,
  holdThenFail,
  noop,
  onMain,
  slowRetry,
} from '../fixtures/remote/review-stages.mjs';
import { attemptTrail } from '../support/trail.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { deferred } from '../support/schedule.js';
import { spawnWorker, type WorkerProcess } from '../support/worker-process.js';

const module = fileURLToPath(new URL('../fixtures/remote/review-stages.mjs', import.meta.url));
// Defined here only: no worker of this spec runs it.
const undefinedThere = stage(function undefinedThere() {
  return 1;
});

let redis: RedisServer;
let worker: WorkerProcess;
let queue: Queue;
let dir: string;
const queueName = `retries-review-${process.pid}`;
const spawned: WorkerProcess[] = [];

beforeAll(async () => {
  redis = await startRedis();
  dir = mkdtempSync(join(tmpdir(), 'tsdags-retries-review-'));
  worker = spawnWorker({ redis: redis.url, queue: queueName, concurrency: 2, module });
  spawned.push(worker);
  queue = new Queue(queueName, { connection: { url: redis.url } });
  await worker.waitFor(/ready on queue/);
});

afterAll(async () => {
  await queue?.close();
  await Promise.all(spawned.map((w) => w.stop()));
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const remote = (options: RunOptions): RunOptions => ({
  executor: 'bullmq',
  redis: redis.url,
  queue: queueName,
  storeDir: false,
  cores: 2,
  ...options,
});

const runs = (log: string) => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []);

/** Attempt 1 of `s`, as the engine hands it to an executor, with the retries left to it. */
function attemptOf(
  s: Stage,
  args: unknown[],
  retry: RetryPolicy = defaultRetryPolicy,
  on: { begin?: () => void; retried?: () => void } = {},
): Attempt {
  return {
    stage: s,
    name: s.name,
    args,
    attempt: 1,
    signal: new AbortController().signal,
    context: () => {
      throw new Error('function stages have no context');
    },
    begin: () => on.begin?.(),
    retry,
    retried: () => {
      on.retried?.();
      return true;
    },
  };
}

// Was a bug: a run stopped by a failure while a retrying stage's try runs. The try then fails, BullMQ
// delays the job for its next try, and the orchestrator announces a stage:retry (engine.retried()
// does not look at #stopped) before withdrawing the job: the stage ends 'skipped', its failure is
// missing from result.errors, and the run shows a retry that never comes. A local stage in flight
// when the run stops, or a remote one with retries: 0, ends with stage:error (Engine#failed does
// not retry once stopped).
test('a try that fails after the run stopped is the stage:error of its stage, not a stage:retry and a skip', async () => {
  const [releaseF, logF, releaseW] = [
    join(dir, 't1-release-f'),
    join(dir, 't1-log-f'),
    join(dir, 't1-release-w'),
  ];
  const f = holdThenFail(releaseF, logF);
  const w = failWhen(releaseW);
  const holding = worker.next(/^hold-then-fail /);
  const run = new Pipeline()
    .addStages([f, w])
    .run(remote({ retries: 3, retryDelay: 60_000, maxRetryDelay: 60_000, onError: 'stop' }));
  run.events.subscribe((e) => {
    if (e.type === 'stage:error' && e.stage === w.name) writeFileSync(releaseF, '');
  });
  await holding;
  writeFileSync(releaseW, '');
  const result = await run.done;
  expect(result.status).toBe('failed');
  expect(attemptTrail(result.events, f.name)).toEqual(['stage:start 1', 'stage:error 1']);
  expect(result.stages[f.name]?.status).toBe('failed');
  expect(result.errors.map((e) => e.stage).sort()).toEqual([f.name, w.name].sort());
});

// Checked, holds: withdraw() while a resumed run looks up the earlier job of an attempt (#adoptOrAdd
// awaits Redis before it adds). The remove() it sends finds no job and BullMQ answers 1 for that,
// so the attempt is taken back, and #adoptOrAdd adds nothing for an attempt no longer pending.
test('withdraw() while a resumed run looks for the earlier job of an attempt: the job is not added', async () => {
  const log = join(dir, 't2-log');
  const executor = new BullMQExecutor({
    runId: 'review-2b',
    redis: redis.url,
    queue: queueName,
    resumes: 'review-2a',
  });
  try {
    // Connected, as a run that has been going for a while.
    await executor.run(attemptOf(noop(), []));
    const result = executor.run(attemptOf(count(log), [log])) as Promise<unknown>;
    result.catch(() => {});
    // A few microtasks on, as a stage failing in the same turn would: the add has left #toAdd and
    // waits for Redis to say whether the earlier run left a job.
    for (let k = 0; k < 20; k++) await null;
    executor.withdraw();
    await expect(result).rejects.toBeInstanceOf(AttemptWithdrawn);
    expect(runs(log)).toEqual([]);
  } finally {
    await executor.close();
  }
});

// Was a bug: a resumed run that takes over a job waiting out its back-off ('delayed') announces the
// attempt's start at once: #existing applies the job's progress, which still holds the failed
// try's report (worker, threadId, failure), so PendingAttempts.progress() calls begin(). The
// stage shows running while nothing runs, its timeout (if any) counts the back-off, withdraw()
// skips it (begun), and the stale `failure` makes a later stall ('waiting' from 'active') a
// retry. Ignore a report's threadId and failure unless the job's state is active/failed.
test('a resumed run that takes over a job waiting out its back-off tells its start only once a worker takes it', async () => {
  const [release, log] = [join(dir, 't3-release'), join(dir, 't3-log')];
  const s = failThenHold(release, log);
  const retry: RetryPolicy = { retries: 2, retryDelay: 3000, maxRetryDelay: 3000 };
  const jobId = stageJobId('review-3a', s.name, 1);
  const earlier = new BullMQExecutor({ runId: 'review-3a', redis: redis.url, queue: queueName });
  const failed = deferred();
  (
    earlier.run(attemptOf(s, [release, log], retry, { retried: () => failed.resolve() })) as Promise<unknown>
  ).catch(() => {});
  await failed.promise;
  // Its orchestrator is killed: the job stays in Redis, waiting out its back-off.
  await earlier.close();
  expect(await queue.getJobState(jobId)).toBe('delayed');

  const resumed = new BullMQExecutor({
    runId: 'review-3b',
    redis: redis.url,
    queue: queueName,
    resumes: 'review-3a',
  });
  const stateAtStart = deferred<string>();
  const begin = () => void queue.getJobState(jobId).then(stateAtStart.resolve);
  (resumed.run(attemptOf(s, [release, log], retry, { begin })) as Promise<unknown>).catch(() => {});
  try {
    expect(await stateAtStart.promise).toBe('active');
  } finally {
    writeFileSync(release, '');
    await resumed.cancel();
  }
});

// Was a bug (a pre-existing hole the move to BullMQ's attempts widened): a try times out while its worker is gone
// (SIGKILLed). The orchestrator's remove() fails (the dead worker's lock holds until it expires)
// and its cancel message reaches no one; the engine retries with job -2. Once the lock expires,
// another worker re-runs job -1 (a stall), and since the job now carries the stage's retries, BullMQ
// retries it after it fails too: the stage runs 4 times with retries: 1 (3 before this commit, when
// job -1 had one attempt). A timed-out job needs a mark that outlives pub/sub (a key the worker
// checks before running a job, or job data updated to attempts 1 / removed once its lock is gone).
test('a try that times out on a lost worker is not tried again by BullMQ beside the engine retry', async () => {
  const q = `${queueName}-lost`;
  const log = join(dir, 't4-log');
  // Every worker of the queue checks for stalled jobs often: the check's key, set by one worker,
  // holds off the others for its stalledInterval.
  const runId = 'review-4';
  const h = hangThenFail(log);
  const first = stageJobId(runId, h.name, 1);
  const events = new QueueEvents(q, { connection: { url: redis.url }, lastEventId: '0-0' });
  const settled = new Promise<void>((resolve) => {
    const over = ({ jobId }: { jobId: string }) => {
      if (jobId === first) resolve();
    };
    events.on('failed', over);
    events.on('removed', over);
  });
  await events.waitUntilReady();
  const a = spawnWorker({
    redis: redis.url,
    queue: q,
    module,
    lockDuration: 5000,
    stalledInterval: 500,
    env: { TSDAGS_THREAD: 'main' },
  });
  spawned.push(a);
  await a.waitFor(/ready on queue/);
  const hanging = a.next(/^hanging /);
  const run = new Pipeline()
    .addStages([h])
    .run(remote({ queue: q, runId, retries: 1, retryDelay: 10, timeout: 1500 }));
  await hanging;
  await a.stop();
  const b = spawnWorker({ redis: redis.url, queue: q, module, stalledInterval: 500 });
  spawned.push(b);
  try {
    const result = await run.done;
    expect(attemptTrail(result.events, h.name)).toEqual([
      'stage:start 1',
      'stage:retry 1',
      'stage:start 2',
      'stage:error 2',
    ]);
    await settled;
    expect(runs(log)).toHaveLength(2);
  } finally {
    await b.stop();
    await events.close();
  }
});

// Was a bug (docs vs code): the commit said a job the worker refused (a stage its module does not
// define, a bad job) is not retried. The worker fails it as UnrecoverableError, so BullMQ does not
// retry it, but the error is a RemoteJobRejectedError, which isRetryable() (lib/run/retry.ts)
// accepts: the engine retries it with new jobs, each refused again.
test('a job the worker refuses (its stage is not defined there) is not retried', async () => {
  const s = undefinedThere();
  const result = await new Pipeline().addStages([s]).run(remote({ retries: 2, retryDelay: 10 })).done;
  expect(result.status).toBe('failed');
  expect(result.errors[0]?.cause).toBeInstanceOf(RemoteJobRejectedError);
  // Whether its start is told depends on whether the read of who took it ends before the refusal.
  const ends = attemptTrail(result.events, s.name).filter((t) => !t.startsWith('stage:start'));
  expect(ends).toEqual(['stage:error 1']);
});

// Was a bug (scheduling regression): a remote stage waiting out its back-off stays in flight for the
// engine (its job is delayed, the attempt unsettled), so it holds one of the run's cores for the
// whole back-off (up to maxRetryDelay, 30 s by default). A local stage's back-off frees its core
// (Engine#failed returns, the retry timer re-queues it). Here, with cores: 1, the main-thread stage
// waits until the remote stage's second try is over, instead of running during its back-off.
test('a remote stage waiting out its back-off holds no core: a main-thread stage runs meanwhile', async () => {
  const s = slowRetry(join(dir, 't6-log'));
  const m = onMain();
  const result = await new Pipeline().addStages([s, m]).run(remote({ cores: 1 })).done;
  expect(result.status).toBe('succeeded');
  const starts = result.events.flatMap((e) => (e.type === 'stage:start' ? [`${e.stage} ${e.attempt}`] : []));
  expect(starts).toEqual([`${s.name} 1`, `${m.name} 1`, `${s.name} 2`]);
});

test('run.cancel() while a stage waits out its back-off removes its job: the stage is cancelled and never runs again', async () => {
  const log = join(dir, 't7-log');
  const runId = 'review-7';
  const f = flop(log);
  const run = new Pipeline()
    .addStages([f])
    .run(remote({ runId, retries: 2, retryDelay: 60_000, maxRetryDelay: 60_000 }));
  run.events.subscribe((e) => {
    if (e.type === 'stage:retry') run.cancel();
  });
  const result = await run.done;
  expect(result.status).toBe('cancelled');
  expect(attemptTrail(result.events, f.name)).toEqual(['stage:start 1', 'stage:retry 1', 'stage:cancel 0']);
  expect(await queue.getJob(stageJobId(runId, f.name, 1))).toBeUndefined();
  expect(runs(log)).toHaveLength(1);
});

test('a try that times out is stopped on its worker and not retried by BullMQ; the engine retries it as a new job', async () => {
  const runId = 'review-8';
  const [release, log] = [join(dir, 't8-release'), join(dir, 't8-log')];
  const h = hold(release, log);
  const result = await new Pipeline()
    .addStages([h])
    .run(remote({ runId, retries: 1, retryDelay: 10, timeout: 500 })).done;
  writeFileSync(release, '');
  expect(attemptTrail(result.events, h.name)).toEqual([
    'stage:start 1',
    'stage:retry 1',
    'stage:start 2',
    'stage:error 2',
  ]);
  expect(result.errors[0]?.cause).toBeInstanceOf(TimeoutError);
  const first = await queue.getJob(stageJobId(runId, h.name, 1));
  expect([await first?.getState(), first?.attemptsMade]).toEqual(['failed', 1]);
  expect((await queue.getJob(stageJobId(runId, h.name, 2)))?.opts.attempts).toBe(1);
  expect(runs(log)).toHaveLength(2);
});

test("a stage's own retries win over the run's: its job gets that many attempts, its events count them", async () => {
  const runId = 'review-9';
  const log = join(dir, 't9-log');
  const f = flopOnceMore(log);
  const result = await new Pipeline().addStages([f]).run(remote({ runId, retries: 5, retryDelay: 10 })).done;
  expect(attemptTrail(result.events, f.name)).toEqual([
    'stage:start 1',
    'stage:retry 1',
    'stage:start 2',
    'stage:error 2',
  ]);
  expect((await queue.getJob(stageJobId(runId, f.name, 1)))?.opts.attempts).toBe(2);
  expect(runs(log)).toHaveLength(2);
});

test('a back-off of 0 puts the job straight back to wait: each failed try is still a stage:retry', async () => {
  const log = join(dir, 't10-log');
  const f = flaky(log, 2);
  const result = await new Pipeline().addStages([f]).run(remote({ retries: 2, retryDelay: 0 })).done;
  expect(result.output(f)).toBe(3);
  expect(attemptTrail(result.events, f.name)).toEqual([
    'stage:start 1',
    'stage:retry 1',
    'stage:start 2',
    'stage:retry 2',
    'stage:start 3',
    'stage:done 3',
  ]);
  const retries = result.events.flatMap((e) => (e.type === 'stage:retry' ? [e.delayMs] : []));
  expect(retries).toEqual([0, 0]);
});

test('a worker killed mid-try of a retried job: another worker runs that try again, which is no new attempt', async () => {
  const q = `${queueName}-stalled`;
  const log = join(dir, 't11-log');
  const s = failHangPass(log);
  const a = spawnWorker({
    redis: redis.url,
    queue: q,
    module,
    lockDuration: 2000,
    stalledInterval: 500,
    env: { TSDAGS_THREAD: 'main' },
  });
  spawned.push(a);
  await a.waitFor(/ready on queue/);
  const hanging = a.next(/^hanging /);
  const run = new Pipeline().addStages([s]).run(remote({ queue: q, retries: 1, retryDelay: 10 }));
  await hanging;
  await a.stop();
  const b = spawnWorker({ redis: redis.url, queue: q, module, stalledInterval: 500 });
  spawned.push(b);
  try {
    const result = await run.done;
    expect(result.output(s)).toBe(3);
    expect(attemptTrail(result.events, s.name)).toEqual([
      'stage:start 1',
      'stage:retry 1',
      'stage:start 2',
      'stage:done 2',
    ]);
  } finally {
    await b.stop();
  }
});
