import { Pipeline, stage, type Stage } from 'tsdags';
import { pipelineSvg } from '../../lib/viz/pipeline-svg.js';
import type { LayoutAlgorithm } from '../../lib/viz/layout.js';
import { closeSvgParser, documentSize, expectSoundDag, findAll, first, readDag, select } from './read-svg.js';

afterAll(closeSvgParser);

const task = stage({ thread: 'main' }, function task(n: number) {
  return n;
});
const sum = stage({ thread: 'main' }, function sum(...values: number[]) {
  return values.reduce((a, b) => a + b, 0);
});

/**
 * The seed's six stages, with stage_6 taking stage_3 and stage_4 as data:
 *
 *   stage_1   stage_2
 *      :      :     :        (: order only, .after())
 *   stage_5 stage_3 stage_4
 *       :      |     |       (| data)
 *          stage_6
 */
function seed(): Pipeline {
  const s1 = task(1).named('stage_1');
  const s2 = task(2).named('stage_2');
  const s3 = task(3).named('stage_3').after(s2);
  const s4 = task(4).named('stage_4').after(s2);
  const s5 = task(5).named('stage_5').after(s1);
  const s6 = sum(s3, s4).named('stage_6').after(s5);
  return new Pipeline({ name: 'seed' }).addStages([s1, s2, s3, s4, s5, s6]);
}

// A layered DAG of `n` stages, each with up to three parents in the two layers above (seeded).
function layered(n: number, width: number): Pipeline {
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const stages: Stage<number>[] = [];
  for (let i = 0; i < n; i++) {
    const layer = Math.floor(i / width);
    const parents = new Set<Stage<number>>();
    for (let k = 0; layer > 0 && k < 1 + Math.floor(random() * 3); k++) {
      const from = Math.max(0, layer - 1 - (random() < 0.3 ? 1 : 0)) * width + Math.floor(random() * width);
      if (from < i) parents.add(stages[from]!);
    }
    const s = random() < 0.5 ? task(i) : sum(...[...parents].slice(0, 1));
    stages.push(s.named(`s${i}`).after([...parents]));
  }
  return new Pipeline().addStages(stages);
}

describe('pipelineSvg()', () => {
  test('draws a box per stage and an arrow per dependency, each arrow from its upstream box to its downstream box', async () => {
    const dag = await expectSoundDag(pipelineSvg(seed().graph(), { name: 'seed' }), 6, 6);
    expect([...dag.boxes.keys()].sort()).toEqual([
      'stage_1',
      'stage_2',
      'stage_3',
      'stage_4',
      'stage_5',
      'stage_6',
    ]);
    const arrows = dag.edges.map((e) => `${e.from}->${e.to}`).sort();
    expect(arrows).toEqual([
      'stage_1->stage_5',
      'stage_2->stage_3',
      'stage_2->stage_4',
      'stage_3->stage_6',
      'stage_4->stage_6',
      'stage_5->stage_6',
    ]);
    for (const e of dag.edges) expect(e.marker).toBe('url(#tsdags-arrow)');
    expect(findAll(dag.root, (n) => n.attrs.id === 'tsdags-arrow')[0]?.tag).toBe('marker');
    // Layers go down: every arrow leaves its box's bottom and enters the next one's top.
    for (const e of dag.edges) expect(e.end[1]).toBeGreaterThan(e.start[1]);
  });

  test('draws data edges solid and .after() edges dashed', async () => {
    const dag = await readDag(pipelineSvg(seed().graph()));
    const kinds = Object.fromEntries(dag.edges.map((e) => [`${e.from}->${e.to}`, [e.kind, e.dashed]]));
    expect(kinds).toEqual({
      'stage_1->stage_5': ['order', true],
      'stage_2->stage_3': ['order', true],
      'stage_2->stage_4': ['order', true],
      'stage_3->stage_6': ['data', false],
      'stage_4->stage_6': ['data', false],
      'stage_5->stage_6': ['order', true],
    });
    const legend = first(dag.root, 'g', 'legend')!.text;
    expect(legend).toContain('data');
    expect(legend).toContain('order only (.after())');
  });

  test.each<[LayoutAlgorithm, 'down' | 'right']>([
    ['sugiyama', 'down'],
    ['layered', 'down'],
    ['packed', 'down'],
    ['grid', 'down'],
    ['sugiyama', 'right'],
    ['layered', 'right'],
    ['packed', 'right'],
  ])('draws a sound picture with the %s layout, layers going %s', async (algorithm, direction) => {
    const dag = await expectSoundDag(pipelineSvg(seed().graph(), { algorithm, direction }), 6, 6);
    if (direction === 'right' && algorithm !== 'grid') {
      for (const e of dag.edges) expect(e.end[0]).toBeGreaterThan(e.start[0]);
    }
  });

  test.each(['auto', 'packed'] as const)(
    'draws a 150-stage pipeline with the %s layout, still sound',
    async (algorithm) => {
      const graph = layered(150, 12).graph();
      await expectSoundDag(pipelineSvg(graph, { algorithm }), 150, graph.parents.length);
    },
  );

  test.each(['sugiyama', 'layered', 'packed', 'grid'] as const)(
    'draws separate pieces of a pipeline side by side with the %s layout',
    async (algorithm) => {
      const a = task(1).named('a');
      const b = sum(a).named('b');
      const alone = task(2).named('alone');
      const c = task(3).named('c');
      const d = sum(c).named('d');
      const graph = new Pipeline().addStages([b, alone, d]).graph();
      await expectSoundDag(pipelineSvg(graph, { algorithm }), 5, 2);
    },
  );

  test('escapes stage names: markup in a name is text, and the file stays well-formed', async () => {
    const name = '<script>alert(1)</script> & co';
    const odd = 'quotes " and \' and \u0007bell';
    const a = task(1).named(name);
    const b = sum(a).named(odd);
    const svg = pipelineSvg(new Pipeline({ name: '<b>pipe</b>' }).addStage(b).graph(), {
      name: '<b>pipe</b>',
    });
    expect(svg).not.toContain('<script>');
    expect(svg).not.toContain('<b>');
    const dag = await readDag(svg);
    expect(select(dag.root, 'script')).toHaveLength(0);
    expect(select(dag.root, 'b')).toHaveLength(0);
    expect([...dag.boxes.keys()].sort()).toEqual([name, odd.replace('\u0007', '\uFFFD')].sort());
    const label = first(
      dag.stages.find((g) => g.attrs['data-stage'] === name)!,
      'text',
    )!;
    expect(label.text.startsWith('<script>')).toBe(true);
    expect(dag.root.children[0]).toMatchObject({ tag: 'title', text: '<b>pipe</b>' });
  });

  test('shortens a long name in its box and keeps it whole in the tooltip', async () => {
    const long = 'a_stage_with_a_name_far_too_long_to_fit_in_any_reasonable_box_of_a_picture';
    const dag = await readDag(pipelineSvg(new Pipeline().addStage(task(1).named(long)).graph()));
    const g = dag.stages[0]!;
    expect(first(g, 'text')!.text).toMatch(/^a_stage_with.*…$/);
    expect(first(g, 'title')!.text).toBe(long);
    expect(dag.boxes.get(long)!.width).toBeLessThanOrEqual(280);
  });

  test('draws an empty pipeline as an empty picture with its heading', async () => {
    const dag = await readDag(pipelineSvg(new Pipeline().graph()));
    expect(dag.stages).toHaveLength(0);
    expect(first(dag.root, 'text')!.text).toBe('pipeline · 0 stages');
    expect(documentSize(dag.root).width).toBeGreaterThan(0);
  });
});
