/**
 * One contender on one workload, run several times, for a profiler:
 * `npm run build && tsc -p bench/tsconfig.json`, then
 * `node --cpu-prof --cpu-prof-dir=prof .bench/profile.js tsdags layered:10000 5` and
 * `node .bench/profile-summary.js prof/*.cpuprofile`. With `--alloc`, it samples the allocations
 * of the runs after the first (V8's sampling heap profiler, collected objects included) and prints
 * bytes allocated per stage by function and by file.
 * Contenders: tsdags (main thread, no store), tsdags-store (main thread, file store in a temporary
 * directory, left there), tsdags-worker, p-graph, greedy, level-sync, tinypool (as many
 * no-op tasks as the workload has stages, sent at once to a pool of `cores` threads).
 */
import { Session } from 'node:inspector/promises';
import { mkdtempSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { greedy } from './runners/greedy.js';
import { levelSync } from './runners/level-sync.js';
import { pGraph } from './runners/p-graph.js';
import { withPool } from './runners/pool.js';
import { runTsdags } from './runners/tsdags.js';
import { workload } from './workloads.js';

const args = process.argv.slice(2);
const alloc = args.includes('--alloc');
const [system = 'tsdags', name = 'layered:10000', count = '5'] = args.filter((a) => a !== '--alloc');
const dag = workload(name);
const cores = availableParallelism();
const schedulers = { 'p-graph': pGraph, greedy, 'level-sync': levelSync };
let storeDir: string | undefined;

async function once(): Promise<unknown> {
  if (system === 'tsdags') return runTsdags(dag, 'main', cores);
  if (system === 'tsdags-worker') return runTsdags(dag, 'worker', cores);
  if (system === 'tsdags-store')
    return runTsdags(dag, 'main', cores, (storeDir ??= mkdtempSync(join(tmpdir(), 'tsdags-prof-'))));
  if (system === 'tinypool') {
    return withPool(cores, (pool) =>
      Promise.all(Array.from({ length: dag.size }, () => pool.run(undefined, { name: 'noop' }))),
    );
  }
  const scheduler = schedulers[system as keyof typeof schedulers];
  if (!scheduler)
    throw new Error(
      `Expected tsdags, tsdags-store, tsdags-worker, p-graph, greedy, level-sync or tinypool, got "${system}"`,
    );
  return scheduler.schedule(dag, () => {}, cores);
}

interface SamplingNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  id: number;
  children: SamplingNode[];
}

interface SamplingProfile {
  head: SamplingNode;
  samples: { size: number; nodeId: number }[];
}

// Bytes per stage by key, from the sampled allocations (each sample stands for `size` bytes).
function allocationsBy(profile: SamplingProfile, key: (node: SamplingNode) => string): Map<string, number> {
  const nodes = new Map<number, SamplingNode>();
  const walk = (node: SamplingNode): void => {
    nodes.set(node.id, node);
    node.children.forEach(walk);
  };
  walk(profile.head);
  const out = new Map<string, number>();
  for (const sample of profile.samples) {
    const k = key(nodes.get(sample.nodeId)!);
    out.set(k, (out.get(k) ?? 0) + sample.size);
  }
  return out;
}

function where(url: string): string {
  return url.replace(/^file:\/\/.*?\/(lib|bench|dist|node_modules\/[^/]+)\//, '$1/') || '(native)';
}

function printBytes(title: string, bytes: Map<string, number>, runs: number): void {
  const total = [...bytes.values()].reduce((a, b) => a + b, 0);
  console.log(`\n${title}: ${(total / runs / dag.size).toFixed(0)} bytes allocated per stage`);
  for (const [k, b] of [...bytes].sort((x, y) => y[1] - x[1]).slice(0, 30)) {
    console.log(`${(b / runs / dag.size).toFixed(0).padStart(7)} B/stage  ${k}`);
  }
}

const session = alloc ? new Session() : undefined;
for (let k = 0; k < Number(count); k++) {
  if (session && k === 1) {
    session.connect();
    await session.post('HeapProfiler.startSampling', {
      samplingInterval: 256,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
  }
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  await once();
  const ms = performance.now() - start;
  const cpu = process.cpuUsage(cpuStart);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  console.log(
    `${system} ${name} run ${k + 1}: ${ms.toFixed(1)} ms, ${((ms * 1000) / dag.size).toFixed(2)} µs/stage; ` +
      `CPU ${cpuMs.toFixed(1)} ms, ${((cpuMs * 1000) / dag.size).toFixed(2)} µs/stage`,
  );
}
if (session && Number(count) > 1) {
  const { profile } = (await session.post('HeapProfiler.stopSampling')) as unknown as {
    profile: SamplingProfile;
  };
  const runs = Number(count) - 1;
  const fn = (n: SamplingNode): string =>
    `${n.callFrame.functionName || '(anonymous)'} ${where(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
  printBytes('by function', allocationsBy(profile, fn), runs);
  printBytes(
    'by file',
    allocationsBy(profile, (n) => where(n.callFrame.url)),
    runs,
  );
  session.disconnect();
}
