import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Pipeline, RunResult } from 'tsdags';
import type { BenchContext } from '../context.js';
import type { Dag } from '../dag.js';
import { collectGarbage, fixed } from '../measure.js';
import type { SuiteResult, Target } from '../report.js';
import { pipelineOf } from '../runners/tsdags.js';
import { workload } from '../workloads.js';

const suite = 'memory';
const n = 100_000;
// The compiled child (.bench/memory/rss-child.js), beside this compiled suite: run by plain node.
const childScript = fileURLToPath(new URL('../memory/rss-child.js', import.meta.url));

interface Retained {
  /** Bytes per stage held by the stages and the pipeline, before any run. */
  readonly definition: number;
  /** Bytes per stage the run added that stay while the user holds its RunResult. */
  readonly withResult: number;
  /** Bytes per stage the run left behind once the RunResult is dropped (a leak if not ~0). */
  readonly released: number;
  /** Bytes per stage still held once the pipeline is dropped too (global state; a leak if not ~0). */
  readonly leaked: number;
}

// The heap after full GCs, so only what is still reachable counts.
function heap(): number {
  collectGarbage();
  return process.memoryUsage().heapUsed;
}

// Only `held` references the pipeline and the result: no local of this function keeps them alive.
async function run(
  held: { pipeline?: Pipeline; result?: RunResult },
  name: string,
  cores: number,
): Promise<void> {
  held.result = await held.pipeline!.start({ thread: 'main', cores });
  if (held.result.status !== 'succeeded')
    throw new Error(`Expected ${name} to succeed, got ${held.result.status}`);
}

async function retained(dag: Dag, cores: number): Promise<Retained> {
  const before = heap();
  const held: { pipeline?: Pipeline; result?: RunResult } = { pipeline: pipelineOf(dag).pipeline };
  const defined = heap();
  await run(held, dag.name, cores);
  const withResult = heap();
  held.result = undefined;
  const released = heap();
  held.pipeline = undefined;
  const dropped = heap();
  return {
    definition: (defined - before) / dag.size,
    withResult: (withResult - defined) / dag.size,
    released: (released - defined) / dag.size,
    leaked: (dropped - before) / dag.size,
  };
}

async function peakRss(system: string, name: string, cores: number): Promise<number> {
  const { stdout } = await promisify(execFile)(process.execPath, [childScript, system, name, String(cores)], {
    maxBuffer: 1 << 20,
  });
  const { maxRssKb } = JSON.parse(stdout.trim().split('\n').pop()!) as { maxRssKb: number };
  return maxRssKb / 1024;
}

/**
 * Retained heap after a 100,000-stage run (global.gc, then the heapUsed delta), and the peak RSS
 * of a 100,000-stage chain run in a fresh child process.
 */
export async function memory(ctx: BenchContext): Promise<SuiteResult> {
  const shapes = ctx.quick ? ['chain'] : ['chain', 'fan', 'layered'];
  const rows: string[][] = [];
  const targets: Target[] = [];
  let worst: { name: string; bytes: number } | undefined;
  for (const shape of shapes) {
    const name = `${shape}:${n}`;
    if (!ctx.selected(suite, `heap ${name}`)) continue;
    ctx.progress(`${suite}: heap ${name}`);
    const r = await retained(workload(name), ctx.cores);
    const kb = (bytes: number): string => fixed(bytes / 1024, 3);
    rows.push([`retained heap, RunResult held`, name, kb(r.withResult)]);
    rows.push([`retained heap, RunResult dropped`, name, kb(r.released)]);
    rows.push([`heap of the stages and pipeline (before the run)`, name, kb(r.definition)]);
    rows.push([`heap left once the pipeline is dropped too`, name, kb(r.leaked)]);
    if (!worst || r.withResult > worst.bytes) worst = { name, bytes: r.withResult };
  }
  if (worst) {
    targets.push({
      target: `memory: retained heap after a ${n.toLocaleString('en')}-stage run, RunResult held (worst shape)`,
      measured: `${fixed(worst.bytes / 1024, 3)} KB/stage (${worst.name})`,
      limit: '≤ 1 KB/stage',
      pass: worst.bytes <= 1024,
    });
  }
  const chain = `chain:${n}`;
  if (ctx.selected(suite, `rss ${chain}`)) {
    ctx.progress(`${suite}: peak RSS ${chain}`);
    const systems = ctx.quick ? ['none', 'tsdags'] : ['none', 'tsdags', 'p-graph'];
    const rss = new Map<string, number>();
    for (const system of systems) rss.set(system, await peakRss(system, chain, ctx.cores));
    for (const [system, mb] of rss) {
      const what =
        system === 'none' ? 'peak RSS, nothing run (node + modules + workload)' : `peak RSS, ${system}`;
      rows.push([what, chain, fixed(mb, 1)]);
    }
    const tsdags = rss.get('tsdags')!;
    targets.push({
      target: `memory: peak RSS of the ${chain} run (child process)`,
      measured: `${fixed(tsdags, 1)} MB`,
      limit: '≤ 300 MB',
      pass: tsdags <= 300,
    });
  }
  return {
    tables: rows.length
      ? [
          {
            title: 'Memory',
            columns: ['measure', 'workload', 'KB/stage or MB'],
            numeric: [2],
            rows,
            notes: [
              "Heap: no-op stages, `thread: 'main'`; heapUsed after two `global.gc()` calls, minus heapUsed once the " +
                'stages and pipeline were built; KB per stage. Peak RSS: `process.resourceUsage().maxRSS` of a ' +
                'child process (`node .bench/memory/rss-child.js`, compiled from bench/memory/rss-child.ts), in MB.',
            ],
          },
        ]
      : [],
    targets,
  };
}
