import type { Graph } from '../graph/graph.js';
import { drawDag } from './dag-drawing.js';
import type { LegendItem } from './legend.js';
import type { LayoutOptions } from './layout.js';

/** How `pipelineSvg` draws. */
export interface PipelineSvgOptions extends LayoutOptions {
  /** The pipeline's name, in the heading and the document title; default `'pipeline'`. */
  readonly name?: string;
}

const box = { fill: '#f8fafc', stroke: '#334155' } as const;

/** The legend's two edge kinds. */
export const edgeLegend: readonly LegendItem[] = [
  { kind: 'line', label: 'data (result passed as an argument)', dashed: false },
  { kind: 'line', label: 'order only (.after())', dashed: true },
];

/**
 * The pipeline as an SVG document: a box per stage, an arrow per dependency from upstream to
 * downstream, data edges solid and `.after()` edges dashed, laid out by d3-dag.
 *
 * @example
 * const svg = pipelineSvg(pipeline.graph(), { name: pipeline.name });
 * await writeSvg('pipeline.svg', svg);
 */
export function pipelineSvg(graph: Graph, options: PipelineSvgOptions = {}): string {
  const name = options.name ?? 'pipeline';
  const count = graph.stages.length;
  return drawDag(graph, {
    title: name,
    heading: `${name} · ${count} ${count === 1 ? 'stage' : 'stages'}`,
    look: (i) => ({ ...box, tooltip: graph.names[i]! }),
    legend: graph.parents.length > 0 ? edgeLegend : [],
    layout: options,
  });
}
