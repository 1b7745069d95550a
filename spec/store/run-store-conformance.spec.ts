/**
 * One suite run against every run store (files and Redis): what RunRecorder and the CLI rely on.
 * Stages leave marker files, so "not run again" is seen on disk, not only in events.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileRunStore, Pipeline, RunNotFoundError, stage } from 'tsdags';
import { RedisRunStore } from '../../lib/store/redis-run-store.js';
import type { RunStore } from '../../lib/store/run-store.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { runWithStore, startWithStore } from '../support/run-with-store.js';
import { tempDir } from '../support/temp-dir.js';

let redis: RedisServer;
let dir: ReturnType<typeof tempDir>;
let markers: string;
let n = 0;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
});
beforeEach(() => {
  dir = tempDir();
  markers = join(dir.path, 'markers');
  mkdirSync(markers);
});
afterEach(() => dir.remove());

// Each test gets an empty store (a fresh directory, or a fresh key prefix on the spec's Redis), and
// opens it as often as it likes: each open is what a new process would open.
const kinds: [string, () => () => RunStore][] = [
  [
    'FileRunStore',
    () => {
      const path = join(dir.path, `store-${++n}`);
      return () => new FileRunStore(path);
    },
  ],
  [
    'RedisRunStore',
    () => {
      const prefix = `conformance:${++n}`;
      return () => new RedisRunStore(redis.url, { prefix });
    },
  ],
];

/** Opens the store, reads from it, closes it. */
async function reading<T>(open: () => RunStore, read: (store: RunStore) => T): Promise<T> {
  const store = open();
  try {
    return read(store);
  } finally {
    await store.close();
  }
}

/** The stages that ran, from their marker files (one file per run of a stage). */
function ran(): string[] {
  return readdirSync(markers)
    .map((file) => file.replace(/\.\d+$/, ''))
    .sort();
}

let marks = 0;
function mark(name: string): void {
  writeFileSync(join(markers, `${name}.${++marks}`), '');
}

/**
 *   load ──> clean ──> report
 *        └─> stats ──┘
 */
function pipeline(fail: { clean: boolean }, size = 10, gate?: Promise<void>) {
  const load = stage({ thread: 'main' }, function load(n: number) {
    mark('load');
    return Array.from({ length: n }, (_, i) => i);
  });
  const clean = stage({ thread: 'main' }, function clean(rows: number[]) {
    mark('clean');
    if (fail.clean) throw new Error('clean failed');
    return rows.filter((r) => r % 2 === 0);
  });
  const stats = stage({ thread: 'main' }, function stats(rows: number[]) {
    mark('stats');
    return rows.length;
  });
  const report = stage({ thread: 'main' }, async function report(rows: number[], count: number) {
    mark('report');
    await gate;
    return `${rows.length} of ${count}`;
  });
  const rows = load(size);
  const last = report(clean(rows), stats(rows));
  return { pipeline: new Pipeline({ name: 'resumable' }).addStage(last), last };
}

