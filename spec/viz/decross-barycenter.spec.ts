import { graph, type SugiNode } from 'd3-dag';
import { decrossBarycenter } from '../../lib/viz/decross-barycenter.js';

/**
 *   a   b   x        a   b   x
 *    \ /             |   |
 *    / \      ->     |   |
 *   d   c            c   d   (x has no child: keeps its place)
 */
test('decrossBarycenter() orders each layer by its neighbours, so that crossed edges uncross', () => {
  const dag = graph<string, undefined>();
  const node = new Map(['a', 'b', 'x', 'c', 'd'].map((name) => [name, dag.node(name)]));
  const at = (name: string) => node.get(name)!;
  dag.link(at('a'), at('c'));
  dag.link(at('b'), at('d'));
  const layers = [
    [at('a'), at('b'), at('x')],
    [at('d'), at('c')],
  ] as unknown as SugiNode<number, number>[][];
  decrossBarycenter()(layers);
  const names = layers.map((layer) => layer.map((node) => (node as unknown as { data: string }).data));
  expect(names).toEqual([
    ['a', 'b', 'x'],
    ['c', 'd'],
  ]);
});
