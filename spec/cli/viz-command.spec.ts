import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stackFrame, tsdags } from './run-cli.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsdags-cli-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('tsdags viz', () => {
  test('tsdags viz -o writes the pipeline as SVG without running it', async () => {
    const out = join(dir, 'seed.svg');
    const { code, stdout, stderr } = await tsdags(['viz', 'spec/fixtures/cli/ok.mjs', '-o', out]);
    expect(code).toBe(0);
    // What the module prints while it loads; no stage ran.
    expect(stdout).toBe('Loading the seed pipeline\n');
    expect(stderr).toBe(`wrote ${out}\n`);
    const svg = readFileSync(out, 'utf8');
    expect(svg).toContain('<svg');
    for (let n = 1; n <= 6; n++) expect(svg).toContain(`stage_${n}`);
  });

  test('tsdags viz -o - writes the SVG to stdout', async () => {
    const { code, stdout } = await tsdags(['viz', 'spec/fixtures/cli/ok-ts.ts', '-o', '-']);
    expect(code).toBe(0);
    expect(stdout).toContain('<svg');
  });

  test('tsdags viz of a module that starts its own pipeline (examples/seed.ts) draws it without running it', async () => {
    const out = join(dir, 'seed-example.svg');
    const { code, stdout, stderr } = await tsdags(['viz', 'examples/seed.ts', '-o', out]);
    expect(stdout).not.toContain('Running stage');
    expect({ code, stderr }).toMatchObject({ code: 0, stderr: `wrote ${out}\n` });
    const svg = readFileSync(out, 'utf8');
    for (let n = 1; n <= 6; n++) expect(svg).toContain(`stage_${n}`);
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
  test('tsdags run --svg --timeline draws the finished run', async () => {
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
});
