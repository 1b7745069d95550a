import { criticalPath } from '../../lib/viz/critical-path.js';
import { seedPipeline } from './runs.js';

/**
 *   stage_1   stage_2
 *      |      /     \
 *   stage_5 stage_3 stage_4
 *       \      |     /
 *          stage_6
 */
const graph = seedPipeline().graph();
const index = (name: string) => graph.stages.findIndex((s) => s.name === name);
const names = (path: number[]) => path.map((i) => graph.stages[i]!.name);
const at = (times: Record<string, number>) => (i: number) => times[graph.stages[i]!.name];

describe('criticalPath()', () => {
  test('walks back from the stage that finished last through the parent that finished last', () => {
    const times = { stage_1: 10, stage_2: 5, stage_3: 30, stage_4: 20, stage_5: 25, stage_6: 40 };
    expect(names(criticalPath(graph, at(times)))).toEqual(['stage_2', 'stage_3', 'stage_6']);
    expect(names(criticalPath(graph, at({ ...times, stage_5: 35 })))).toEqual([
      'stage_1',
      'stage_5',
      'stage_6',
    ]);
  });

  test('ends at the latest stage even when the sink never finished, and skips parents that never finished', () => {
    const times = { stage_1: 10, stage_5: 50, stage_2: 5, stage_4: 20 };
    expect(names(criticalPath(graph, at(times)))).toEqual(['stage_1', 'stage_5']);
    expect(names(criticalPath(graph, at({ stage_3: 9 })))).toEqual(['stage_3']);
  });

  test('is empty when no stage finished', () => {
    expect(criticalPath(graph, () => undefined)).toEqual([]);
    expect(index('stage_6')).toBeGreaterThanOrEqual(0);
  });
});
