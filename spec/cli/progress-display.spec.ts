import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import pc from 'picocolors';
import { Pipeline, stage, type RunEvent } from 'tsdags';
import { ProgressDisplay, renderFrame } from '../../lib/cli/progress-display.js';
import { ProgressState } from '../../lib/cli/progress-state.js';
import { summaryTable } from '../../lib/cli/summary-table.js';

const plain = pc.createColors(false);

// The seed's six stages, half-way through:
//
//   stage_1 (done)   stage_2 (done)
//      |             /     \
//   stage_5 (run) stage_3 (run) stage_4 (failed)
//       \      |     /
//          stage_6
const t0 = 1_000_000;
const halfway: RunEvent[] = [
  { type: 'run:start', time: t0, runId: 'r1', stages: 6, cores: 3 },
  { type: 'stage:start', time: t0, stage: 'stage_1', attempt: 1, threadId: 1 },
  { type: 'stage:start', time: t0, stage: 'stage_2', attempt: 1, threadId: 2 },
  { type: 'stage:done', time: t0 + 100, stage: 'stage_1', attempt: 1, threadId: 1, durationMs: 100 },
  { type: 'stage:done', time: t0 + 200, stage: 'stage_2', attempt: 1, threadId: 2, durationMs: 200 },
  { type: 'stage:start', time: t0 + 200, stage: 'stage_3', attempt: 1, threadId: 2 },
  { type: 'stage:start', time: t0 + 300, stage: 'stage_5', attempt: 2, threadId: 1 },
  { type: 'stage:start', time: t0 + 200, stage: 'stage_4', attempt: 1, threadId: 3 },
  {
    type: 'stage:error',
    time: t0 + 250,
    stage: 'stage_4',
    attempt: 1,
    threadId: 3,
    durationMs: 50,
    error: new Error('no space left'),
  },
];

describe('the live progress display', () => {
  test('renderFrame() shows stages done out of the total, and the running ones, longest first', () => {
    const state = new ProgressState();
    for (const event of halfway) state.apply(event);
    const frame = renderFrame(state, 'seed', t0 + 1500, plain);
    const [head, ...running] = frame.split('\n');
    expect(head).toContain('seed');
    expect(head).toContain('3/6 done · 2 running · 1 failed · 1.50s');
    expect(running).toEqual(['    stage_3  1.30s', '    stage_5  1.20s  attempt 2']);
  });

  test('ProgressState takes a retried stage off the running list until it starts again', () => {
    const state = new ProgressState();
    for (const event of halfway) state.apply(event);
    state.apply({
      type: 'stage:retry',
      time: t0 + 400,
      stage: 'stage_3',
      attempt: 1,
      delayMs: 100,
      error: new Error('x'),
    });
    expect([...state.running.keys()]).toEqual(['stage_5']);
    expect(state.finished).toBe(3);
    state.apply({ type: 'stage:start', time: t0 + 500, stage: 'stage_3', attempt: 2, threadId: 2 });
    expect(state.running.get('stage_3')).toMatchObject({ attempt: 2, since: t0 + 500 });
  });

  test('renderFrame() counts the stages whose stored results were reused', () => {
    const state = new ProgressState();
    state.apply({ type: 'run:start', time: t0, runId: 'r2', stages: 3, cores: 2 });
    for (const name of ['a', 'b']) {
      state.apply({
        type: 'stage:done',
        time: t0,
        stage: name,
        attempt: 0,
        threadId: 0,
        durationMs: 0,
        cached: true,
      });
    }
    expect(renderFrame(state, 'p', t0 + 10, plain)).toContain('2/3 done (2 reused) · 0 running');
  });

  test('ProgressDisplay prints what a resumed run restored and which stages changed', () => {
    let out = '';
    const terminal = {
      write: (chunk: string) => ((out += chunk), true),
      isTTY: true,
      columns: 100,
      rows: 30,
    } as unknown as NodeJS.WriteStream;
    const display = new ProgressDisplay(terminal, { name: 'p' });
    try {
      display.event({
        type: 'run:start',
        time: t0,
        runId: 'r2',
        stages: 6,
        cores: 2,
        resume: { from: 'r1', restored: 4, changed: ['clean', 'report'] },
      });
      expect(stripVTControlCharacters(out)).toContain(
        'resuming r1: 4 stages restored; changed: clean, report\n',
      );
    } finally {
      display.close();
    }
  });

  test('renderFrame() folds what does not fit the terminal into a count', () => {
    const state = new ProgressState();
    state.apply({ type: 'run:start', time: t0, runId: 'r1', stages: 50, cores: 50 });
    for (let i = 0; i < 30; i++) {
      state.apply({ type: 'stage:start', time: t0 + i, stage: `s${i}`, attempt: 1, threadId: i + 1 });
    }
    const lines = renderFrame(state, 'wide', t0 + 100, plain, 8).split('\n');
    expect(lines).toHaveLength(1 + 4);
    expect(lines.at(-1)).toBe('    … and 27 more running');
  });

  test('ProgressDisplay prints failures above the display as they happen, and the summary at the end', async () => {
    let out = '';
    const terminal = {
      write: (chunk: string) => ((out += chunk), true),
      isTTY: true,
      columns: 100,
      rows: 30,
    } as unknown as NodeJS.WriteStream;
    const display = new ProgressDisplay(terminal, { name: 'seed' });
    try {
      for (const event of halfway) display.event(event);
      const text = stripVTControlCharacters(out);
      expect(text).toContain('✖ stage_4 failed after 50ms (attempt 1): no space left\n');
      expect(text).toContain('3/6 done');

      const result = await new Pipeline().addStages([one()]).start({ thread: 'main', storeDir: false });
      display.finish(result);
      expect(stripVTControlCharacters(out)).toMatch(/✔ succeeded in \S+: 1 stage\n$/);
    } finally {
      display.close();
    }
    // Closed: writes to the terminal go straight through again.
    const before = out.length;
    terminal.write('after');
    expect(out.slice(before)).toBe('after');
  });
});

