import type { RunResult } from '../run/run-result.js';
import { assignRows, attemptBars, sortLanes, type AttemptBar } from './attempts.js';
import { criticalPath } from './critical-path.js';
import { tooltipText } from './dag-drawing.js';
import { drawLegend, type LegendItem } from './legend.js';
import { ink, outcomeColors, type AttemptOutcome } from './palette.js';
import { formatDuration } from './stage-states.js';
import { el, font, num, svgDocument, textEl, titleEl } from './svg.js';
import { fitText, textWidth } from './text-metrics.js';
import { secondsLabel, ticks } from './time-axis.js';

/** How `timelineSvg` draws. */
export interface TimelineSvgOptions {
  /** The pipeline's name, in the heading and the document title; default `'run'`. */
  readonly name?: string;
  /** The width of the time axis in pixels; default 960. */
  readonly width?: number;
}

const margin = 20;
const headingHeight = 36;
const row = { height: 24, bar: 18 } as const;
const axisHeight = 40;
const legendGap = 8;

/**
 * A finished run's timeline (Gantt chart) as an SVG document: a lane per thread or remote worker,
 * a bar per attempt coloured by how it ended, a time axis in seconds, and the critical path (the
 * chain of stages that ended last) outlined and linked.
 *
 * @example
 * const result = await pipeline.run().done;
 * await writeSvg('timeline.svg', timelineSvg(result));
 */
export function timelineSvg(result: RunResult, options: TimelineSvgOptions = {}): string {
  const name = options.name ?? 'run';
  const plotWidth = options.width ?? 960;
  const bars = attemptBars(result);
  const lanes = sortLanes(bars.map((b) => b.lane));
  const { row: rowOf, rowsPerLane } = assignRows(bars);
  const laneTop = new Map<string, number>();
  let y = 0;
  for (const lane of lanes) {
    laneTop.set(lane, y);
    y += (rowsPerLane.get(lane) ?? 1) * row.height;
  }
  const plotHeight = Math.max(y, row.height);

  const labelWidth = Math.ceil(Math.max(60, ...lanes.map((l) => textWidth(l, font.size)))) + 16;
  const left = margin + labelWidth;
  const top = margin + headingHeight;
  const t0 = result.startedAt;
  const span = Math.max(result.finishedAt - t0, 1e-3);
  const x = (t: number): number => left + ((t - t0) / span) * plotWidth;
  const barY = (i: number): number => top + laneTop.get(bars[i]!.lane)! + rowOf[i]! * row.height + 3;

  // The critical path: each of its stages' last attempt.
  const graph = result.graph;
  const records = result.stages;
  const path = criticalPath(graph, (i) => records[graph.names[i]!]?.finishedAt);
  const lastBar = new Map<string, number>();
  bars.forEach((b, i) => lastBar.set(b.stage, i));
  const critical = new Set<number>();
  for (const s of path) {
    const i = lastBar.get(graph.names[s]!);
    if (i !== undefined) critical.add(i);
  }

  const heading =
    `${name} ${result.runId} · ${result.status} · ${formatDuration(result.durationMs)} · ` +
    `${bars.length} ${bars.length === 1 ? 'attempt' : 'attempts'} on ${lanes.length} ` +
    `${lanes.length === 1 ? 'lane' : 'lanes'}`;
  const legend = drawLegend(
    legendItems(bars),
    margin,
    top + plotHeight + axisHeight + legendGap,
    left + plotWidth,
  );
  const width =
    Math.max(left + plotWidth, margin + legend.width, margin + textWidth(heading, font.size)) + margin;
  const height = top + plotHeight + axisHeight + legendGap + legend.height + margin;

  const body = [
    textEl('text', { x: margin, y: margin + 14, fill: ink.text, 'font-weight': 600 }, heading),
    laneBands(lanes, laneTop, rowsPerLane, top, left, plotWidth),
    axis(span, x, t0, top, plotHeight, plotWidth, left),
    criticalLinks(path, graph.names, lastBar, bars, x, barY),
    el(
      'g',
      { class: 'bars' },
      `\n${bars.map((b, i) => bar(b, i, x, barY, critical.has(i), t0)).join('\n')}\n`,
    ),
    legend.svg,
  ];
  return svgDocument({ width, height, title: `${name} ${result.runId}: timeline`, body: body.join('\n') });
}

function laneBands(
  lanes: readonly string[],
  laneTop: ReadonlyMap<string, number>,
  rowsPerLane: ReadonlyMap<string, number>,
  top: number,
  left: number,
  plotWidth: number,
): string {
  const out = lanes.map((lane, k) => {
    const y = top + laneTop.get(lane)!;
    const h = (rowsPerLane.get(lane) ?? 1) * row.height;
    return (
      el('rect', { x: left, y, width: plotWidth, height: h, fill: k % 2 === 0 ? '#f8fafc' : '#ffffff' }) +
      textEl(
        'text',
        {
          class: 'lane',
          'data-lane': lane,
          x: left - 8,
          y: y + h / 2 + 4,
          'text-anchor': 'end',
          fill: ink.text,
        },
        lane,
      )
    );
  });
  return el('g', { class: 'lanes' }, out.join(''));
}

