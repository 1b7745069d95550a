import { ink } from './palette.js';
import { el, font, textEl } from './svg.js';
import { textWidth } from './text-metrics.js';

export type LegendItem =
  | {
      readonly kind: 'box';
      readonly label: string;
      readonly fill: string;
      readonly stroke?: string;
      readonly strokeWidth?: number;
      readonly dashed?: boolean;
    }
  | { readonly kind: 'line'; readonly label: string; readonly dashed: boolean };

const rowHeight = 20;
const swatch = { width: 22, height: 13, gap: 8, after: 18 } as const;

function itemWidth(item: LegendItem): number {
  return swatch.width + swatch.gap + textWidth(item.label, font.small) + swatch.after;
}

/** The legend as rows no wider than `maxWidth` (an item wider than that gets a row of its own). */
export function drawLegend(
  items: readonly LegendItem[],
  left: number,
  top: number,
  maxWidth: number,
): { svg: string; width: number; height: number } {
  const out: string[] = [];
  let x = 0;
  let y = 0;
  let width = 0;
  for (const item of items) {
    const w = itemWidth(item);
    if (x > 0 && x + w > maxWidth) {
      x = 0;
      y += rowHeight;
    }
    out.push(drawItem(item, left + x, top + y + 14));
    x += w;
    width = Math.max(width, x - swatch.after);
  }
  const height = items.length === 0 ? 0 : y + rowHeight;
  return { svg: el('g', { class: 'legend' }, out.join('')), width, height };
}

function drawItem(item: LegendItem, x: number, baseline: number): string {
  const mark =
    item.kind === 'box'
      ? el('rect', {
          x,
          y: baseline - 10,
          width: swatch.width,
          height: swatch.height,
          rx: 3,
          fill: item.fill,
          stroke: item.stroke,
          'stroke-width': item.stroke ? (item.strokeWidth ?? 1.5) : undefined,
          'stroke-dasharray': item.dashed ? '4 2' : undefined,
        })
      : el('path', {
          d: `M${x},${baseline - 4}h${swatch.width}`,
          stroke: ink.edge,
          'stroke-width': 1.5,
          'stroke-dasharray': item.dashed ? '6 4' : undefined,
        });
  const label = textEl(
    'text',
    { x: x + swatch.width + swatch.gap, y: baseline, fill: ink.muted, 'font-size': font.small },
    item.label,
  );
  return mark + label;
}
