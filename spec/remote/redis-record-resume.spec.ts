/**
 * orchestrator-resume.spec.ts with the run record in Redis: `tsdags run --redis` without
 * --store-dir, SIGKILLed mid-run, its record read back with `tsdags show --redis`, then resumed
 * with `tsdags run --redis --resume`: finished stages (marker files) do not run again. No sleeps:
 * the spec kills the orchestrator on the stage:done lines it prints.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunEvent, RunStartEvent, StageStartEvent } from 'tsdags';
import { events, tsdags } from '../cli/run-cli.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { spawnCliWorker, type WorkerProcess } from '../support/worker-process.js';

// spec/fixtures/remote/resumable.mjs:
//
//   a (remote)         b (remote)       c (main)
//      |                  |                |
//   square_a (remote)  square_b (remote) tenfold (main, gated)
//      |                  |                |
//   plus_one (gated: main, or remote)      |
//         \               |               /
//                   total (remote)
const fixture = 'spec/fixtures/remote/resumable.mjs';
const ungated = ['a', 'b', 'c', 'square_a', 'square_b'];
const rest = ['plus_one', 'tenfold', 'total'];
const sorted = (names: Iterable<string>) => [...names].sort();

let redis: RedisServer;
let dir: string;
let n = 0;
const spawned: WorkerProcess[] = [];

beforeAll(async () => {
  redis = await startRedis();
  dir = mkdtempSync(join(tmpdir(), 'tsdags-redis-record-resume-'));
});

afterAll(async () => {
  await Promise.all(spawned.map((worker) => worker.stop()));
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A fresh queue with one `tsdags worker` on it, and a directory for the markers and the store. */
async function setUp(): Promise<{ queue: string; markers: string; store: string; worker: WorkerProcess }> {
  const queue = `redis-record-${++n}`;
  const markers = join(dir, queue);
  mkdirSync(markers);
  const worker = spawnCliWorker({ redis: redis.url, queue, module: fixture, concurrency: 2 });
  spawned.push(worker);
  await worker.waitFor(/ready on queue/);
  return { queue, markers, store: join(markers, 'store'), worker };
}

/** Runs the fixture, and SIGKILLs the orchestrator once `until` says so (after each event). */
async function killedRun(
  setup: { queue: string; markers: string; store: string },
  until: (seen: RunEvent[]) => boolean,
  env: NodeJS.ProcessEnv = {},
) {
  const seen: RunEvent[] = [];
  let killed = false;
  const exited = await tsdags(
    ['run', fixture, '--redis', redis.url, '--queue', setup.queue, '--json'],
    (line, child) => {
      seen.push(JSON.parse(line) as RunEvent);
      if (!killed && until(seen)) {
        killed = true;
        child.kill('SIGKILL');
      }
    },
    { TSDAGS_MARKERS: setup.markers, ...env },
  );
  expect(killed).toBe(true);
  expect(exited.signal).toBe('SIGKILL');
  return { seen, runId: (seen[0] as RunStartEvent).runId };
}

function resume(setup: { queue: string; markers: string; store: string }, env: NodeJS.ProcessEnv = {}) {
  writeFileSync(join(setup.markers, 'gate-open'), '');
  return tsdags(
    ['run', fixture, '--redis', redis.url, '--queue', setup.queue, '--json', '--resume'],
    undefined,
    { TSDAGS_MARKERS: setup.markers, ...env },
  );
}

const done = (seen: readonly RunEvent[]) => seen.flatMap((e) => (e.type === 'stage:done' ? [e.stage] : []));
const starts = (seen: readonly RunEvent[]) =>
  seen.filter((e): e is StageStartEvent => e.type === 'stage:start');
const markersOf = (markers: string) =>
  readFileSync(join(markers, 'markers.txt'), 'utf8').split('\n').filter(Boolean);
const resultOf = (markers: string): unknown => JSON.parse(readFileSync(join(markers, 'result.json'), 'utf8'));

// A bullmq run without a storeDir keeps its record in Redis (lib/pipeline.ts, runStore).
test('tsdags run --redis --resume resumes from the record in Redis, running only what had not finished', async () => {
  const setup = await setUp();
  const first = await killedRun(setup, (seen) => done(seen).length === ungated.length);
  expect(sorted(markersOf(setup.markers))).toEqual(sorted(ungated));

  // The killed run's record is in Redis: no end recorded, its five stages done.
  const shown = await tsdags(['show', first.runId, '--redis', redis.url, '--json']);
  expect({ code: shown.code, stderr: shown.stderr }).toMatchObject({ code: 0 });
  const record = JSON.parse(shown.stdout) as { status: string; stages: { name: string; status: string }[] };
  expect(record.status).toBe('running');
  expect(sorted(record.stages.filter((s) => s.status === 'succeeded').map((s) => s.name))).toEqual(
    sorted(ungated),
  );

  const second = await resume(setup);
  expect({ code: second.code, stderr: second.stderr }).toMatchObject({ code: 0 });
  const all = events(second.stdout);
  expect(all[0]).toMatchObject({
    type: 'run:start',
    resume: { from: first.runId, restored: ungated.length, changed: [] },
  });
  expect(sorted(starts(all).map((e) => e.stage))).toEqual(sorted(rest));
  expect(sorted(markersOf(setup.markers))).toEqual(sorted([...ungated, ...rest]));
  expect(resultOf(setup.markers)).toEqual({ parts: [5, 9, 50], sum: 64 });
});
