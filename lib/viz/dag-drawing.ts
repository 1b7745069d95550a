import type { Graph } from '../graph/graph.js';
import { pathData } from './edge-path.js';
import { layoutGraph, type Layout, type LayoutOptions } from './layout.js';
import { drawLegend, type LegendItem } from './legend.js';
import { ink } from './palette.js';
import { el, font, svgDocument, textEl, titleEl, type Attrs } from './svg.js';
import { fitText, textWidth } from './text-metrics.js';

/** How one stage's box looks. */
export interface BoxLook {
  readonly fill: string;
  readonly stroke: string;
  readonly dashed?: boolean;
  /** A line under the name (state, duration, attempts), in smaller type. */
  readonly detail?: string;
  /** The box's tooltip. */
  readonly tooltip: string;
  /** Extra attributes on the stage's `<g>` (data-state...). */
  readonly attrs?: Attrs;
}

export interface DagDrawing {
  readonly title: string;
  /** The line above the drawing. */
  readonly heading: string;
  readonly look: (stage: number) => BoxLook;
  readonly legend: readonly LegendItem[];
  readonly layout?: LayoutOptions;
}

const pad = { x: 12, margin: 20, headingHeight: 28, legendGap: 16, legendMinWidth: 520 } as const;
const box = { minWidth: 64, maxWidth: 280, oneLine: 34, twoLines: 48, radius: 6 } as const;
/** The dash pattern of order-only edges and of dashed box borders. */
export const dash = '6 4';

/** Arrowhead marker, shared by every edge. */
export const arrowMarker = el(
  'marker',
  {
    id: 'tsdags-arrow',
    viewBox: '0 0 10 10',
    refX: 10,
    refY: 5,
    markerWidth: 6,
    markerHeight: 6,
    markerUnits: 'strokeWidth',
    orient: 'auto',
  },
  el('path', { d: 'M0,0L10,5L0,10z', fill: ink.edge }),
);

/** The DAG drawn as boxes and arrows, laid out by d3-dag, with a heading and a legend. */
export function drawDag(graph: Graph, drawing: DagDrawing): string {
  const n = graph.stages.length;
  const looks = Array.from({ length: n }, (_, i) => drawing.look(i));
  const labels = graph.names.map((name) => fitText(name, box.maxWidth - 2 * pad.x, font.size));
  const details = looks.map(
    (look) => look.detail && fitText(look.detail, box.maxWidth - 2 * pad.x, font.small),
  );
  const sizes = labels.map((label, i): readonly [number, number] => {
    const detail = details[i];
    const inner = Math.max(textWidth(label, font.size), detail ? textWidth(detail, font.small) : 0);
    const width = Math.min(box.maxWidth, Math.max(box.minWidth, Math.ceil(inner + 2 * pad.x)));
    return [width, detail ? box.twoLines : box.oneLine];
  });
  const layout = layoutGraph(graph, (i) => sizes[i]!, drawing.layout);

  const headingWidth = textWidth(drawing.heading, font.size);
  const top = pad.margin + pad.headingHeight;
  const legendTop = top + layout.height + pad.legendGap;
  const legend = drawLegend(
    drawing.legend,
    pad.margin,
    legendTop,
    Math.max(layout.width, pad.legendMinWidth),
  );
  const width = Math.max(layout.width, legend.width, headingWidth) + 2 * pad.margin;
  const height = legendTop + legend.height + pad.margin;

  const body = [
    textEl(
      'text',
      { x: pad.margin, y: pad.margin + 14, fill: ink.text, 'font-weight': 600 },
      drawing.heading,
    ),
    el(
      'g',
      { transform: `translate(${pad.margin},${top})` },
      edges(graph, layout) + boxes(graph, layout, looks, labels, details),
    ),
    legend.svg,
  ];
  return svgDocument({ width, height, title: drawing.title, defs: arrowMarker, body: body.join('\n') });
}

function edges(graph: Graph, layout: Layout): string {
  const out: string[] = [];
  for (const edge of layout.edges) {
    const from = graph.names[edge.from]!;
    const to = graph.names[edge.to]!;
    const attrs = {
      class: 'edge',
      'data-from': from,
      'data-to': to,
      'data-kind': edge.data ? 'data' : 'order',
      d: pathData(edge.points, layout.ports),
      'stroke-dasharray': edge.data ? undefined : dash,
      'marker-end': 'url(#tsdags-arrow)',
    };
    out.push(el('path', attrs, titleEl(`${from} → ${to}${edge.data ? '' : ' (order only)'}`)));
  }
  return el(
    'g',
    { class: 'edges', fill: 'none', stroke: ink.edge, 'stroke-width': 1.5 },
    `\n${out.join('\n')}\n`,
  );
}

function boxes(
  graph: Graph,
  layout: Layout,
  looks: readonly BoxLook[],
  labels: readonly string[],
  details: readonly (string | undefined)[],
): string {
  const out: string[] = [];
  layout.boxes.forEach((b, i) => {
    const look = looks[i]!;
    const detail = details[i];
    const cx = b.x + b.width / 2;
    // Baselines: a single line sits in the middle; two lines share the box.
    const nameY = detail ? b.y + 20 : b.y + b.height / 2 + font.size * 0.36;
    const parts = [
      titleEl(look.tooltip),
      el('rect', {
        x: b.x,
        y: b.y,
        width: b.width,
        height: b.height,
        rx: box.radius,
        fill: look.fill,
        stroke: look.stroke,
        'stroke-width': 1.5,
        'stroke-dasharray': look.dashed ? dash : undefined,
      }),
      textEl('text', { x: cx, y: nameY, 'text-anchor': 'middle', fill: ink.text }, labels[i]!),
    ];
    if (detail) {
      parts.push(
        textEl(
          'text',
          { x: cx, y: b.y + 37, 'text-anchor': 'middle', fill: ink.muted, 'font-size': font.small },
          detail,
        ),
      );
    }
    const attrs = { class: 'stage', 'data-stage': graph.names[i]!, ...look.attrs };
    out.push(el('g', attrs, parts.join('')));
  });
  return el('g', { class: 'stages' }, `\n${out.join('\n')}\n`);
}

/** Text for a tooltip: long texts cut, so that a stack trace does not fill the screen. */
export function tooltipText(text: string, max = 2000): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}