describe.each(kinds)('%s', (_name, fresh) => {
  let open: () => RunStore;
  beforeEach(() => (open = fresh()));

  test('keeps every event of a run and its results: small ones in their line, large ones apart', async () => {
    const small = stage({ thread: 'main' }, function small() {
      return { at: new Date(5), bytes: new Uint8Array([7]) };
    });
    const big = stage({ thread: 'main' }, function big() {
      return 'x'.repeat(100_000);
    });
    const nothing = stage({ thread: 'main' }, function nothing() {});
    const [s, b, u] = [small(), big(), nothing()];
    const result = await startWithStore(new Pipeline({ name: 'kept' }).addStages([s, b, u]), open());

    await reading(open, (store) => {
      const stored = store.readRun(result.runId);
      expect(stored.meta).toMatchObject({ runId: result.runId, pipeline: 'kept', status: 'succeeded' });
      expect(stored.meta.counts).toEqual({ succeeded: 3 });
      expect(stored.lines.map((l) => l.type)).toEqual(result.events.map((e) => e.type));
      const doneOf = (name: string) => stored.lines.find((l) => l.type === 'stage:done' && l.stage === name)!;
      expect(doneOf('small').result).toHaveProperty('inline');
      expect(stored.result(doneOf('small'))!.value).toEqual(result.output(s));
      expect(doneOf('big').result).toHaveProperty('file');
      expect(stored.result(doneOf('big'))!.value).toBe(result.output(b));
      expect(stored.result(doneOf('nothing'))).toEqual({ value: undefined });
      expect(stored.result(stored.lines[0]!)).toBeUndefined();
      expect(stored.warnings).toEqual([]);
      expect(store.hasRun(result.runId)).toBe(true);
      expect(store.hasRun('never-run')).toBe(false);
    });
  });

  test("lists runs oldest first, with status and counts; 'last' is the latest (of a pipeline)", async () => {
    const first = await startWithStore(pipeline({ clean: false }).pipeline, open(), { runId: 'zz-first' });
    const second = await runWithStore(pipeline({ clean: true }).pipeline, open(), {
      cores: 1,
      onError: 'continue',
    }).done;
    const other = await startWithStore(
      new Pipeline({ name: 'other' }).addStage(pipeline({ clean: false }).last),
      open(),
    );

    await reading(open, (store) => {
      const runs = store.listRuns();
      expect(runs.map((r) => r.runId)).toEqual([first.runId, second.runId, other.runId]);
      expect(runs[1]).toMatchObject({ pipeline: 'resumable', status: 'failed', stages: 4 });
      expect(runs[1]!.counts).toMatchObject({ succeeded: 2, failed: 1, skipped: 1 });
      expect(runs[0]!.durationMs).toBeGreaterThanOrEqual(0);
      expect(store.readRun('last').meta.runId).toBe(other.runId);
      expect(store.readRun('last', 'resumable').meta.runId).toBe(second.runId);
    });
  });

  test('refuses a run id it already holds, and says when there is no run to read', async () => {
    await startWithStore(pipeline({ clean: false }).pipeline, open(), { runId: 'nightly' });
    expect(() => runWithStore(pipeline({ clean: false }).pipeline, open(), { runId: 'nightly' })).toThrow(
      /^Expected a new run id, got "nightly", which .* already holds/,
    );

    await reading(open, (store) => {
      expect(() => store.readRun('20200101T000000-000000')).toThrow(
        `There is no run "20200101T000000-000000" in ${store.location}. List the runs with \`tsdags runs\`.`,
      );
      expect(() => store.readRun('../../etc')).toThrow(/Expected a run id/);
    });
    const empty = fresh();
    await reading(empty, (store) => {
      expect(store.listRuns()).toEqual([]);
      expect(() => store.readRun('last')).toThrow(RunNotFoundError);
    });
  });

  test('a run that failed half-way, resumed, runs only the stages that had not finished', async () => {
    const first = await runWithStore(pipeline({ clean: true }).pipeline, open(), {
      cores: 1,
      onError: 'continue',
    }).done;
    expect(first.status).toBe('failed');
    expect(ran()).toEqual(['clean', 'load', 'stats']);

    const { pipeline: again, last } = pipeline({ clean: false });
    const result = await startWithStore(again, open(), { resume: 'last', cores: 1 });

    expect(ran()).toEqual(['clean', 'clean', 'load', 'report', 'stats']);
    expect(result.output(last)).toBe('5 of 10');
    expect(result.events[0]).toMatchObject({ resume: { from: first.runId, restored: 2, changed: [] } });
    await reading(open, (store) => {
      expect(store.readRun(result.runId).meta).toMatchObject({
        resumedFrom: first.runId,
        status: 'succeeded',
      });
    });
  });

  test('a run whose process died mid-stage (no end recorded) is resumed without re-running finished stages', async () => {
    // The record a killed orchestrator leaves: `report` started, then its process died. The store
    // is dropped with the run in flight (its connection closed), and the run never closes its record.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const dying = pipeline({ clean: false }, 10, gate).pipeline;
    const killedStore = open();
    const killed = runWithStore(dying, killedStore, { cores: 1 });
    const started = new Promise<void>((resolve) =>
      killed.events.subscribe((e) => e.type === 'stage:start' && e.stage === 'report' && resolve()),
    );
    await started;
    await killedStore.close();
    const stored = await reading(open, (store) => store.readRun(killed.id));
    expect(stored.meta.status).toBe('running');

    const { pipeline: again, last } = pipeline({ clean: false });
    const result = await startWithStore(again, open(), { resume: killed.id });
    expect(result.output(last)).toBe('5 of 10');
    expect(ran()).toEqual(['clean', 'load', 'report', 'report', 'stats']);
    expect(result.events[0]).toMatchObject({ resume: { from: killed.id, restored: 3 } });
    // Let the abandoned run end; its store may be gone already (a file store has nothing to lose).
    release();
    await killed.done.catch(() => undefined);
  });

  test('cache: true reuses results across runs through the store, keyed on inputs', async () => {
    await startWithStore(pipeline({ clean: false }).pipeline, open(), { cache: true });
    const again = await startWithStore(pipeline({ clean: false }).pipeline, open(), { cache: true });
    expect(ran()).toEqual(['clean', 'load', 'report', 'stats']);
    expect(again.events.filter((e) => e.type === 'stage:done' && e.cached)).toHaveLength(4);

    const { pipeline: changed, last } = pipeline({ clean: false }, 12);
    const third = await startWithStore(changed, open(), { cache: true });
    expect(third.output(last)).toBe('6 of 12');
    expect(ran()).toEqual(['clean', 'clean', 'load', 'load', 'report', 'report', 'stats', 'stats']);
  });

  test('remembers the durations of a pipeline last run, and nothing for another', async () => {
    await startWithStore(pipeline({ clean: false }).pipeline, open());
    await reading(open, (store) => {
      expect([...store.readDurations('resumable')!.keys()].sort()).toEqual([
        'clean',
        'load',
        'report',
        'stats',
      ]);
      expect(store.readDurations('unknown')).toBeUndefined();
      store.writeDurations('unknown', { a: 5 });
      expect(store.readDurations('unknown')).toEqual(new Map([['a', 5]]));
      expect(store.readCache('0'.repeat(64))).toBeUndefined();
      store.writeCache('0'.repeat(64), new Uint8Array([1, 2, 3]));
      expect([...store.readCache('0'.repeat(64))!]).toEqual([1, 2, 3]);
    });
  });
});
