import { Worker } from 'node:worker_threads';

/** An element of a parsed SVG document, as jsdom saw it. */
export interface SvgNode {
  readonly tag: string;
  readonly namespace: string | null;
  readonly attrs: Readonly<Record<string, string>>;
  /** The element's textContent: its text and its descendants'. */
  readonly text: string;
  readonly children: readonly SvgNode[];
}

// jsdom 29 requires an ES module from CommonJS, which Node 20.19+ does and jest's module loader
// does not: jsdom runs in a worker thread, outside jest, and sends the element tree back.
let worker: Worker | undefined;
let nextId = 0;
const waiting = new Map<number, { resolve: (tree: SvgNode) => void; reject: (error: Error) => void }>();

/** Parses an SVG document with jsdom (`image/svg+xml`); rejects when it is not well-formed XML. */
export function parseSvg(svg: string): Promise<SvgNode> {
  if (!worker) {
    worker = new Worker(new URL('./jsdom-worker.mjs', import.meta.url));
    worker.unref();
    worker.on('message', ({ id, tree, error }: { id: number; tree?: SvgNode; error?: string }) => {
      const call = waiting.get(id)!;
      waiting.delete(id);
      if (tree) call.resolve(tree);
      else call.reject(new Error(`jsdom could not parse the SVG: ${error}`));
    });
  }
  const id = nextId++;
  const done = new Promise<SvgNode>((resolve, reject) => waiting.set(id, { resolve, reject }));
  worker.postMessage({ id, svg });
  return done;
}

/** Stops the parser's worker thread (call in afterAll). */
export async function closeSvgParser(): Promise<void> {
  await worker?.terminate();
  worker = undefined;
}

/** Every element below `root` (itself included) that `match` accepts, in document order. */
export function findAll(root: SvgNode, match: (node: SvgNode) => boolean): SvgNode[] {
  const out: SvgNode[] = [];
  const walk = (node: SvgNode): void => {
    if (match(node)) out.push(node);
    node.children.forEach(walk);
  };
  walk(root);
  return out;
}

/** Elements by tag and, optionally, class. */
export function select(root: SvgNode, tag: string, className?: string): SvgNode[] {
  return findAll(
    root,
    (n) => n.tag === tag && (className === undefined || (n.attrs.class ?? '').split(' ').includes(className)),
  );
}

export function first(root: SvgNode, tag: string, className?: string): SvgNode | undefined {
  return select(root, tag, className)[0];
}

export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export function rectOf(node: SvgNode): Rect {
  return {
    x: Number(node.attrs.x),
    y: Number(node.attrs.y),
    width: Number(node.attrs.width),
    height: Number(node.attrs.height),
  };
}

export interface DrawnEdge {
  readonly from: string;
  readonly to: string;
  readonly kind: string | undefined;
  readonly dashed: boolean;
  readonly start: readonly [number, number];
  readonly end: readonly [number, number];
  readonly marker: string | undefined;
}

/** What a DAG drawing shows: each stage's `<g>` and box (by name), and each arrow. */
export interface DrawnDag {
  readonly root: SvgNode;
  readonly stages: SvgNode[];
  readonly boxes: Map<string, Rect>;
  readonly edges: DrawnEdge[];
  /** The translation of the group holding boxes and edges. */
  readonly offset: readonly [number, number];
}

