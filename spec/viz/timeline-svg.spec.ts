import { Pipeline, stage, type RunEvent } from 'tsdags';
import { criticalPath } from '../../lib/viz/critical-path.js';
import { outcomeColors } from '../../lib/viz/palette.js';
import { timelineSvg } from '../../lib/viz/timeline-svg.js';
import { closeSvgParser, documentSize, first, parseSvg, rectOf, select, type SvgNode } from './read-svg.js';
import { noStore, runSeed, withEvents } from './runs.js';

afterAll(closeSvgParser);

interface DrawnBar {
  stage: string;
  attempt: number;
  lane: string;
  outcome: string;
  critical: boolean;
  x: number;
  y: number;
  width: number;
  height: number;
  fill: string | undefined;
  tooltip: string;
}

async function readTimeline(svg: string): Promise<{ root: SvgNode; bars: DrawnBar[]; lanes: string[] }> {
  const root = await parseSvg(svg);
  const bars = select(root, 'g', 'bar').map((g): DrawnBar => {
    const rect = first(g, 'rect')!;
    return {
      stage: g.attrs['data-stage']!,
      attempt: Number(g.attrs['data-attempt']),
      lane: g.attrs['data-lane']!,
      outcome: g.attrs['data-outcome']!,
      critical: g.attrs['data-critical'] === 'true',
      ...rectOf(rect),
      fill: rect.attrs.fill,
      tooltip: first(g, 'title')!.text,
    };
  });
  const lanes = select(root, 'text', 'lane').map((t) => t.text);
  return { root, bars, lanes };
}

const starts = (events: readonly RunEvent[]) => events.filter((e) => e.type === 'stage:start');

describe('timelineSvg()', () => {
  test('draws one bar per attempt, coloured by how it ended, in the lane of its thread', async () => {
    const result = await runSeed('no space left');
    const { root, bars, lanes } = await readTimeline(timelineSvg(result, { name: 'seed' }));

    expect(bars).toHaveLength(starts(result.events).length);
    expect(bars.map((b) => b.stage).sort()).toEqual(['stage_1', 'stage_2', 'stage_3', 'stage_4', 'stage_5']);
    expect(lanes).toEqual(['main thread']);
    for (const bar of bars) {
      expect(bar.lane).toBe('main thread');
      expect(bar.outcome).toBe(bar.stage === 'stage_4' ? 'failed' : 'succeeded');
      expect(bar.fill).toBe(outcomeColors[bar.outcome as keyof typeof outcomeColors]);
      expect(bar.width).toBeGreaterThan(0);
    }
    expect(bars.find((b) => b.stage === 'stage_4')!.tooltip).toContain('no space left');
    const { width, height, viewBox } = documentSize(root);
    expect(viewBox).toBe(`0 0 ${width} ${height}`);
    for (const bar of bars) {
      expect(bar.x).toBeGreaterThanOrEqual(0);
      expect(bar.x + bar.width).toBeLessThanOrEqual(width);
      expect(bar.y + bar.height).toBeLessThanOrEqual(height);
    }
  });

  test('keeps bars that share a lane and a row apart in time, and in order', async () => {
    const { bars } = await readTimeline(timelineSvg(await runSeed(undefined, 4)));
    const rows = new Map<number, DrawnBar[]>();
    for (const bar of bars) rows.set(bar.y, [...(rows.get(bar.y) ?? []), bar]);
    for (const row of rows.values()) {
      row.sort((a, b) => a.x - b.x);
      for (let k = 1; k < row.length; k++)
        expect(row[k]!.x).toBeGreaterThanOrEqual(row[k - 1]!.x + row[k - 1]!.width - 1);
    }
  });

  test('has a time axis in seconds from 0', async () => {
    const { root } = await readTimeline(timelineSvg(await runSeed()));
    const labels = select(first(root, 'g', 'axis')!, 'text').map((t) => t.text);
    expect(labels[0]).toMatch(/^0(\.0+)? s$/);
    for (const label of labels.slice(0, -1)) expect(label).toMatch(/^\d+(\.\d+)? s$/);
    expect(labels.at(-1)).toBe('seconds since the run started');
  });

  test('marks the critical path: from the stage that finished last back through the parent that finished last', async () => {
    const result = await runSeed();
    const { bars } = await readTimeline(timelineSvg(result));
    const graph = result.graph;
    const finished = (i: number) => result.stages[graph.stages[i]!.name]!.finishedAt;
    const path = criticalPath(graph, finished).map((i) => graph.stages[i]!.name);

    expect(
      bars
        .filter((b) => b.critical)
        .map((b) => b.stage)
        .sort(),
    ).toEqual([...path].sort());
    // It ends with the stage that finished last and starts at a stage with no parent.
    const last = Object.entries(result.stages).sort(([, a], [, b]) => b.finishedAt! - a.finishedAt!)[0]![0];
    expect(path.at(-1)).toBe(last);
    expect(['stage_1', 'stage_2']).toContain(path[0]);
    expect(path).toContain('stage_6');
  });

  test('gives remote workers their own lanes, after the main thread and worker threads', async () => {
    const result = await runSeed();
    const events = result.events.map((e): RunEvent => {
      if (e.type !== 'stage:start' && e.type !== 'stage:done') return e;
      if (e.stage === 'stage_1') return { ...e, worker: 'host-b:202' } as RunEvent;
      if (e.stage === 'stage_2') return { ...e, worker: 'host-a:101' } as RunEvent;
      if (e.stage === 'stage_3') return { ...e, threadId: 7 };
      return e;
    });
    const { bars, lanes } = await readTimeline(timelineSvg(withEvents(result, events)));
    expect(lanes).toEqual(['main thread', 'thread 7', 'host-a:101', 'host-b:202']);
    const laneOf = Object.fromEntries(bars.map((b) => [b.stage, b.lane]));
    expect(laneOf).toMatchObject({ stage_1: 'host-b:202', stage_2: 'host-a:101', stage_3: 'thread 7' });
  });

  test('draws an attempt with no end as unfinished, up to the end of the run', async () => {
    const result = await runSeed();
    const events = result.events.filter((e) => !(e.type === 'stage:done' && e.stage === 'stage_6'));
    const { root, bars } = await readTimeline(timelineSvg(withEvents(result, events)));
    const open = bars.find((b) => b.stage === 'stage_6')!;
    expect(open.outcome).toBe('unfinished');
    const axis = first(root, 'g', 'axis')!;
    const baseline = select(axis, 'path')[0]!
      .attrs.d!.match(/-?[\d.]+/g)!
      .map(Number);
    // The axis line is M left,bottom h width: the open bar reaches its right end.
    expect(open.x + open.width).toBeCloseTo(baseline[0]! + baseline[2]!, 0);
    expect(select(first(root, 'g', 'legend')!, 'text').map((t) => t.text)).toContain('unfinished');
  });

  test('escapes stage names in bars and tooltips', async () => {
    const name = '<script>alert(1)</script> & co';
    const odd = stage({ thread: 'main' }, function odd() {
      return 1;
    });
    const result = await new Pipeline().addStage(odd().named(name)).start(noStore);
    const svg = timelineSvg(result, { name: '<i>x</i>' });
    expect(svg).not.toContain('<script>');
    const { root, bars } = await readTimeline(svg);
    expect(select(root, 'script')).toHaveLength(0);
    expect(bars.map((b) => b.stage)).toEqual([name]);
    expect(bars[0]!.tooltip.startsWith(name)).toBe(true);
  });
});
