import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { serialize } from 'node:v8';
import { FileRunStore, Pipeline, RunNotFoundError, StoreCorruptError, stage, type Stage } from 'tsdags';
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

const value = stage({ thread: 'main' }, function value(v: unknown) {
  return v;
});
// Ends after run() returns, so that a subscriber sees its stage:done live.
const later = stage({ thread: 'main' }, async function later(v: unknown) {
  await Promise.resolve();
  return v;
});

/**
 *   first ──> second ──> third
 */
function chain(values: readonly unknown[], names = ['first', 'second', 'third'], make = value) {
  const stages: Stage[] = [];
  values.forEach((v, k) => stages.push(make(v).named(names[k]!).after(stages.slice(-1))));
  return { pipeline: new Pipeline({ name: 'chain' }).addStages(stages), stages };
}

const eventsOf = (runId: string) => join(dir.path, 'runs', runId, 'events.jsonl');

describe('FileRunStore: the event log as it is written', () => {
  test('a stage:done is on disk when it is announced, with the ready and start lines held before it', async () => {
    const run = chain([1, 2, 3], undefined, later).pipeline.run({ storeDir: dir.path, cores: 1 });
    // What the file held as each stage:done was announced.
    const onDisk = new Map<string, { type: string; stage?: string }[]>();
    run.events.subscribe((event) => {
      if (event.type !== 'stage:done') return;
      const lines = readFileSync(eventsOf(run.id), 'utf8')
        .split('\n')
        .filter((line) => line !== '');
      onDisk.set(
        event.stage,
        lines.map((line) => JSON.parse(line) as { type: string; stage?: string }),
      );
    });
    await run.done;

    expect([...onDisk.keys()]).toEqual(['first', 'second', 'third']);
    for (const [stage, lines] of onDisk) {
      expect(lines.filter((line) => line.stage === stage).map((line) => line.type)).toEqual([
        'stage:ready',
        'stage:start',
        'stage:done',
      ]);
      expect(lines.at(-1)).toMatchObject({ type: 'stage:done', stage, result: { json: expect.any(Number) } });
    }
  }, 30_000);

  test('a stage that runs long is in the record as started while it runs, with no other line to carry it', async () => {
    // It ends once its own start line is on disk: without a write of the held lines, never.
    const waitsForItsStart = stage({ thread: 'main' }, async function waitsForItsStart(file: string) {
      const started = () => readFileSync(file, 'utf8').includes('"type":"stage:start"');
      while (!started()) await new Promise((resolve) => setTimeout(resolve, 10));
      return 'seen';
    });
    const runId = 'long-start';
    const s = waitsForItsStart(eventsOf(runId));
    const result = await new Pipeline().addStages([s]).run({ storeDir: dir.path, runId }).done;
    expect(result.output(s)).toBe('seen');
  });

  test('a log cut at any byte reads as the lines before the cut, and only a cut line is warned of', async () => {
    // Results of every kind a line keeps (JSON, V8 bytes, undefined), under a name that is not ASCII.
    const values = [[1.5, 'two'], new Date(7), undefined];
    const result = await chain(values, ['first', 'zweite ü', 'third']).pipeline.start({
      storeDir: dir.path,
      cores: 1,
    });
    const events = eventsOf(result.runId);
    const full = readFileSync(events);
    const ends: number[] = []; // the byte offset of each line's newline
    full.forEach((byte, at) => byte === 0x0a && ends.push(at));
    const whole = new FileRunStore(dir.path).readRun(result.runId).lines;
    expect(whole).toHaveLength(ends.length);

    for (let cut = 0; cut <= full.length; cut++) {
      writeFileSync(events, full.subarray(0, cut));
      const stored = new FileRunStore(dir.path).readRun(result.runId);
      // A line is whole once its closing brace is in, newline or not.
      const kept = ends.filter((end) => end <= cut).length;
      expect(stored.lines).toEqual(whole.slice(0, kept));
      const cutMidLine = cut > 0 && full[cut - 1] !== 0x0a && !ends.includes(cut);
      expect(stored.warnings).toHaveLength(cutMidLine ? 1 : 0);
      for (const line of stored.lines.filter((l) => l.type === 'stage:done')) {
        expect(stored.result(line)).toEqual({
          value: values[['first', 'zweite ü', 'third'].indexOf(line.stage!)],
        });
      }
    }
  }, 30_000);
});

