import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileRunStore, Pipeline, RunNotFoundError, StoreCorruptError, stage } from 'tsdags';
import { tempDir } from '../support/temp-dir.js';

const double = stage({ thread: 'main' }, function double(n: number) {
  return { n: n * 2, at: new Date(0), bytes: new Uint8Array([n]) };
});
const big = stage({ thread: 'main' }, function big() {
  return 'x'.repeat(100_000);
});

let dir: ReturnType<typeof tempDir>;
beforeEach(() => (dir = tempDir()));
afterEach(() => dir.remove());

describe('FileRunStore', () => {
  test('keeps every event of a run and its results, large ones in files of their own', async () => {
    const s = double(21);
    const b = big();
    const result = await new Pipeline({ name: 'kept' }).addStages([s, b]).start({ storeDir: dir.path });
    const store = new FileRunStore(dir.path);
    const stored = store.readRun(result.runId);

    expect(stored.meta).toMatchObject({ runId: result.runId, pipeline: 'kept', status: 'succeeded' });
    expect(stored.lines.map((l) => l.type)).toEqual(result.events.map((e) => e.type));
    const doneOf = (name: string) => stored.lines.find((l) => l.type === 'stage:done' && l.stage === name)!;
    expect(stored.result(doneOf('double'))!.value).toEqual(result.output(s));
    expect(doneOf('big').result).toHaveProperty('file');
    expect(stored.result(doneOf('big'))!.value).toBe(result.output(b));
    expect(stored.warnings).toEqual([]);
  });

  test('lists runs oldest first with their status and stage counts', async () => {
    const first = await new Pipeline().addStage(double(1)).start({ storeDir: dir.path });
    const failing = stage({ thread: 'main' }, function failing() {
      throw new Error('x');
    });
    const second = await new Pipeline().addStages([double(2), failing()]).run({ storeDir: dir.path }).done;
    const runs = new FileRunStore(dir.path).listRuns();

    expect(runs.map((r) => r.runId)).toEqual([first.runId, second.runId]);
    const last = runs.find((r) => r.runId === second.runId)!;
    expect(last).toMatchObject({ status: 'failed', stages: 2 });
    expect(last.counts).toMatchObject({ failed: 1 });
  });

  test('ignores a truncated last line, with a warning', async () => {
    const result = await new Pipeline().addStage(double(3)).start({ storeDir: dir.path });
    const events = join(dir.path, 'runs', result.runId, 'events.jsonl');
    appendFileSync(events, '{"type":"stage:do');
    const stored = new FileRunStore(dir.path).readRun(result.runId);

    expect(stored.lines).toHaveLength(result.events.length);
    expect(stored.warnings).toEqual([
      `${events}: its last line is incomplete (the run was interrupted while writing it) and was ignored`,
    ]);
  });

  test('names the file when a line in the middle is not an event', async () => {
    const result = await new Pipeline().addStage(double(4)).start({ storeDir: dir.path });
    const events = join(dir.path, 'runs', result.runId, 'events.jsonl');
    const lines = readFileSync(events, 'utf8').split('\n');
    lines[1] = 'garbage';
    writeFileSync(events, lines.join('\n'));

    expect(() => new FileRunStore(dir.path).readRun(result.runId)).toThrow(
      new StoreCorruptError(events, 'has a line that is not a tsdags event (line 2)'),
    );
  });

  test('refuses a foreign run.json, naming it', () => {
    const runDir = join(dir.path, 'runs', 'foreign');
    mkdirSync(runDir, { recursive: true });
    writeFileSync(join(runDir, 'run.json'), JSON.stringify({ hello: 'world' }));

    expect(() => new FileRunStore(dir.path).readRun('foreign')).toThrow(StoreCorruptError);
    expect(() => new FileRunStore(dir.path).listRuns()).toThrow(
      `The run store file ${join(runDir, 'run.json')} is not a tsdags run record (format "tsdags-run", version 1).`,
    );
  });

  test('says when there is no run to read', () => {
    const store = new FileRunStore(dir.path);
    expect(() => store.readRun('last')).toThrow(RunNotFoundError);
    expect(() => store.readRun('20200101T000000-000000')).toThrow(
      `There is no run "20200101T000000-000000" in ${store.dir}. List the runs with \`tsdags runs\`.`,
    );
    expect(() => store.readRun('../../etc')).toThrow(/Expected a run id/);
  });
});
