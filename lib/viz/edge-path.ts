import { num } from './svg.js';

export type Point = readonly [number, number];

/** A stage's box: top-left corner and size. */
export interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/**
 * How an edge meets its boxes: `'down'` leaves the bottom side and enters the top side (layers
 * stacked downwards), `'right'` leaves the right side and enters the left side, `'free'` crosses
 * the box border wherever the line from the centre to the next bend does (the grid layout's
 * lanes leave sideways).
 */
export type Ports = 'down' | 'right' | 'free';

/** An edge's bends before its ends are placed: the first and last points are the boxes' centres. */
export interface Route {
  readonly from: number;
  readonly to: number;
  points: Point[];
}

/**
 * Moves each route's first point (the source box's centre, as the layout gives it) onto the source
 * box's border and its last point onto the target's, so arrows touch the boxes instead of running
 * to their centres under them. With `'down'` or `'right'` ports, the edges leaving one side of a
 * box are spread along the middle of that side in the order of where they go, and likewise the edges
 * entering it, so that arrowheads do not pile up on one point.
 */
export function attachEnds(routes: readonly Route[], boxes: readonly Box[], ports: Ports): void {
  if (ports === 'free') {
    for (const r of routes) {
      if (r.points.length < 2) continue;
      r.points[0] = crossing(boxes[r.from]!, r.points[1]!);
      r.points[r.points.length - 1] = crossing(boxes[r.to]!, r.points[r.points.length - 2]!);
    }
    return;
  }
  const axis = ports === 'down' ? 0 : 1;
  const leaving = new Map<number, Route[]>();
  const entering = new Map<number, Route[]>();
  for (const r of routes) {
    if (r.points.length < 2) continue;
    push(leaving, r.from, r);
    push(entering, r.to, r);
  }
  const place = (groups: Map<number, Route[]>, out: boolean): void => {
    for (const [i, group] of groups) {
      const b = boxes[i]!;
      // Where each edge goes next (or comes from), across the layer direction.
      const toward = (r: Route): number => (out ? r.points[1]! : r.points[r.points.length - 2]!)[axis];
      group.sort((a, c) => toward(a) - toward(c));
      const [start, length] = axis === 0 ? [b.x, b.width] : [b.y, b.height];
      // Boxes are wide and low: across a short side, ends may come closer to the corners.
      const margin = axis === 0 ? 0.15 : 0.1;
      const side = axis === 0 ? (out ? b.y + b.height : b.y) : out ? b.x + b.width : b.x;
      group.forEach((r, k) => {
        const along = start + length * (margin + ((1 - 2 * margin) * (k + 0.5)) / group.length);
        const point: Point = axis === 0 ? [along, side] : [side, along];
        r.points[out ? 0 : r.points.length - 1] = point;
      });
    }
  };
  place(leaving, true);
  place(entering, false);
}

function push(map: Map<number, Route[]>, key: number, route: Route): void {
  const list = map.get(key);
  if (list) list.push(route);
  else map.set(key, [route]);
}

// Where the line from the box's centre to `toward` crosses the box's border.
function crossing(box: Box, toward: Point): Point {
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  const dx = toward[0] - cx;
  const dy = toward[1] - cy;
  if (dx === 0 && dy === 0) return [cx, cy];
  const t = Math.min(
    dx === 0 ? Infinity : box.width / 2 / Math.abs(dx),
    dy === 0 ? Infinity : box.height / 2 / Math.abs(dy),
  );
  return [cx + dx * t, cy + dy * t];
}

/**
 * SVG path data through the points: S-shaped cubic segments whose tangents follow the layer
 * direction (so the arrowhead points into the box), or straight segments for `'free'` ports.
 */
export function pathData(points: readonly Point[], ports: Ports): string {
  const [first, ...rest] = points;
  if (!first) return '';
  let d = `M${num(first[0])},${num(first[1])}`;
  let prev = first;
  for (const p of rest) {
    if (ports === 'down') {
      const my = (prev[1] + p[1]) / 2;
      d += `C${num(prev[0])},${num(my)} ${num(p[0])},${num(my)} ${num(p[0])},${num(p[1])}`;
    } else if (ports === 'right') {
      const mx = (prev[0] + p[0]) / 2;
      d += `C${num(mx)},${num(prev[1])} ${num(mx)},${num(p[1])} ${num(p[0])},${num(p[1])}`;
    } else {
      d += `L${num(p[0])},${num(p[1])}`;
    }
    prev = p;
  }
  return d;
}
