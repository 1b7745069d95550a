/**
 * Where a makespan goes on worker threads: `node .bench/gaps.js <workflow|cpu:200> [runs]` runs
 * tsdags and greedy + tinypool on the workload and prints, for each, the makespan, the cores' idle
 * time inside it and that idle time per task (the dispatch latency a scheduler adds between tasks).
 */
import { mkdtempSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pipeline, type RunEvent } from 'tsdags';
import type { Dag } from './dag.js';
import { greedy } from './runners/greedy.js';
import { withPool } from './runners/pool.js';
import { pipelineOf } from './runners/tsdags.js';
import { loadWorkflow } from './wfcommons.js';
import { workload } from './workloads.js';

const [name = 'cpu:200', runs = '3'] = process.argv.slice(2);
const cores = availableParallelism();
const dag: Dag = name.includes(':') ? workload(name) : loadWorkflow(name, cores, 2000).dag;
const storeDir = mkdtempSync(join(tmpdir(), 'tsdags-gaps-'));
const work = dag.work.reduce((a, b) => a + b, 0);

function report(system: string, spans: [number, number][]): void {
  const first = Math.min(...spans.map((s) => s[0]));
  const last = Math.max(...spans.map((s) => s[1]));
  const busy = spans.reduce((sum, [s, e]) => sum + (e - s), 0);
  const idle = cores * (last - first) - busy;
  console.log(
    `${system.padEnd(22)} makespan ${(last - first).toFixed(0)} ms, work ${work.toFixed(0)}, ` +
      `idle ${idle.toFixed(0)} ms, ${((idle * 1000) / dag.size).toFixed(0)} µs/task`,
  );
}

async function tsdags(): Promise<[number, number][]> {
  const { pipeline, stages } = pipelineOf(dag);
  const result = await (pipeline as Pipeline).start({ cores, thread: 'worker', storeDir });
  const spans = stages.map((s) => result.output(s) as [number, number]);
  latency(
    result.events,
    stages.map((s) => s.name),
    spans,
  );
  return spans;
}

// Per lane: the wait between a stage's end and the next stage's start on the same thread, when the
// next one was already ready before that end (so the wait is dispatch latency, not lack of work).
function latency(events: readonly RunEvent[], names: string[], spans: [number, number][]): void {
  const index = new Map(names.map((n, i) => [n, i]));
  const ready = new Map<number, number>();
  const thread = new Map<number, number>();
  for (const e of events) {
    if (e.type === 'stage:ready') ready.set(index.get(e.stage)!, e.time);
    if (e.type === 'stage:start') thread.set(index.get(e.stage)!, e.threadId);
  }
  const lanes = new Map<number, number[]>();
  for (const [i, t] of thread) lanes.set(t, [...(lanes.get(t) ?? []), i]);
  const waits: number[] = [];
  for (const lane of lanes.values()) {
    lane.sort((a, b) => spans[a]![0] - spans[b]![0]);
    for (let k = 1; k < lane.length; k++) {
      const prevEnd = spans[lane[k - 1]!]![1];
      if (ready.get(lane[k]!)! < prevEnd) waits.push(spans[lane[k]!]![0] - prevEnd);
    }
  }
  waits.sort((a, b) => a - b);
  const q = (f: number) => (waits[Math.floor(f * (waits.length - 1))]! * 1000).toFixed(0);
  console.log(
    `  lane waits with work ready: n ${waits.length}, p50 ${q(0.5)} µs, p90 ${q(0.9)} µs, max ${q(1)} µs`,
  );
}

async function greedyPool(): Promise<[number, number][]> {
  const spans: [number, number][] = [];
  await withPool(cores, (pool) =>
    greedy.schedule(
      dag,
      (i) => pool.run(dag.work[i]!).then((s: [number, number]) => void spans.push(s)),
      cores,
    ),
  );
  return spans;
}

await tsdags(); // remembers durations
for (let r = 0; r < Number(runs); r++) {
  report('tsdags', await tsdags());
  report('greedy + tinypool', await greedyPool());
}