function axis(
  span: number,
  x: (t: number) => number,
  t0: number,
  top: number,
  plotHeight: number,
  plotWidth: number,
  left: number,
): string {
  const { values, step } = ticks(span / 1000);
  const bottom = top + plotHeight;
  const out = [el('path', { d: `M${num(left)},${num(bottom)}h${num(plotWidth)}`, stroke: ink.muted })];
  for (const s of values) {
    const tx = x(t0 + s * 1000);
    if (tx > left + plotWidth + 0.5) break;
    out.push(
      el('path', { d: `M${num(tx)},${num(top)}V${num(bottom + 5)}`, stroke: ink.grid }),
      textEl(
        'text',
        { x: tx, y: bottom + 18, 'text-anchor': 'middle', fill: ink.muted, 'font-size': font.small },
        secondsLabel(s, step),
      ),
    );
  }
  out.push(
    textEl(
      'text',
      {
        x: left + plotWidth / 2,
        y: bottom + 34,
        'text-anchor': 'middle',
        fill: ink.muted,
        'font-size': font.small,
      },
      'seconds since the run started',
    ),
  );
  return el('g', { class: 'axis' }, out.join(''));
}

function bar(
  b: AttemptBar,
  i: number,
  x: (t: number) => number,
  barY: (i: number) => number,
  critical: boolean,
  t0: number,
): string {
  const x0 = x(b.start);
  const w = Math.max(1, x(b.end) - x0);
  const y = barY(i);
  const label = fitText(b.stage, w - 8, font.small);
  const lines = [
    `${b.stage} · attempt ${b.attempt} · ${b.outcome}`,
    `${formatDuration(b.start - t0)} → ${formatDuration(b.end - t0)} (${formatDuration(b.end - b.start)}) on ${b.lane}`,
  ];
  if (critical) lines.push('on the critical path');
  if (b.error) lines.push(b.error);
  const attrs = {
    class: 'bar',
    'data-stage': b.stage,
    'data-attempt': b.attempt,
    'data-lane': b.lane,
    'data-outcome': b.outcome,
    'data-critical': critical ? 'true' : undefined,
  };
  const parts = [
    titleEl(tooltipText(lines.join('\n'))),
    el('rect', {
      x: x0,
      y,
      width: w,
      height: row.bar,
      rx: 3,
      fill: outcomeColors[b.outcome],
      // A white edge keeps back-to-back attempts on one thread apart.
      stroke: critical ? ink.critical : '#ffffff',
      'stroke-width': critical ? 2 : 1,
    }),
  ];
  // A label where it fits whole, or at least its first four characters: "st…" says nothing.
  if (label === b.stage || [...label].length >= 5) {
    parts.push(textEl('text', { x: x0 + 4, y: y + 13, fill: '#ffffff', 'font-size': font.small }, label));
  }
  return el('g', attrs, parts.join(''));
}

// Lines from each critical stage's end to the start of the next one, under the bars: the outlines
// mark the path, the lines only join them where they cross the gaps, never over a label.
function criticalLinks(
  path: readonly number[],
  names: readonly string[],
  lastBar: ReadonlyMap<string, number>,
  bars: readonly AttemptBar[],
  x: (t: number) => number,
  barY: (i: number) => number,
): string {
  const out: string[] = [];
  for (let k = 1; k < path.length; k++) {
    const a = lastBar.get(names[path[k - 1]!]!);
    const b = lastBar.get(names[path[k]!]!);
    if (a === undefined || b === undefined) continue;
    const d = `M${num(x(bars[a]!.end))},${num(barY(a) + row.bar / 2)}L${num(x(bars[b]!.start))},${num(barY(b) + row.bar / 2)}`;
    out.push(
      el('path', { class: 'critical-link', d, stroke: ink.critical, 'stroke-width': 1.5, fill: 'none' }),
    );
  }
  return el('g', { class: 'critical-path' }, out.join(''));
}

const outcomeOrder: readonly AttemptOutcome[] = ['succeeded', 'failed', 'cancelled', 'cached', 'unfinished'];

// The four outcomes always, so pictures compare; `unfinished` only when a bar is.
function legendItems(bars: readonly AttemptBar[]): LegendItem[] {
  const unfinished = bars.some((b) => b.outcome === 'unfinished');
  const items: LegendItem[] = outcomeOrder
    .filter((o) => o !== 'unfinished' || unfinished)
    .map((o) => ({ kind: 'box', label: o, fill: outcomeColors[o], stroke: '#ffffff' }));
  items.push({
    kind: 'box',
    label: 'critical path',
    fill: outcomeColors.succeeded,
    stroke: ink.critical,
    strokeWidth: 2,
  });
  return items;
}