describe('FileRunStore: the run header', () => {
  test('run.json names every stage while the run goes and once it is over, with the outcome', async () => {
    const header = (runId: string) =>
      JSON.parse(readFileSync(join(dir.path, 'runs', runId, 'run.json'), 'utf8')) as Record<string, unknown>;
    let during: Record<string, unknown> | undefined;
    const peek = stage({ thread: 'main' }, function peek() {
      during = header(new FileRunStore(dir.path).listRuns()[0]!.runId);
    });
    const { pipeline } = chain([1, 2], ['first', 'sec"ond\\']);
    const result = await pipeline.addStage(peek()).start({ storeDir: dir.path, cores: 1 });
    const stages = { first: '', 'sec"ond\\': '', peek: '' };

    expect(during).toMatchObject({ format: 'tsdags-run', runId: result.runId, status: 'running', stages });
    expect(during).not.toHaveProperty('finishedAt');
    expect(header(result.runId)).toMatchObject({
      format: 'tsdags-run',
      version: 1,
      runId: result.runId,
      pipeline: 'chain',
      status: 'succeeded',
      finishedAt: expect.any(Number),
      counts: { succeeded: 3 },
      stages,
    });
  });
});

describe('FileRunStore: results kept in lines', () => {
  test('small arrays and plain objects sit in their line as JSON, and are given back as they were', async () => {
    const values = [[1795675258374.537, 1795675258376.125], { n: 1, rows: [[1], []], label: 'é"\n' }, -0];
    const result = await chain(values).pipeline.start({ storeDir: dir.path, cores: 1 });
    const stored = new FileRunStore(dir.path).readRun(result.runId);
    const done = stored.lines.filter((l) => l.type === 'stage:done');

    expect(done.map((l) => Object.keys(l.result!)[0])).toEqual(['json', 'json', 'inline']);
    expect(done.map((l) => stored.result(l)!.value)).toEqual(values);
    expect(Object.is(stored.result(done[2]!)!.value, -0)).toBe(true);
  });

  test('a run resumes from a record whose results are V8 bytes in base64, as records written before JSON arrays', async () => {
    const values = [[1, 2], { a: 'b' }, 'text'];
    const first = await chain(values).pipeline.start({ storeDir: dir.path, cores: 1 });
    const events = eventsOf(first.runId);
    const old = readFileSync(events, 'utf8')
      .split('\n')
      .map((text) => {
        if (!text.includes('"stage:done"')) return text;
        const line = JSON.parse(text) as { stage: string; result: object };
        const v = values[['first', 'second', 'third'].indexOf(line.stage)];
        const result = typeof v === 'string' ? { json: v } : { inline: serialize(v).toString('base64') };
        return JSON.stringify({ ...line, result });
      });
    writeFileSync(events, old.join('\n'));

    const { pipeline, stages } = chain(values);
    const second = await pipeline.start({ storeDir: dir.path, resume: first.runId });
    expect(second.events[0]).toMatchObject({ resume: { restored: 3, changed: [] } });
    expect(stages.map((s) => second.output(s))).toEqual(values);
  });
});

describe('FileRunStore: remembered durations', () => {
  test('reads durations in the form written before (one object by stage name), and writes the new one', () => {
    const store = new FileRunStore(dir.path);
    const file = join(
      dir.path,
      'pipelines',
      `${createHash('sha256').update('old').digest('hex').slice(0, 32)}.json`,
    );
    mkdirSync(join(dir.path, 'pipelines'));
    writeFileSync(file, JSON.stringify({ pipeline: 'old', durations: { a: 1.5, 'b "c"': 2, bad: 'x' } }));

    expect(store.readDurations('old')).toEqual(
      new Map([
        ['a', 1.5],
        ['b "c"', 2],
      ]),
    );
    store.writeDurations('old', { a: 3, 'b "c"': 4.25 });
    expect(readdirSync(join(dir.path, 'pipelines'))).toEqual([file.split('/').at(-1)]);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({
      pipeline: 'old',
      stages: ['a', 'b "c"'],
      ms: [3, 4.25],
    });
    expect(store.readDurations('old')).toEqual(
      new Map([
        ['a', 3],
        ['b "c"', 4.25],
      ]),
    );
  });
});
