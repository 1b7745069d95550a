import { Pipeline, stage, type RunEvent, type RunOptions, type StageOptions } from 'tsdags';
import { stateSwatches, type DrawnState } from '../../lib/viz/palette.js';
import { runSvg } from '../../lib/viz/run-svg.js';
import { tempDir } from '../support/temp-dir.js';
import { closeSvgParser, expectSoundDag, first, select, type SvgNode } from './read-svg.js';
import { noStore, runSeed, seedPipeline, withEvents } from './runs.js';

afterAll(closeSvgParser);

interface DrawnStage {
  state: string | undefined;
  fill: string | undefined;
  stroke: string | undefined;
  detail: string | undefined;
  tooltip: string | undefined;
}

function drawnStages(stages: readonly SvgNode[]): Record<string, DrawnStage> {
  return Object.fromEntries(
    stages.map((g) => {
      const rect = first(g, 'rect')!;
      return [
        g.attrs['data-stage']!,
        {
          state: g.attrs['data-state'],
          fill: rect.attrs.fill,
          stroke: rect.attrs.stroke,
          detail: select(g, 'text')[1]?.text,
          tooltip: first(g, 'title')?.text,
        },
      ];
    }),
  );
}

const colours = (state: DrawnState) => ({
  fill: stateSwatches[state].fill,
  stroke: stateSwatches[state].stroke,
});

describe('runSvg()', () => {
  test('colours each stage by its final state, with its duration and attempts in its box', async () => {
    const result = await runSeed('disk <full> & "quota" exceeded');
    expect(result.status).toBe('failed');
    const dag = await expectSoundDag(runSvg(result, { name: 'seed' }), 6, 6);
    const drawn = drawnStages(dag.stages);

    for (const name of ['stage_1', 'stage_2', 'stage_3', 'stage_5']) {
      expect(drawn[name]).toMatchObject({ state: 'succeeded', ...colours('succeeded') });
      expect(drawn[name]!.detail).toMatch(/^succeeded · [\d.]+ ms · 1 attempt$/);
    }
    expect(drawn.stage_4).toMatchObject({ state: 'failed', ...colours('failed') });
    expect(drawn.stage_4!.detail).toMatch(/^failed · [\d.]+ ms · 1 attempt$/);
    expect(drawn.stage_6).toMatchObject({ state: 'skipped', detail: 'skipped', ...colours('skipped') });
    // Each state looks different from the others.
    expect(new Set(Object.values(stateSwatches).map((s) => s.fill)).size).toBe(6);
  });

  test("puts a failed stage's error message, escaped, in its tooltip", async () => {
    const message = 'disk <full> & "quota" exceeded';
    const result = await runSeed(message);
    const svg = runSvg(result);
    expect(svg).not.toContain('<full>');
    const drawn = drawnStages((await expectSoundDag(svg, 6, 6)).stages);
    expect(drawn.stage_4!.tooltip).toContain(message);
    expect(drawn.stage_4!.tooltip).toContain('stage_4');
    expect(drawn.stage_6!.tooltip).toMatch(/^stage_6\nskipped/);
    expect(drawn.stage_1!.tooltip).not.toContain(message);
  });

  test('has a heading with the run, and a legend with all six states and both edge kinds', async () => {
    const result = await runSeed();
    const dag = await expectSoundDag(runSvg(result, { name: 'seed' }), 6, 6);
    const heading = first(dag.root, 'text')!.text;
    expect(heading).toMatch(new RegExp(`^seed ${result.runId} · succeeded · [\\d.]+ ms$`));
    const labels = select(first(dag.root, 'g', 'legend')!, 'text').map((t) => t.text);
    expect(labels).toEqual([
      'succeeded',
      'failed',
      'skipped',
      'cancelled',
      'cached',
      'not run',
      'data (result passed as an argument)',
      'order only (.after())',
    ]);
  });

  test('shows stages stopped by run.cancel() as cancelled', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const hold = stage({ thread: 'main' }, async function hold() {
      await gate;
      return 1;
    });
    const after = stage({ thread: 'main' }, function after() {
      return 2;
    });
    const first_ = hold().named('holding');
    const second = after().named('waiting').after(first_);
    const run = new Pipeline().addStages([first_, second]).run(noStore);
    run.events.subscribe((e) => {
      if (e.type === 'stage:start') run.cancel('enough');
    });
    const result = await run.done;
    release();
    const drawn = drawnStages((await expectSoundDag(runSvg(result), 2, 1)).stages);
    expect(drawn.holding).toMatchObject({ state: 'cancelled', ...colours('cancelled') });
    expect(drawn.holding!.detail).toMatch(/^cancelled · [\d.]+ ms · 1 attempt$/);
    expect(drawn.waiting).toMatchObject({ state: 'cancelled', detail: 'cancelled' });
  });

  test('counts attempts: a stage that failed once and then succeeded shows 2 attempts', async () => {
    let calls = 0;
    const flaky = stage({ thread: 'main', retries: 1, retryDelay: 0 } as StageOptions, function flaky() {
      if (calls++ === 0) throw new Error('first time');
      return calls;
    });
    const result = await new Pipeline().addStage(flaky().named('flaky')).start(noStore);
    const drawn = drawnStages((await expectSoundDag(runSvg(result), 1, 0)).stages);
    expect(drawn.flaky).toMatchObject({ state: 'succeeded' });
    expect(drawn.flaky!.detail).toMatch(/^succeeded · [\d.]+ ms · 2 attempts$/);
  });

  test('shows results reused from the cache as cached', async () => {
    const dir = tempDir();
    try {
      const options = { storeDir: dir.path, cache: true, cores: 1 } as RunOptions;
      await seedPipeline().start(options);
      const again = await seedPipeline().start(options);
      const drawn = drawnStages((await expectSoundDag(runSvg(again), 6, 6)).stages);
      for (const s of Object.values(drawn))
        expect(s).toMatchObject({ state: 'cached', detail: 'cached', ...colours('cached') });
    } finally {
      dir.remove();
    }
  });

  test('reads `cached` from stage:done events, and draws stages with no record as not run', async () => {
    const result = await runSeed();
    const events = result.events.map((e) =>
      e.type === 'stage:done' && e.stage === 'stage_1' ? ({ ...e, cached: true } as RunEvent) : e,
    );
    const { stage_2: _dropped, ...stages } = result.stages;
    const view = Object.assign(withEvents(result, events), { stages });
    const drawn = drawnStages((await expectSoundDag(runSvg(view), 6, 6)).stages);
    expect(drawn.stage_1).toMatchObject({ state: 'cached', ...colours('cached') });
    expect(drawn.stage_2).toMatchObject({ state: 'not run', detail: 'not run', ...colours('not run') });
    expect(drawn.stage_3).toMatchObject({ state: 'succeeded' });
  });
});
