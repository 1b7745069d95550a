/**
 * `npm run bench`: tsdags against its anchors (p-graph, raw tinypool, a level-synchronous runner
 * as in pydags, a first-come-first-served greedy runner), side by side in one process, with the
 * targets of issue 3 marked PASS or MISS. Flags: `--quick` (fewer sizes and runs), `--only <name>`
 * (a suite: overhead, memory, workers, bullmq, cpu, wfcommons; or part of a workload's name, e.g.
 * `fan:10000` or `montage`), `--out <file>` (where to write the Markdown).
 * A full run writes docs/benchmarks.md; a `--quick` or `--only` run writes only with `--out`.
 * It runs compiled (`tsc -p bench/tsconfig.json` writes .bench/), with plain node: no TypeScript
 * loader transforms tsdags or its comparators, in this process or in its threads and children.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { format, resolveConfig } from 'prettier';
import { matches, type BenchContext } from './context.js';
import { load, machineFacts } from './machine.js';
import { collectGarbage } from './measure.js';
import { renderTable, renderTargets, type SuiteResult } from './report.js';
import { bullmq } from './suites/bullmq.js';
import { cpu } from './suites/cpu.js';
import { memory } from './suites/memory.js';
import { overhead } from './suites/overhead.js';
import { wfcommons } from './suites/wfcommons.js';
import { workers } from './suites/workers.js';

const suites = { overhead, memory, workers, bullmq, cpu, wfcommons };

/** What `npm run bench` runs (package.json), quoted in the results. */
const script = 'npm run build && tsc -p bench/tsconfig.json && node --expose-gc .bench/index.js';

const usage = `Usage: npm run bench -- [--quick] [--only <name>] [--out <file>]
  --quick         fewer sizes and runs, for fast iterations
  --only <name>   a suite (${Object.keys(suites).join(', ')}) or part of a workload's name
  --out <file>    write the Markdown there (default: docs/benchmarks.md for a full run only)`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  if (import.meta.url.endsWith('.ts')) {
    throw new Error(
      `Expected the compiled benchmark (.bench/index.js), got ${import.meta.url} through a loader. Run \`${script}\`.`,
    );
  }
  collectGarbage(); // fails early, with how to fix it, when --expose-gc is missing
  const only = values.only;
  const storeDir = mkdtempSync(join(tmpdir(), 'tsdags-bench-'));
  const ctx: BenchContext = {
    quick: values.quick,
    cores: availableParallelism(),
    selected: (suite, item) => matches(only, suite, item),
    storeDir,
    progress: (line) => process.stderr.write(`  ${line}\n`),
  };
  try {
    await runSuites(ctx, only, values);
  } finally {
    rmSync(storeDir, { recursive: true, force: true });
  }
}

async function runSuites(
  ctx: BenchContext,
  only: string | undefined,
  values: { quick: boolean; out?: string | undefined },
): Promise<void> {
  const command = [
    'npm run bench',
    ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : []),
  ].join(' ');
  const startedAt = new Date();
  const loadBefore = load();
  const results: SuiteResult[] = [];
  for (const run of Object.values(suites)) results.push(await run(ctx));
  const tables = results.flatMap((r) => r.tables);
  const targets = results.flatMap((r) => r.targets);
  if (tables.length === 0)
    throw new Error(`Expected --only to match a suite or a workload, got "${only}".\n${usage}`);

  const minutes = ((Date.now() - startedAt.getTime()) / 60_000).toFixed(1);
  const markdown = [
    '# Benchmarks',
    '',
    `Produced by \`${command}\` (\`${script}\`) ` + `on ${startedAt.toISOString()}, in ${minutes} min.`,
    '',
    ...machineFacts().map((fact) => `- ${fact}`),
    `- 1-minute load average: ${loadBefore} at the start, ${load()} at the end (above the core count, ` +
      'other processes shared the CPU and the figures are noisy)',
    '',
    'Every figure is a median of several runs; every ratio compares contenders measured side by side ' +
      'in the same process, their runs interleaved. The targets are those of issue 3 (BullMQ: issue 7).',
    '',
    'Run it with `npm run bench` (about 20 minutes; it rewrites this file). `npm run bench -- --quick` takes ' +
      'fewer sizes and runs; `--only <name>` runs one suite (overhead, memory, workers, bullmq, cpu, wfcommons) or the ' +
      'workloads whose name matches (`fan`, `layered:10000`, `montage`); those two write only with `--out <file>`. ' +
      'The harness is in `bench/` (one file per concern); `bench/profile.ts` runs one contender for a profiler.',
    '',
    '## Targets',
    '',
    renderTargets(targets),
    '',
    ...tables.flatMap((t) => [renderTable(t), '']),
  ].join('\n');
  console.log(markdown);

  const partial = values.quick || only !== undefined;
  const out =
    values.out ?? (partial ? undefined : fileURLToPath(new URL('../docs/benchmarks.md', import.meta.url)));
  if (out) {
    // Formatted as the repository's `prettier --check` expects, so a fresh run leaves it clean.
    writeFileSync(out, await format(markdown, { ...(await resolveConfig(out)), parser: 'markdown' }));
    process.stderr.write(`Wrote ${out}\n`);
  } else {
    process.stderr.write('Not written: a --quick or --only run writes only with --out <file>.\n');
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
