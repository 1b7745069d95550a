import {
  coordCenter,
  coordGreedy,
  decrossDfs,
  graph as dagGraph,
  grid,
  layeringLongestPath,
  sugiyama,
  type GraphNode,
  type MutGraph,
  type SugiNode,
} from 'd3-dag';
import type { Graph } from '../graph/graph.js';
import { decrossBarycenter } from './decross-barycenter.js';
import { attachEnds, type Box, type Point, type Ports, type Route } from './edge-path.js';

/**
 * Which d3-dag layout draws the graph:
 * - `'sugiyama'`: d3-dag's default Sugiyama (simplex layering, two-layer decrossing, simplex
 *   coordinates): the nicest, but its costs grow fast (its crossing count is quadratic in a layer's
 *   width; its layering and coordinates solve linear or quadratic programs).
 * - `'layered'`: Sugiyama with fast operators: longest-path layering, a depth-first order then
 *   barycenter sweeps (`decrossBarycenter`), greedy coordinates that align long edges.
 * - `'packed'`: the same with centred coordinates (each layer packed in the middle): linear time,
 *   for thousands of stages.
 * - `'grid'`: d3-dag's grid (one stage per row, edges in lanes): no dummy nodes, for graphs whose
 *   long edges would give a layered layout millions of them.
 */
export type LayoutAlgorithm = 'sugiyama' | 'layered' | 'packed' | 'grid';

export interface LayoutOptions {
  /** Default `'auto'`: picked from the graph's size (see `chooseAlgorithm`). */
  readonly algorithm?: LayoutAlgorithm | 'auto';
  /** Layers stacked `'down'` (default) or laid `'right'`. */
  readonly direction?: 'down' | 'right';
}

export interface LaidEdge {
  /** The edge's index in the graph's parent arrays. */
  readonly edge: number;
  readonly from: number;
  readonly to: number;
  /** True for a data edge (the parent's result is an argument), false for `.after()`. */
  readonly data: boolean;
  /** From the source box's border, through the bends, to the target box's border. */
  readonly points: readonly Point[];
}

export interface Layout {
  readonly algorithm: LayoutAlgorithm;
  readonly ports: Ports;
  readonly width: number;
  readonly height: number;
  /** Boxes by stage index. */
  readonly boxes: readonly Box[];
  readonly edges: readonly LaidEdge[];
}

// Sizes count nodes as Sugiyama does: stages plus the dummy nodes long edges are cut into.
// Measured with scripts/viz-timings.ts on a shared 2-core machine: d3-dag's default
// Sugiyama takes 0.1-0.2 s at 100 nodes and about 1 s at 280; greedy coordinates pass 1 s at a
// few thousand; centred ones lay out 10,000 stages in 1-3 s; past 60,000 nodes, time and memory
// go to the dummies, which the grid does not have.
export const sugiyamaMaxNodes = 100;
export const layeredMaxNodes = 3000;
export const packedMaxNodes = 60_000;

/** The gaps between boxes: across a layer, and between layers. */
export const gap = { across: 24, between: 44, betweenSideways: 64 } as const;

/**
 * The layout for a graph by its size in nodes (stages plus the dummies a longest-path layering
 * makes, O(V + E) to count): Sugiyama while it is small, then the fast operators, then centred
 * coordinates, and the grid when long edges would make too many dummies.
 */
export function chooseAlgorithm(graph: Graph): LayoutAlgorithm {
  const n = graph.stages.length;
  const layer = new Int32Array(n);
  let nodes = n;
  for (const i of graph.order) {
    let top = 0;
    for (let e = graph.parentStart[i]!; e < graph.parentStart[i + 1]!; e++) {
      top = Math.max(top, layer[graph.parents[e]!]! + 1);
    }
    layer[i] = top;
    for (let e = graph.parentStart[i]!; e < graph.parentStart[i + 1]!; e++) {
      nodes += top - layer[graph.parents[e]!]! - 1;
    }
  }
  if (nodes <= sugiyamaMaxNodes) return 'sugiyama';
  if (nodes <= layeredMaxNodes) return 'layered';
  return nodes <= packedMaxNodes ? 'packed' : 'grid';
}

