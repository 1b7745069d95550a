import type { RunResult } from '../run/run-result.js';
import { drawDag, tooltipText } from './dag-drawing.js';
import type { LegendItem } from './legend.js';
import type { LayoutOptions } from './layout.js';
import { stateSwatches, type DrawnState } from './palette.js';
import { edgeLegend } from './pipeline-svg.js';
import { formatDuration, stageSummaries, type StageSummary } from './stage-states.js';

/** How `runSvg` draws. */
export interface RunSvgOptions extends LayoutOptions {
  /** The pipeline's name, in the heading and the document title; default `'run'`. */
  readonly name?: string;
}

const states: readonly DrawnState[] = ['succeeded', 'failed', 'skipped', 'cancelled', 'cached', 'not run'];

/**
 * A finished run as an SVG document: the pipeline's drawing with each stage coloured by its final
 * state, its duration and attempts in its box, a legend, and a failed stage's error in its tooltip.
 *
 * @example
 * const result = await pipeline.run().done;
 * await writeSvg('run.svg', runSvg(result));
 */
export function runSvg(result: RunResult, options: RunSvgOptions = {}): string {
  const graph = result.graph;
  const summaries = stageSummaries(result);
  const legend: LegendItem[] = states.map((state) => ({
    kind: 'box',
    label: state,
    ...stateSwatches[state],
  }));
  if (graph.parents.length > 0) legend.push(...edgeLegend);
  const name = options.name ?? 'run';
  return drawDag(graph, {
    title: `${name} ${result.runId}: ${result.status}`,
    heading: `${name} ${result.runId} · ${result.status} · ${formatDuration(result.durationMs)}`,
    look: (i) => {
      const summary = summaries[i]!;
      const detail = detailLine(summary);
      const lines = [graph.names[i]!, detail];
      if (summary.error) lines.push(summary.error);
      if (summary.reason) lines.push(summary.reason);
      return {
        ...stateSwatches[summary.state],
        detail,
        tooltip: tooltipText(lines.join('\n')),
        attrs: {
          'data-state': summary.state,
          'data-attempts': summary.attempts,
          'data-duration-ms': summary.durationMs,
        },
      };
    },
    legend,
    layout: options,
  });
}

function detailLine(summary: StageSummary): string {
  const parts: string[] = [summary.state];
  if (summary.state !== 'cached' && summary.durationMs !== undefined) {
    parts.push(formatDuration(summary.durationMs));
  }
  if (summary.attempts > 0)
    parts.push(`${summary.attempts} ${summary.attempts === 1 ? 'attempt' : 'attempts'}`);
  return parts.join(' · ');
}
