/**
 * The bullmq executor of a resumed run (`resumes`: the id of the run it resumes) takes over the
 * jobs the earlier run's orchestrator left behind when they do the same work: one still running on
 * a worker is waited for, one finished is read back; neither runs a second time. A job for other
 * arguments is stopped, and one that failed runs again. The earlier orchestrator is "killed" here
 * by closing its executor, which leaves its jobs in Redis as a SIGKILL would.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Stage } from 'tsdags';
import type { Attempt } from '../../lib/executors/executor.js';
import { BullMQExecutor } from '../../lib/executors/bullmq.js';
import { defaultRetryPolicy } from '../../lib/run/retry.js';
import { count, flop, hold } from '../fixtures/remote/stages.mjs';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { deferred } from '../support/schedule.js';
import { spawnCliWorker, type WorkerProcess } from '../support/worker-process.js';

const queue = `resumed-${process.pid}`;
let redis: RedisServer;
let worker: WorkerProcess;
let dir: string;
const executors: BullMQExecutor[] = [];

beforeAll(async () => {
  redis = await startRedis();
  dir = mkdtempSync(join(tmpdir(), 'tsdags-resumed-'));
  worker = spawnCliWorker({ redis: redis.url, queue, concurrency: 2 });
  await worker.waitFor(/ready on queue/);
});

afterAll(async () => {
  await Promise.all(executors.map((executor) => executor.close()));
  await worker?.stop();
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function executor(runId: string, resumes?: string): BullMQExecutor {
  const made = new BullMQExecutor({ runId, redis: redis.url, queue, ...(resumes ? { resumes } : {}) });
  executors.push(made);
  return made;
}

/** Attempt 1 of `stage` named `name`, as the engine hands it over; `started` resolves with its worker. */
function attempt(stage: Stage, name: string, args: unknown[]) {
  const started = deferred<string | undefined>();
  const value: Attempt = {
    stage,
    name,
    args,
    attempt: 1,
    signal: new AbortController().signal,
    context: () => {
      throw new Error('function stages have no context');
    },
    begin: (_threadId, worker) => started.resolve(worker),
    retry: defaultRetryPolicy,
    retried: () => {
      throw new Error('attempt 1 has no retries');
    },
  };
  return { attempt: value, started: started.promise };
}

const runs = (log: string) => readFileSync(log, 'utf8').trim().split('\n');
const here = () => `${hostname()}:${worker.pid}`;

test('a resumed run waits for the job its killed orchestrator left running, and does not run it again', async () => {
  const [release, log] = [join(dir, 'release-1'), join(dir, 'log-1')];
  const s = hold(release, log);
  const earlier = executor('run-1');
  const holding = worker.next(/^holding /);
  (earlier.run(attempt(s, 'hold', [release, log]).attempt) as Promise<unknown>).catch(() => {});
  await holding;
  await earlier.close();

  const resumed = attempt(s, 'hold', [release, log]);
  const result = executor('run-2', 'run-1').run(resumed.attempt) as Promise<unknown>;
  // Taken over while it runs: its start is reported from the job, with the worker running it.
  expect(await resumed.started).toBe(here());
  writeFileSync(release, '');
  expect(await result).toBe(1);
  expect(runs(log)).toEqual([String(worker.pid)]);
});

test('a run resuming a resumed run finds the job that one took over', async () => {
  const [release, log] = [join(dir, 'release-2'), join(dir, 'log-2')];
  const s = hold(release, log);
  const holding = worker.next(/^holding /);
  (executor('run-3').run(attempt(s, 'hold', [release, log]).attempt) as Promise<unknown>).catch(() => {});
  await holding;
  await executors.at(-1)!.close();
  const second = attempt(s, 'hold', [release, log]);
  void (executor('run-4', 'run-3').run(second.attempt) as Promise<unknown>).catch(() => {});
  await second.started;
  await executors.at(-1)!.close();

  const third = attempt(s, 'hold', [release, log]);
  const result = executor('run-5', 'run-4').run(third.attempt) as Promise<unknown>;
  expect(await third.started).toBe(here());
  writeFileSync(release, '');
  expect(await result).toBe(1);
  expect(runs(log)).toEqual([String(worker.pid)]);
});

test('a resumed run reads back the result of a job that finished, without running it again', async () => {
  const log = join(dir, 'log-3');
  const s = count(log);
  const earlier = executor('run-6');
  expect(await earlier.run(attempt(s, 'count', [log]).attempt)).toBe(1);
  await earlier.close();
  // As pipeline.run() tells it, once the run record says which run this one resumes.
  const resumed = executor('run-7');
  resumed.resumeFrom('run-6');
  expect(await resumed.run(attempt(s, 'count', [log]).attempt)).toBe(1);
  expect(runs(log)).toEqual([String(worker.pid)]);
});

test('a resumed run stops a job left running for other arguments, and runs the stage anew', async () => {
  const [before, after, log] = [join(dir, 'release-4a'), join(dir, 'release-4b'), join(dir, 'log-4')];
  const s = hold(before, log);
  const earlier = executor('run-8');
  let holding = worker.next(/^holding /);
  (earlier.run(attempt(s, 'hold', [before, log]).attempt) as Promise<unknown>).catch(() => {});
  await holding;
  await earlier.close();

  holding = worker.next(/^holding /);
  const stopped = worker.next(/stopped 1 stage\(s\) \(job run-8-hold-1\)/);
  const result = executor('run-9', 'run-8').run(attempt(s, 'hold', [after, log]).attempt) as Promise<unknown>;
  await Promise.all([holding, stopped]);
  writeFileSync(after, '');
  expect(await result).toBe(2);
  expect(runs(log)).toEqual([String(worker.pid), String(worker.pid)]);
});

test('a resumed run runs again a job that failed in the earlier run', async () => {
  const log = join(dir, 'log-5');
  const s = flop(log);
  const earlier = executor('run-10');
  await expect(earlier.run(attempt(s, 'flop', [log]).attempt)).rejects.toThrow('flop');
  await earlier.close();
  await expect(executor('run-11', 'run-10').run(attempt(s, 'flop', [log]).attempt)).rejects.toThrow('flop');
  expect(runs(log)).toHaveLength(2);
});
