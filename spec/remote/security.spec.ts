/**
 * A remote worker runs only the stages its pipeline module defines, found by name. A job naming
 * another stage, carrying a module path, or with data it cannot read fails with a clear error and
 * runs nothing: no stage, no import. Jobs here are added with BullMQ directly, as anyone with
 * access to Redis could.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { Pipeline, RemoteJobRejectedError, StageFailedError } from 'tsdags';
import { protocolVersion } from '../../lib/remote/protocol.js';
import { encodeValue } from '../../lib/remote/value-codec.js';
import { stage_1 } from '../fixtures/seed-stages.mjs';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { spawnWorker, type WorkerProcess } from '../support/worker-process.js';

const queueName = `security-${process.pid}`;
let redis: RedisServer;
let worker: WorkerProcess;
let connection: Redis;
let queue: Queue;
let events: QueueEvents;
let dir: string;
let evilModule: string;
let evilMarker: string;
let inertMarker: string;

beforeAll(async () => {
  redis = await startRedis();
  dir = mkdtempSync(join(tmpdir(), 'tsdags-security-'));
  // A module that leaves a mark if anything ever imports it.
  evilMarker = join(dir, 'evil-imported');
  evilModule = join(dir, 'evil.mjs');
  writeFileSync(
    evilModule,
    `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(evilMarker)}, 'x');\n`,
  );
  // The pipeline file calls start() at its top level; in a worker that must run nothing.
  inertMarker = join(dir, 'pipeline-started');
  worker = spawnWorker({ redis: redis.url, queue: queueName, env: { TSDAGS_INERT_MARKER: inertMarker } });
  await worker.waitFor(/ready on queue/);
  connection = new Redis(redis.url, { maxRetriesPerRequest: null });
  queue = new Queue(queueName, { connection });
  events = new QueueEvents(queueName, { connection });
  await events.waitUntilReady();
});

afterAll(async () => {
  await events?.close();
  await queue?.close();
  connection?.disconnect();
  await worker?.stop();
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

let jobs = 0;
// Adds a job as it is, and resolves with its failure reason (or throws if it succeeded).
async function failureOf(data: Record<string, unknown>): Promise<string> {
  const job = await queue.add('attack', data, { jobId: `attack-${++jobs}` });
  try {
    await job.waitUntilFinished(events);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`job ${job.id} succeeded`);
}

function job(fields: Record<string, unknown>): Record<string, unknown> {
  return {
    v: protocolVersion,
    runId: 'r1',
    stage: 'touch',
    instance: 'touch',
    attempt: 1,
    args: '',
    ...fields,
  };
}

test('a job naming a stage the module does not define fails, listing the stages it does define', async () => {
  const reason = await failureOf(job({ stage: 'rm_rf', instance: 'rm_rf', args: encodeValue([]) }));
  expect(reason).toMatch(/refused job attack-\d+: its stage "rm_rf" is not defined by file:.*pipeline\.mjs/);
  expect(reason).toContain('"touch"');
});

test('a job carrying a module path fails before its stage runs, and the module is never imported', async () => {
  const touched = join(dir, 'touched-with-module');
  const reason = await failureOf(
    job({ module: pathToFileURL(evilModule).href, args: encodeValue([touched]) }),
  );
  expect(reason).toMatch(/carries a "module" field: jobs name a stage, they never carry a module path/);
  expect(existsSync(touched)).toBe(false);
});

test('a job whose stage name is a module path fails and imports nothing', async () => {
  const reason = await failureOf(job({ stage: evilModule, args: encodeValue([]) }));
  expect(reason).toMatch(/looks like a module path: jobs name stages, never modules/);
});

test('a job with unknown fields, or arguments it cannot decode, fails and runs nothing', async () => {
  const touched = join(dir, 'touched-with-extra');
  expect(await failureOf(job({ args: encodeValue([touched]), extra: 1 }))).toMatch(/unknown field "extra"/);
  expect(await failureOf(job({ args: 'not v8 data' }))).toMatch(/arguments could not be decoded/);
  expect(await failureOf(job({ args: encodeValue(touched) }))).toMatch(/arguments are not an array/);
  expect(await failureOf({ stage: 'touch' })).toMatch(/protocol version is undefined/);
  expect(existsSync(touched)).toBe(false);
});

test('a run whose stage the worker does not define fails with RemoteJobRejectedError', async () => {
  const s = stage_1();
  const run = new Pipeline()
    .addStages([s])
    .run({ executor: 'bullmq', redis: redis.url, queue: queueName, storeDir: false });
  const result = await run.done;
  expect(result.status).toBe('failed');
  const [error] = result.errors;
  expect(error).toBeInstanceOf(StageFailedError);
  expect(error!.cause).toBeInstanceOf(RemoteJobRejectedError);
  expect((error!.cause as Error).message).toMatch(/its stage "stage_1" is not defined by .*pipeline\.mjs/);
});

test('nothing ever imported the module named in a job, and the pipeline file started nothing', async () => {
  // Last: every job above has finished by now.
  const touched = join(dir, 'touched-legit');
  const job = await queue.add('legit', {
    ...{ v: protocolVersion, runId: 'r2', stage: 'touch', instance: 'touch', attempt: 1 },
    args: encodeValue([touched]),
  });
  await job.waitUntilFinished(events);
  expect(existsSync(touched)).toBe(true);
  expect(existsSync(evilMarker)).toBe(false);
  expect(existsSync(inertMarker)).toBe(false);
});
