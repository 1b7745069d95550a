/**
 * Runs one workload in a fresh process and prints its peak resident set size, so the figure is
 * the run's alone: `node .bench/memory/rss-child.js <system> <workload> <cores>`
 * (compiled by `tsc -p bench/tsconfig.json`),
 * system `tsdags`, `p-graph` or `none` (load everything, build the workload, run nothing).
 */
import { availableParallelism } from 'node:os';
import { pGraph } from '../runners/p-graph.js';
import { runTsdags } from '../runners/tsdags.js';
import { workload } from '../workloads.js';

const [system = 'tsdags', name = 'chain:100000', cores = String(availableParallelism())] =
  process.argv.slice(2);
const dag = workload(name);
if (system === 'tsdags') {
  const result = await runTsdags(dag, 'main', Number(cores));
  if (result.status !== 'succeeded') throw new Error(`Expected the run to succeed, got ${result.status}`);
} else if (system === 'p-graph') {
  await pGraph.schedule(dag, () => {}, Number(cores));
} else if (system !== 'none') {
  throw new Error(`Expected tsdags, p-graph or none, got "${system}"`);
}
// maxRSS is in kilobytes.
process.stdout.write(`${JSON.stringify({ maxRssKb: process.resourceUsage().maxRSS })}\n`);