export async function readDag(svg: string): Promise<DrawnDag> {
  const root = await parseSvg(svg);
  const stages = select(root, 'g', 'stage');
  const boxes = new Map(stages.map((g) => [g.attrs['data-stage']!, rectOf(first(g, 'rect')!)]));
  const edges = select(root, 'path', 'edge').map((path): DrawnEdge => {
    const numbers = (path.attrs.d ?? '').match(/-?\d+(\.\d+)?/g)!.map(Number);
    return {
      from: path.attrs['data-from']!,
      to: path.attrs['data-to']!,
      kind: path.attrs['data-kind'],
      dashed: 'stroke-dasharray' in path.attrs,
      start: [numbers[0]!, numbers[1]!],
      end: [numbers[numbers.length - 2]!, numbers[numbers.length - 1]!],
      marker: path.attrs['marker-end'],
    };
  });
  const group = findAll(root, (n) => n.tag === 'g' && n.children.some((c) => c.attrs.class === 'stages'))[0];
  const shift = /translate\(([-\d.]+),([-\d.]+)\)/.exec(group?.attrs.transform ?? '');
  const offset = shift ? ([Number(shift[1]), Number(shift[2])] as const) : ([0, 0] as const);
  return { root, stages, boxes, edges, offset };
}

/** True when the point lies on the rectangle's border (within `tolerance` pixels). */
export function onBorder(rect: Rect, [x, y]: readonly [number, number], tolerance = 0.6): boolean {
  const inside =
    x >= rect.x - tolerance &&
    x <= rect.x + rect.width + tolerance &&
    y >= rect.y - tolerance &&
    y <= rect.y + rect.height + tolerance;
  const distance = Math.min(
    Math.abs(x - rect.x),
    Math.abs(x - rect.x - rect.width),
    Math.abs(y - rect.y),
    Math.abs(y - rect.y - rect.height),
  );
  return inside && distance <= tolerance;
}

export function overlap(a: Rect, b: Rect): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

/** Pairs of names whose rectangles overlap. */
export function overlapping(rects: ReadonlyMap<string, Rect>): [string, string][] {
  const list = [...rects];
  const out: [string, string][] = [];
  for (let i = 0; i < list.length; i++) {
    for (let j = i + 1; j < list.length; j++) {
      if (overlap(list[i]![1], list[j]![1])) out.push([list[i]![0], list[j]![0]]);
    }
  }
  return out;
}

/** Each arrow whose ends are not on its stages' boxes, described for the failure message. */
export function detachedEdges(dag: DrawnDag): string[] {
  const out: string[] = [];
  for (const e of dag.edges) {
    const from = dag.boxes.get(e.from);
    const to = dag.boxes.get(e.to);
    if (!from || !to) out.push(`${e.from} -> ${e.to}: no box`);
    else if (!onBorder(from, e.start)) out.push(`${e.from} -> ${e.to}: starts at ${e.start.join(',')}`);
    else if (!onBorder(to, e.end)) out.push(`${e.from} -> ${e.to}: ends at ${e.end.join(',')}`);
  }
  return out;
}

/** The root's width, height and viewBox, which every drawing must set. */
export function documentSize(root: SvgNode): { width: number; height: number; viewBox: string | undefined } {
  return { width: Number(root.attrs.width), height: Number(root.attrs.height), viewBox: root.attrs.viewBox };
}

/** Rectangles stay inside the document. */
export function outside(
  rects: Iterable<Rect>,
  root: SvgNode,
  [dx, dy]: readonly [number, number] = [0, 0],
): Rect[] {
  const { width, height } = documentSize(root);
  return [...rects].filter(
    (r) => r.x + dx < 0 || r.y + dy < 0 || r.x + dx + r.width > width || r.y + dy + r.height > height,
  );
}

/**
 * Checks a DAG drawing: as many boxes and arrows as stages and edges, no boxes overlapping, every
 * arrow from its upstream box's border to its downstream box's, everything inside the document.
 */
export async function expectSoundDag(svg: string, stages: number, edges: number): Promise<DrawnDag> {
  const dag = await readDag(svg);
  expect(dag.stages).toHaveLength(stages);
  expect(dag.edges).toHaveLength(edges);
  expect(overlapping(dag.boxes)).toEqual([]);
  expect(detachedEdges(dag)).toEqual([]);
  const { width, height, viewBox } = documentSize(dag.root);
  expect(viewBox).toBe(`0 0 ${width} ${height}`);
  expect(outside(dag.boxes.values(), dag.root, dag.offset)).toEqual([]);
  return dag;
}
