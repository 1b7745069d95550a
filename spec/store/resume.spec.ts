import { Pipeline, RunNotFoundError, stage } from 'tsdags';
import { tempDir } from '../support/temp-dir.js';

let dir: ReturnType<typeof tempDir>;
beforeEach(() => (dir = tempDir()));
afterEach(() => dir.remove());

/**
 *   load ──> clean ──> report
 *        └─> stats ──┘
 */
function pipeline(ran: string[], fail: { clean: boolean }, size = 10) {
  const load = stage({ thread: 'main' }, function load(n: number) {
    ran.push('load');
    return Array.from({ length: n }, (_, i) => i);
  });
  const clean = stage({ thread: 'main' }, function clean(rows: number[]) {
    ran.push('clean');
    if (fail.clean) throw new Error('clean failed');
    return rows.filter((r) => r % 2 === 0);
  });
  const stats = stage({ thread: 'main' }, function stats(rows: number[]) {
    ran.push('stats');
    return rows.length;
  });
  const report = stage({ thread: 'main' }, function report(rows: number[], count: number) {
    ran.push('report');
    return `${rows.length} of ${count}`;
  });
  const rows = load(size);
  const last = report(clean(rows), stats(rows));
  return { pipeline: new Pipeline({ name: 'resumable' }).addStage(last), last };
}

describe('pipeline.run({ resume })', () => {
  test('re-runs only the stages without a stored result, and ends with the same results', async () => {
    const ran: string[] = [];
    const fail = { clean: true };
    const first = await pipeline(ran, fail).pipeline.run({
      storeDir: dir.path,
      cores: 1,
      onError: 'continue',
    }).done;
    expect(first.status).toBe('failed');

    ran.length = 0;
    fail.clean = false;
    const { pipeline: again, last } = pipeline(ran, fail);
    const run = again.run({ storeDir: dir.path, resume: 'last', cores: 1 });
    const result = await run.done;

    expect(result.status).toBe('succeeded');
    expect(ran.sort()).toEqual(['clean', 'report']);
    expect(result.output(last)).toBe('5 of 10');
    expect(result.events[0]).toMatchObject({
      type: 'run:start',
      resume: { from: first.runId, restored: 2, changed: [] },
    });
    const reused = result.events
      .filter((e) => e.type === 'stage:done' && e.cached)
      .map((e) => 'stage' in e && e.stage);
    expect(reused.sort()).toEqual(['load', 'stats']);
  });

  test('resumes a run by id, and a resumed run can be resumed again', async () => {
    const ran: string[] = [];
    const options = { storeDir: dir.path, onError: 'continue' } as const;
    const first = await pipeline(ran, { clean: true }).pipeline.run(options).done;
    const second = await pipeline(ran, { clean: true }).pipeline.run({ ...options, resume: first.runId })
      .done;
    ran.length = 0;
    const third = await pipeline(ran, { clean: false }).pipeline.run({
      storeDir: dir.path,
      resume: second.runId,
    }).done;

    expect(third.status).toBe('succeeded');
    expect(ran.sort()).toEqual(['clean', 'report']);
  });

  test('says which stages changed and re-runs them with their dependents', async () => {
    const ran: string[] = [];
    await pipeline(ran, { clean: false }).pipeline.start({ storeDir: dir.path });
    ran.length = 0;
    // `load` now has another argument: it and everything downstream run again.
    const { pipeline: changed } = pipeline(ran, { clean: false }, 12);
    const result = await changed.run({ storeDir: dir.path, resume: 'last' }).done;

    expect(result.events[0]).toMatchObject({ resume: { restored: 0, changed: ['load'] } });
    expect(ran.sort()).toEqual(['clean', 'load', 'report', 'stats']);
  });

  test('refuses to resume from nothing', () => {
    const { pipeline: p } = pipeline([], { clean: false });
    expect(() => p.run({ storeDir: dir.path, resume: 'last' })).toThrow(RunNotFoundError);
    expect(() => p.run({ storeDir: false, resume: 'last' })).toThrow(
      'Expected a `storeDir` to resume from, got storeDir: false.',
    );
    expect(() => p.run({ storeDir: dir.path, resume: '../../x' })).toThrow(/Expected a run id/);
  });
});

describe('cache: true', () => {
  test('an unchanged pipeline run again runs no cached stage; a changed stage re-runs with its dependents', async () => {
    const ran: string[] = [];
    await pipeline(ran, { clean: false }).pipeline.start({ storeDir: dir.path, cache: true });
    expect(ran).toHaveLength(4);

    ran.length = 0;
    const second = await pipeline(ran, { clean: false }).pipeline.start({ storeDir: dir.path, cache: true });
    expect(ran).toEqual([]);
    expect(second.events.filter((e) => e.type === 'stage:start')).toEqual([]);
    expect(second.events.filter((e) => e.type === 'stage:done' && e.cached)).toHaveLength(4);

    ran.length = 0;
    const { pipeline: changed, last } = pipeline(ran, { clean: false }, 12);
    const third = await changed.start({ storeDir: dir.path, cache: true });
    expect(ran.sort()).toEqual(['clean', 'load', 'report', 'stats']);
    expect(third.output(last)).toBe('6 of 12');
  });

  test('a stage cached on its own options, and only when its inputs are the same', async () => {
    let calls = 0;
    const square = stage({ thread: 'main', cache: true }, function square(n: number) {
      calls++;
      return n * n;
    });
    await new Pipeline().addStage(square(3)).start({ storeDir: dir.path });
    await new Pipeline().addStage(square(3)).start({ storeDir: dir.path });
    const result = await new Pipeline().addStage(square(4)).start({ storeDir: dir.path });

    expect(calls).toBe(2);
    expect(Object.values(result.stages)[0]!.status).toBe('succeeded');
  });

  test('needs a store', () => {
    const { pipeline: p } = pipeline([], { clean: false });
    expect(() => p.run({ storeDir: false, cache: true })).toThrow(
      'Expected a `storeDir` for cache: true, got storeDir: false. Cached results need a store.',
    );
  });
});
