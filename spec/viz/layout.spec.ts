import { Pipeline, stage, type Stage } from 'tsdags';
import {
  chooseAlgorithm,
  layeredMaxNodes,
  layoutGraph,
  packedMaxNodes,
  sugiyamaMaxNodes,
} from '../../lib/viz/layout.js';
import { pipelineSvg } from '../../lib/viz/pipeline-svg.js';
import { closeSvgParser, expectSoundDag } from './read-svg.js';
import { seedPipeline } from './runs.js';

afterAll(closeSvgParser);

const step = stage({ thread: 'main' }, function step() {
  return 0;
});

// A chain of n stages; with `report`, one more stage after all of them (its edges get long).
function chain(n: number, report = false): Pipeline {
  const stages: Stage[] = [];
  for (let i = 0; i < n; i++) stages.push(step().named(`c${i}`).after(stages.slice(-1)));
  if (report) stages.push(step().named('report').after(stages));
  return new Pipeline().addStages(stages);
}

describe('chooseAlgorithm()', () => {
  test("picks d3-dag's Sugiyama for small graphs, fast operators above, then packed layers, then the grid", () => {
    expect(chooseAlgorithm(seedPipeline().graph())).toBe('sugiyama');
    expect(chooseAlgorithm(chain(sugiyamaMaxNodes).graph())).toBe('sugiyama');
    expect(chooseAlgorithm(chain(sugiyamaMaxNodes + 1).graph())).toBe('layered');
    expect(chooseAlgorithm(chain(layeredMaxNodes).graph())).toBe('layered');
    expect(chooseAlgorithm(chain(layeredMaxNodes + 1).graph())).toBe('packed');
  });

  test('counts the dummy nodes that long edges make', () => {
    // 15 stages in a chain and one after all of them: 16 stages and 14 + 13 + ... + 0 = 105 dummies.
    expect(16 + 105).toBeGreaterThan(sugiyamaMaxNodes);
    expect(chooseAlgorithm(chain(15, true).graph())).toBe('layered');
    // 400 stages and one after them: 79,800 dummies.
    expect((400 * 399) / 2).toBeGreaterThan(packedMaxNodes);
    expect(chooseAlgorithm(chain(400, true).graph())).toBe('grid');
  });
});

describe('layoutGraph()', () => {
  test('returns a box per stage and the edges in the order of the graph', () => {
    const graph = seedPipeline().graph();
    const layout = layoutGraph(graph, () => [80, 30]);
    expect(layout.boxes).toHaveLength(6);
    expect(layout.edges.map((e) => e.edge)).toEqual([0, 1, 2, 3, 4, 5]);
    for (const e of layout.edges) {
      expect(e.from).toBe(graph.parents[e.edge]);
      expect(graph.parentStart[e.to]! <= e.edge && e.edge < graph.parentStart[e.to + 1]!).toBe(true);
    }
  });

  test('draws a graph whose long edges send it to the grid layout, still sound', async () => {
    const graph = chain(400, true).graph();
    await expectSoundDag(pipelineSvg(graph), 401, graph.parents.length);
  });
});
