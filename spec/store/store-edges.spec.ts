import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileRunStore, Pipeline, Stage, StoreCorruptError, stage, type StageContext } from 'tsdags';
import { fingerprint } from '../../lib/store/fingerprint.js';
import { tempDir } from '../support/temp-dir.js';

let dir: ReturnType<typeof tempDir>;
beforeEach(() => (dir = tempDir()));
afterEach(() => dir.remove());

const value = stage({ thread: 'main' }, function value(v: unknown) {
  return v;
});

describe('run records', () => {
  test('a run refused for a bad option leaves no record behind', () => {
    const p = new Pipeline().addStage(value(1));
    expect(() => p.run({ storeDir: dir.path, store: 'nope' as never })).toThrow(/Expected `store`/);
    expect(existsSync(join(dir.path, 'runs'))).toBe(false);
  });

  test("resume: 'last' is the run that started last, whatever its id", async () => {
    const ran: number[] = [];
    const count = stage({ thread: 'main' }, function count(n: number) {
      ran.push(n);
      if (ran.length === 2) throw new Error('second run fails');
      return n;
    });
    await new Pipeline({ name: 'ordered' })
      .addStage(count(1))
      .start({ storeDir: dir.path, runId: 'zz-first' });
    const second = await new Pipeline({ name: 'ordered' }).addStage(count(1)).run({ storeDir: dir.path })
      .done;
    const third = await new Pipeline({ name: 'ordered' })
      .addStage(count(1))
      .run({ storeDir: dir.path, resume: 'last' }).done;

    expect(second.status).toBe('failed');
    expect(third.events[0]).toMatchObject({ resume: { from: second.runId } });
  });

  test('a run id already in the store is refused', async () => {
    await new Pipeline().addStage(value(1)).start({ storeDir: dir.path, runId: 'nightly' });
    expect(() => new Pipeline().addStage(value(1)).run({ storeDir: dir.path, runId: 'nightly' })).toThrow(
      'Expected a new run id, got "nightly"',
    );
  });

  test('a missing result file is named when resuming', async () => {
    const big = stage({ thread: 'main' }, function big() {
      return 'x'.repeat(50_000);
    });
    const first = await new Pipeline({ name: 'big' })
      .addStage(big().named('big'))
      .start({ storeDir: dir.path });
    const results = join(dir.path, 'runs', first.runId, 'results');
    const [file] = readdirSync(results);
    rmSync(join(results, file!));

    expect(() =>
      new Pipeline({ name: 'big' }).addStage(big().named('big')).run({ storeDir: dir.path, resume: 'last' }),
    ).toThrow(new StoreCorruptError(join(results, file!), 'is missing: it held the result of stage "big"'));
  });

  test('a run whose record cannot be written fails with the error, and is not recorded as a success', async () => {
    const big = stage({ thread: 'main' }, function bigger() {
      return 'y'.repeat(50_000);
    });
    // The results directory cannot be created: a file is in the way.
    const runDir = join(dir.path, 'runs', 'blocked');
    mkdirSync(runDir, { recursive: true });
    writeFileSync(join(runDir, 'results'), 'in the way');
    const run = new Pipeline().addStage(big()).run({ storeDir: dir.path, runId: 'blocked' });

    await expect(run.done).rejects.toThrow(
      `The run record in ${runDir} could not be written for stage "bigger" (`,
    );
    expect(new FileRunStore(dir.path).listRuns()[0]).toMatchObject({ runId: 'blocked', status: 'failed' });
  });
});

describe('fingerprints and cache keys', () => {
  test('tell undefined, null, NaN and Infinity arguments apart', () => {
    const prints = [undefined, null, Number.NaN, Number.POSITIVE_INFINITY].map((v) => {
      const graph = new Pipeline().addStage(value(v).named('v')).graph();
      return fingerprint(graph, 0);
    });
    expect(new Set(prints).size).toBe(4);
  });

  test('a class stage that changes its own fields as it runs is reused on resume: its fingerprint is taken before it runs', async () => {
    let runs = 0;
    class Count extends Stage<number> {
      seen = 0;
      run(_ctx: StageContext): number {
        runs++;
        this.seen++;
        return 7;
      }
    }
    const first = await new Pipeline({ name: 'counting' })
      .addStage(new Count().named('count'))
      .start({ storeDir: dir.path });
    const second = await new Pipeline({ name: 'counting' })
      .addStage(new Count().named('count'))
      .start({ storeDir: dir.path, resume: first.runId });

    expect(second.events[0]).toMatchObject({ resume: { restored: 1, changed: [] } });
    expect(runs).toBe(1);
    expect(second.output('count')).toBe(7);
  });

  test('a cached class stage is keyed on what it was constructed with', async () => {
    class Scale extends Stage<number> {
      constructor(readonly factor: number) {
        super({ cache: true });
      }
      run(_ctx: StageContext): number {
        return 10 * this.factor;
      }
    }
    const one = await new Pipeline().addStage(new Scale(1)).start({ storeDir: dir.path });
    const five = await new Pipeline().addStage(new Scale(5)).start({ storeDir: dir.path });

    expect(one.output('Scale')).toBe(10);
    expect(five.output('Scale')).toBe(50);
  });
});
