import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pipeline, RunResult } from 'tsdags';
import { stackFrame, tsdags } from './run-cli.js';

// The drawing API (lib/viz) may land after the CLI; until it does, the commands that need it
// must say so in one sentence, and the specs check that instead.
const drawsPipelines = typeof (Pipeline.prototype as { visualize?: unknown }).visualize === 'function';
const drawsRuns =
  typeof (RunResult.prototype as { visualize?: unknown }).visualize === 'function' &&
  typeof (RunResult.prototype as { timeline?: unknown }).timeline === 'function';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsdags-cli-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('tsdags viz', () => {
  (drawsPipelines ? test : test.skip)(
    'tsdags viz -o writes the pipeline as SVG without running it',
    async () => {
      const out = join(dir, 'seed.svg');
      const { code, stdout, stderr } = await tsdags(['viz', 'spec/fixtures/cli/ok.mjs', '-o', out]);
      expect(code).toBe(0);
      // What the module prints while it loads; no stage ran.
      expect(stdout).toBe('Loading the seed pipeline\n');
      expect(stderr).toBe(`wrote ${out}\n`);
      const svg = readFileSync(out, 'utf8');
      expect(svg).toContain('<svg');
      for (let n = 1; n <= 6; n++) expect(svg).toContain(`stage_${n}`);
    },
  );

  (drawsPipelines ? test : test.skip)('tsdags viz -o - writes the SVG to stdout', async () => {
    const { code, stdout } = await tsdags(['viz', 'spec/fixtures/cli/ok-ts.ts', '-o', '-']);
    expect(code).toBe(0);
    expect(stdout).toContain('<svg');
  });

  (drawsPipelines ? test.skip : test)('tsdags viz says so when this build cannot draw', async () => {
    const { code, stderr } = await tsdags(['viz', 'spec/fixtures/cli/ok.mjs', '-o', join(dir, 'x.svg')]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^tsdags: tsdags viz draws with pipeline\.visualize\(\), which this build/);
  });

  test('tsdags viz of a module that starts its own pipeline (examples/seed.ts) draws it without running it', async () => {
    const out = join(dir, 'seed-example.svg');
    const { code, stdout, stderr } = await tsdags(['viz', 'examples/seed.ts', '-o', out]);
    expect(stdout).not.toContain('Running stage');
    if (drawsPipelines) {
      expect({ code, stderr }).toMatchObject({ code: 0 });
      const svg = readFileSync(out, 'utf8');
      for (let n = 1; n <= 6; n++) expect(svg).toContain(`stage_${n}`);
    } else {
      // Loaded: it gets as far as the drawing, which this build does not have.
      expect(code).toBe(2);
      expect(stderr).toMatch(/^tsdags: tsdags viz draws with pipeline\.visualize\(\)/);
    }
  });

  test('tsdags viz of a pipeline with a cycle exits 2 and names the cycle', async () => {
    const { code, stderr } = await tsdags([
      'viz',
      'spec/fixtures/cli/cycle.mjs',
      '-o',
      join(dir, 'cycle.svg'),
    ]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^tsdags: The pipeline has a cycle: \w+ -> \w+ -> \w+ -> \w+\./);
    expect(stderr).not.toMatch(stackFrame);
  });

  test('tsdags viz of a missing file exits 2', async () => {
    const { code, stderr } = await tsdags(['viz', 'spec/fixtures/cli/missing.mjs']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^tsdags: Expected a pipeline file, but \S+missing\.mjs does not exist/);
  });
});

describe('tsdags run --svg and --timeline', () => {
  (drawsRuns ? test : test.skip)('tsdags run --svg --timeline draws the finished run', async () => {
    const svg = join(dir, 'run.svg');
    const timeline = join(dir, 'timeline.svg');
    const { code, stderr } = await tsdags([
      'run',
      'spec/fixtures/cli/fails.mjs',
      '--svg',
      svg,
      '--timeline',
      timeline,
    ]);
    // A failed run is drawn too: the picture shows where it failed.
    expect(code).toBe(1);
    expect(stderr).toContain(`wrote ${svg}\n`);
    expect(stderr).toContain(`wrote ${timeline}\n`);
    expect(readFileSync(svg, 'utf8')).toContain('<svg');
    expect(readFileSync(timeline, 'utf8')).toContain('<svg');
  });

  (drawsRuns ? test.skip : test)(
    'tsdags run --svg says so before running when this build cannot draw',
    async () => {
      const { code, stdout, stderr } = await tsdags([
        'run',
        'spec/fixtures/cli/ok.mjs',
        '--svg',
        join(dir, 'r.svg'),
      ]);
      expect(code).toBe(2);
      expect(stdout).toBe('');
      expect(stderr).toMatch(/^tsdags: --svg draws with result\.visualize\(\), which this build/);
    },
  );
});
