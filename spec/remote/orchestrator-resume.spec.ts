/**
 * An orchestrator (`tsdags run --redis`) killed with SIGKILL mid-run, then resumed with
 * `tsdags run --resume`, while one `tsdags worker` process runs the remote stages throughout. The
 * resumed run reads its earlier run's record, from the orchestrator's files (`--store-dir`) or
 * from Redis (no `--store-dir`), so finished stages do not run again, and the result is that of an
 * uninterrupted run. No sleeps: the spec kills the orchestrator on the stage:done lines it prints.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
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
  dir = mkdtempSync(join(tmpdir(), 'tsdags-orchestrator-resume-'));
});

afterAll(async () => {
  await Promise.all(spawned.map((worker) => worker.stop()));
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface Setup {
  queue: string;
  markers: string;
  /** Where the run record is kept: `--store-dir` and its directory, or none (Redis). */
  recordArgs: string[];
  worker: WorkerProcess;
}

/**
 * A fresh queue with one `tsdags worker` on it, a directory for the markers, and where the run
 * record goes: a store directory there, or Redis (a bullmq run without --store-dir).
 */
async function setUp(record: 'files' | 'redis' = 'files'): Promise<Setup> {
  const queue = `resume-${++n}`;
  const markers = join(dir, queue);
  mkdirSync(markers);
  const worker = spawnCliWorker({ redis: redis.url, queue, module: fixture, concurrency: 2 });
  spawned.push(worker);
  await worker.waitFor(/ready on queue/);
  const recordArgs = record === 'files' ? ['--store-dir', join(markers, 'store')] : [];
  return { queue, markers, recordArgs, worker };
}

/** Runs the fixture, and SIGKILLs the orchestrator once `until` says so (after each event). */
async function killedRun(setup: Setup, until: (seen: RunEvent[]) => boolean, env: NodeJS.ProcessEnv = {}) {
  const seen: RunEvent[] = [];
  let killed = false;
  const exited = await tsdags(
    ['run', fixture, '--redis', redis.url, '--queue', setup.queue, '--json', ...setup.recordArgs],
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

function resume(setup: Setup, env: NodeJS.ProcessEnv = {}) {
  writeFileSync(join(setup.markers, 'gate-open'), '');
  return tsdags(
    ['run', fixture, '--redis', redis.url, '--queue', setup.queue, '--json', ...setup.recordArgs, '--resume'],
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

test('tsdags run --redis --resume after the orchestrator is SIGKILLed runs only the stages that had not finished', async () => {
  const setup = await setUp();
  const remote = `${hostname()}:${setup.worker.pid}`;

  // Killed once the five ungated stages are done (and recorded: stage:done is printed after its
  // line is written). The gated ones wait in the orchestrator; no remote stage is running.
  const first = await killedRun(setup, (seen) => done(seen).length === ungated.length);
  expect(sorted(done(first.seen))).toEqual(sorted(ungated));
  expect(sorted(markersOf(setup.markers))).toEqual(sorted(ungated));
  const onMain = new Set(['c', 'plus_one', 'tenfold']);
  for (const start of starts(first.seen)) {
    expect([start.stage, start.worker]).toEqual([start.stage, onMain.has(start.stage) ? undefined : remote]);
  }

  // Resumed with the gate open: the five results come from the orchestrator's record, the other
  // three run, total on the worker.
  const second = await resume(setup);
  expect({ code: second.code, stderr: second.stderr }).toMatchObject({ code: 0 });
  const all = events(second.stdout);
  expect(all[0]).toMatchObject({
    type: 'run:start',
    resume: { from: first.runId, restored: ungated.length, changed: [] },
  });
  expect(sorted(starts(all).map((e) => e.stage))).toEqual(sorted(rest));
  expect(starts(all).find((e) => e.stage === 'total')?.worker).toBe(remote);
  const reused = all.flatMap((e) => (e.type === 'stage:done' && e.cached ? [e.stage] : []));
  expect(sorted(reused)).toEqual(sorted(ungated));
  expect(all.at(-1)).toMatchObject({ type: 'run:done', status: 'succeeded' });

  // Each stage ran to completion exactly once over both runs; the result is an uninterrupted run's.
  expect(sorted(markersOf(setup.markers))).toEqual(sorted([...ungated, ...rest]));
  expect(resultOf(setup.markers)).toEqual({ parts: [5, 9, 50], sum: 64 });
});

// pipeline.run() tells the bullmq executor which run it resumes (worker.resumeFrom), so the job
// the killed orchestrator left running is taken over, not run twice.
test('tsdags run --redis --resume takes over a remote stage that was running when the orchestrator was killed', async () => {
  const setup = await setUp();
  const remote = `${hostname()}:${setup.worker.pid}`;
  const env = { TSDAGS_REMOTE_GATE: '1' };

  // Killed while plus_one runs on the worker, waiting for the gate.
  const first = await killedRun(
    setup,
    (seen) => done(seen).length === ungated.length && starts(seen).some((e) => e.stage === 'plus_one'),
    env,
  );
  expect(starts(first.seen).find((e) => e.stage === 'plus_one')?.worker).toBe(remote);

  const second = await resume(setup, env);
  expect({ code: second.code, stderr: second.stderr }).toMatchObject({ code: 0 });
  const all = events(second.stdout);
  expect(all.at(-1)).toMatchObject({ type: 'run:done', status: 'succeeded' });
  // The job left running finished for the resumed run: plus_one ran once, on the same worker.
  expect(starts(all).find((e) => e.stage === 'plus_one')?.worker).toBe(remote);
  expect(sorted(markersOf(setup.markers))).toEqual(sorted([...ungated, ...rest]));
  expect(resultOf(setup.markers)).toEqual({ parts: [5, 9, 50], sum: 64 });
});

// A bullmq run without a storeDir keeps its record in Redis (lib/pipeline.ts, runStore).
test('tsdags run --redis --resume resumes from the record in Redis, running only what had not finished', async () => {
  const setup = await setUp('redis');
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