/** Lays out the graph with boxes of the given sizes (width, height by stage index). */
export function layoutGraph(
  graph: Graph,
  size: (stage: number) => readonly [number, number],
  options: LayoutOptions = {},
): Layout {
  const algorithm =
    options.algorithm === undefined || options.algorithm === 'auto'
      ? chooseAlgorithm(graph)
      : options.algorithm;
  const right = options.direction === 'right';
  const ports: Ports = algorithm === 'grid' ? 'free' : right ? 'right' : 'down';
  const n = graph.stages.length;
  if (n === 0) return { algorithm, ports, width: 0, height: 0, boxes: [], edges: [] };

  // d3-dag lays layers top to bottom; for 'right' it lays the transposed boxes, then we transpose back.
  const sizes = Array.from({ length: n }, (_, i) => {
    const [w, h] = size(i);
    return right ? ([h, w] as const) : ([w, h] as const);
  });
  const dag: MutGraph<number, number> = dagGraph<number, number>();
  const nodes = sizes.map((_, i) => dag.node(i));
  for (let i = 0; i < n; i++) {
    for (let e = graph.parentStart[i]!; e < graph.parentStart[i + 1]!; e++) {
      dag.link(nodes[graph.parents[e]!]!, nodes[i]!, e);
    }
  }
  const nodeSize = (node: GraphNode<number, number>): readonly [number, number] => sizes[node.data]!;
  const gaps = right ? ([gap.betweenSideways, gap.across] as const) : ([gap.across, gap.between] as const);
  const { width, height } = run(algorithm, dag, nodeSize, gaps);

  const flip = (x: number, y: number): Point => (right ? [y, x] : [x, y]);
  const boxes: Box[] = nodes.map((node, i) => {
    const [w, h] = size(i);
    const [cx, cy] = flip(node.x, node.y);
    return { x: cx - w / 2, y: cy - h / 2, width: w, height: h };
  });
  const routes: (Route & { edge: number })[] = [];
  for (const link of dag.links()) {
    const points = link.points.map(([x, y]) => flip(x, y));
    routes.push({ edge: link.data, from: link.source.data, to: link.target.data, points });
  }
  attachEnds(routes, boxes, ports);
  const edges: LaidEdge[] = routes.map((r) => ({ ...r, data: graph.parentIsData[r.edge] === 1 }));
  edges.sort((a, b) => a.edge - b.edge);
  const [w, h] = right ? [height, width] : [width, height];
  return { algorithm, ports, width: w, height: h, boxes, edges };
}

function run(
  algorithm: LayoutAlgorithm,
  dag: MutGraph<number, number>,
  nodeSize: (node: GraphNode<number, number>) => readonly [number, number],
  gaps: readonly [number, number],
): { width: number; height: number } {
  switch (algorithm) {
    case 'sugiyama':
      return sugiyama().nodeSize(nodeSize).gap(gaps)(dag);
    case 'layered':
    case 'packed':
      return sugiyama()
        .layering(layeringLongestPath())
        .decross(depthFirstThenBarycenter)
        .coord(algorithm === 'layered' ? coordGreedy() : coordCenter())
        .nodeSize(nodeSize)
        .gap(gaps)(dag);
    case 'grid':
      return grid().nodeSize(nodeSize).gap(gaps)(dag);
  }
}

const depthFirst = decrossDfs();
const barycenter = decrossBarycenter();
// d3-dag's depth-first order keeps trees untangled; the sweeps then pull neighbours together.
function depthFirstThenBarycenter(layers: SugiNode<number, number>[][]): void {
  depthFirst(layers);
  barycenter(layers);
}