const one = stage({ thread: 'main' }, function one() {
  return 1;
});
const work = stage({ thread: 'main' }, function work(n: number) {
  // Unequal work, so that durations differ; the table's order is checked against them.
  let x = 0;
  for (let i = 0; i < n * 20_000; i++) x += Math.sqrt(i);
  return x;
});
const broken = stage({ thread: 'main' }, function broken() {
  throw new Error('broken');
});

describe('summaryTable()', () => {
  test('summaryTable() marks the stages whose results were reused from the cache', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsdags-summary-'));
    try {
      const build = () => new Pipeline().addStages([one().named('first'), one().named('second')]);
      await build().start({ thread: 'main', storeDir: dir, cache: true });
      const result = await build().start({ thread: 'main', storeDir: dir, cache: true });
      const lines = summaryTable(result, plain).split('\n');
      expect(lines).toContainEqual(expect.stringMatching(/^ +first +reused +- +0$/));
      expect(lines.at(-1)).toMatch(/^✔ succeeded in \S+: 2 stages \(2 reused\)$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('summaryTable() lists every stage of a small run, in the order they started', async () => {
    const result = await new Pipeline()
      .addStages([work(3), work(1), one()])
      .start({ thread: 'main', cores: 1, storeDir: false });
    const lines = summaryTable(result, plain).split('\n');
    expect(lines[0]).toMatch(/^ +stage +state +duration +attempts$/);
    const names = lines.slice(1, 4).map((line) => line.trim().split(/ +/)[0]);
    const byStart = Object.entries(result.stages)
      .sort(([, a], [, b]) => a.startedAt! - b.startedAt!)
      .map(([name]) => name);
    expect(names).toEqual(byStart);
    expect(lines.at(-1)).toMatch(/^✔ succeeded in \S+: 3 stages$/);
  });

  test('summaryTable() of a large run shows the slowest stages first, every failed one, and counts the rest', async () => {
    const stages = [...Array.from({ length: 14 }, (_, i) => work(i)), broken()];
    const result = await new Pipeline()
      .addStages(stages)
      .run({ thread: 'main', cores: 1, onError: 'continue', storeDir: false }).done;
    const table = summaryTable(result, plain);
    const rows = table
      .split('\n')
      .slice(1)
      .filter((line) => /^ {2}\S/.test(line) && !line.includes('…'));
    const names = rows.map((line) => line.trim().split(/ +/)[0]!);
    expect(names).toContain('broken');
    const durations = names.map((name) => result.stages[name]!.durationMs!);
    expect(durations).toEqual([...durations].sort((a, b) => b - a));
    const more = /… and (\d+) more stages \((\d+) succeeded\)/.exec(table);
    expect(more).not.toBeNull();
    expect(Number(more![1]) + names.length).toBe(15);
    expect(table.split('\n').at(-1)).toMatch(/^✖ failed in \S+: 14 succeeded, 1 failed$/);
  });
});
