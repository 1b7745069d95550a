/**
 * How long `pipelineSvg()` takes (d3-dag layout plus the SVG text) on the benchmark workloads and
 * the real WfCommons workflows, with the layout `auto` picks and, for small graphs, with each
 * layout forced: the numbers behind `sugiyamaMaxNodes` and `layeredMaxNodes` in lib/viz/layout.ts.
 *
 *   npx tsx scripts/viz-timings.ts              # everything
 *   npx tsx scripts/viz-timings.ts layered:1000 # some workloads (bench names or WfCommons names)
 *
 * `first` is the first drawing of that graph in this process (its CPU time in brackets: other
 * processes on the machine do not inflate it), `best` the best of three more.
 */
import { Pipeline, stage, type Graph, type Stage } from '../lib/index.js';
import { chooseAlgorithm, type LayoutAlgorithm } from '../lib/viz/layout.js';
import { pipelineSvg } from '../lib/viz/pipeline-svg.js';
import type { Dag } from '../bench/dag.js';
import { loadWorkflow, workflowNames } from '../bench/wfcommons.js';
import { workload } from '../bench/workloads.js';

const node = stage({ thread: 'main' }, function node() {
  return 0;
});

function graphOf(dag: Dag): Graph {
  const stages: Stage[] = [];
  for (let i = 0; i < dag.size; i++) {
    const parents: Stage[] = [];
    for (let e = dag.parentStart[i]!; e < dag.parentStart[i + 1]!; e++)
      parents.push(stages[dag.parents[e]!]!);
    stages.push(node().named(`s${i}`).after(parents));
  }
  return new Pipeline().addStages(stages).graph();
}

// Dummy nodes a longest-path layering makes: what the layered layouts pay for beyond the stages.
function dummies(graph: Graph): number {
  const layer = new Int32Array(graph.stages.length);
  let count = 0;
  for (const i of graph.order) {
    let top = 0;
    for (let e = graph.parentStart[i]!; e < graph.parentStart[i + 1]!; e++) {
      top = Math.max(top, layer[graph.parents[e]!]! + 1);
    }
    layer[i] = top;
    for (let e = graph.parentStart[i]!; e < graph.parentStart[i + 1]!; e++)
      count += top - layer[graph.parents[e]!]! - 1;
  }
  return count;
}

// A chain and one stage after every stage of it: n(n-1)/2 dummy nodes, the layered layouts' worst case.
function chainAndReport(n: number): Dag {
  const parentStart = new Int32Array(n + 2);
  const parents: number[] = [];
  for (let i = 0; i <= n; i++) {
    parentStart[i] = parents.length;
    if (i === n) for (let k = 0; k < n; k++) parents.push(k);
    else if (i > 0) parents.push(i - 1);
  }
  parentStart[n + 1] = parents.length;
  return {
    name: `chain+report:${n}`,
    size: n + 1,
    parentStart,
    parents: Int32Array.from(parents),
    work: new Float64Array(n + 1),
  };
}

// Layers about sqrt(n) wide, each stage with 1 to 3 parents in the one or two layers above (seeded):
// smaller and deeper than the bench's layered workloads, whose first layer alone is 50 to 150 wide.
function narrow(n: number): Dag {
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const width = Math.max(1, Math.round(Math.sqrt(n)));
  const parentStart = new Int32Array(n + 1);
  const parents: number[] = [];
  for (let i = 0; i < n; i++) {
    parentStart[i] = parents.length;
    const layer = Math.floor(i / width);
    const mine = new Set<number>();
    for (let k = 0; layer > 0 && k < 1 + Math.floor(random() * 3); k++) {
      const p = Math.max(0, layer - 1 - (random() < 0.2 ? 1 : 0)) * width + Math.floor(random() * width);
      if (p < i) mine.add(p);
    }
    parents.push(...[...mine].sort((a, b) => a - b));
  }
  parentStart[n] = parents.length;
  return {
    name: `narrow:${n}`,
    size: n,
    parentStart,
    parents: Int32Array.from(parents),
    work: new Float64Array(n),
  };
}

function dagNamed(name: string): Dag {
  if (name.startsWith('chain+report:')) return chainAndReport(Number(name.split(':')[1]));
  if (name.startsWith('narrow:')) return narrow(Number(name.split(':')[1]));
  if (name.includes(':')) return workload(name);
  return loadWorkflow(name, 1, 1000).dag;
}

interface Timing {
  /** Wall-clock milliseconds of the first drawing, and the best of three more. */
  first: number;
  best: number;
  /** CPU milliseconds of the first drawing (user + system): what a loaded machine does not inflate. */
  cpu: number;
  kb: number;
}

function time(graph: Graph, algorithm: LayoutAlgorithm | 'auto'): Timing {
  const cpu0 = process.cpuUsage();
  let t = performance.now();
  const svg = pipelineSvg(graph, { algorithm });
  const first = performance.now() - t;
  const used = process.cpuUsage(cpu0);
  let best = Infinity;
  // Big graphs once only: a second drawing would tell nothing new and take long.
  for (let k = 0; k < (first > 2000 ? 0 : 3); k++) {
    t = performance.now();
    pipelineSvg(graph, { algorithm });
    best = Math.min(best, performance.now() - t);
  }
  return { first, best, cpu: (used.user + used.system) / 1000, kb: svg.length / 1024 };
}

const defaults = [
  'narrow:20',
  'narrow:40',
  'narrow:60',
  'narrow:100',
  'narrow:200',
  'narrow:1000',
  'narrow:10000',
  'layered:200',
  'layered:1000',
  'layered:10000',
  'chain:1000',
  'chain:10000',
  'fan:1000',
  'fan:10000',
  'chain+report:300',
  'chain+report:1000',
  'chain+report:10000',
  ...workflowNames(),
];
const names = process.argv.length > 2 ? process.argv.slice(2) : defaults;
const ms = (v: number) => (Number.isFinite(v) ? `${v.toFixed(0)} ms` : '-');

console.log(
  'workload | stages | edges | dummies | auto picks | auto: first (cpu), best | sugiyama forced: first (cpu), best | SVG',
);
console.log('---|---:|---:|---:|---|---:|---:|---:');
for (const name of names) {
  const graph = graphOf(dagNamed(name));
  const picked = chooseAlgorithm(graph);
  const auto = time(graph, 'auto');
  // The default Sugiyama only where it ends in seconds: the threshold's evidence.
  const forced = graph.stages.length <= 200 && picked !== 'sugiyama' ? time(graph, 'sugiyama') : undefined;
  console.log(
    [
      name,
      graph.stages.length,
      graph.parents.length,
      dummies(graph),
      picked,
      `${ms(auto.first)} (${ms(auto.cpu)}), ${ms(auto.best)}`,
      forced ? `${ms(forced.first)} (${ms(forced.cpu)}), ${ms(forced.best)}` : '',
      `${auto.kb.toFixed(0)} KB`,
    ].join(' | '),
  );
}
