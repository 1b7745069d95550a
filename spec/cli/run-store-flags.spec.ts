import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StageErrorEvent } from 'tsdags';
import { events, stackFrame, tsdags } from './run-cli.js';

const fixture = (name: string) => `spec/fixtures/cli/${name}`;

let dir: string;
let n = 0;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsdags-cli-store-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});
/** A fresh directory under this spec's temporary one. */
function fresh(): string {
  const path = join(dir, String(++n));
  mkdirSync(path);
  return path;
}

describe('tsdags run of a module that starts its own pipeline (pydags style)', () => {
  test('tsdags run runs the pipeline a module starts at its top level, once, with its options', async () => {
    const { code, stdout, stderr } = await tsdags([
      'run',
      fixture('starts-itself.mjs'),
      '--json',
      '--store-dir',
      fresh(),
    ]);
    expect({ code, stderr }).toMatchObject({ code: 0 });
    const all = events(stdout);
    // The options the module passed to start(): one core, stages on the main thread.
    expect(all[0]).toMatchObject({ type: 'run:start', stages: 2, cores: 1 });
    for (const e of all) if (e.type === 'stage:start') expect(e.threadId).toBe(0);
    expect(stderr.match(/Running hello/g)).toHaveLength(1);
    expect(stderr.match(/Running world/g)).toHaveLength(1);
    // The captured start() never returns: what follows it in the module does not run.
    expect(stderr).not.toContain('After start');
  });

  test('tsdags run flags override the options the module passed to start()', async () => {
    const { code, stdout } = await tsdags([
      'run',
      fixture('starts-itself.mjs'),
      '--json',
      '--store-dir',
      fresh(),
      '--cores',
      '2',
      '--thread',
      'worker',
    ]);
    expect(code).toBe(0);
    const all = events(stdout);
    expect(all[0]).toMatchObject({ type: 'run:start', cores: 2 });
    for (const e of all) if (e.type === 'stage:start') expect(e.threadId).toBeGreaterThan(0);
  });
});

describe('tsdags run --cache, --retries, --timeout', () => {
  test('tsdags run --cache runs no stage the second time and says the results were reused', async () => {
    const store = fresh();
    const first = await tsdags(['run', fixture('ok.mjs'), '--json', '--cache', '--store-dir', store]);
    expect(first.code).toBe(0);
    expect(events(first.stdout).filter((e) => e.type === 'stage:start')).toHaveLength(6);

    const second = await tsdags(['run', fixture('ok.mjs'), '--cache', '--store-dir', store]);
    expect({ code: second.code, stderr: second.stderr }).toMatchObject({ code: 0 });
    expect(second.stdout).not.toContain('Running stage');
    expect(second.stderr).not.toMatch(/^start /m);
    expect(second.stderr).toMatch(/^done +stage_6 \(stored result reused\)$/m);
    expect(second.stderr).toMatch(/^ +stage_6 +reused +- +0$/m);
    expect(second.stderr).toContain('✔ succeeded in ');
    expect(second.stderr).toContain(': 6 stages (6 reused)');
  });

  test('tsdags run --retries tries a failed stage again and reports the retry', async () => {
    const markers = fresh();
    const { code, stderr } = await tsdags(
      ['run', fixture('flaky.mjs'), '--retries', '1', '--store-dir', join(markers, 'store')],
      undefined,
      { TSDAGS_MARKERS: markers },
    );
    expect({ code, stderr }).toMatchObject({ code: 0 });
    expect(stderr).toMatch(/^retry +flaky: attempt 1 failed \(the network is down\); again in \d+ms$/m);
    expect(stderr).toMatch(/^start +flaky \(attempt 2\)$/m);
    expect(stderr).toMatch(/^ +flaky +succeeded +\S+ +2$/m);
  });

  test('tsdags run without --retries fails on the first failed attempt', async () => {
    const markers = fresh();
    const { code, stdout } = await tsdags(
      ['run', fixture('flaky.mjs'), '--json', '--store-dir', join(markers, 'store')],
      undefined,
      { TSDAGS_MARKERS: markers },
    );
    expect(code).toBe(1);
    expect(events(stdout).some((e) => e.type === 'stage:retry')).toBe(false);
  });

  test('tsdags run --timeout fails an attempt that runs too long, stopping its worker thread', async () => {
    const { code, stdout, stderr } = await tsdags([
      'run',
      fixture('hangs.mjs'),
      '--json',
      '--timeout',
      '200',
      '--store-dir',
      fresh(),
    ]);
    expect(code).toBe(1);
    const failure = events(stdout).find((e): e is StageErrorEvent => e.type === 'stage:error');
    expect(failure).toMatchObject({ stage: 'forever', attempt: 1 });
    expect(failure?.error.message).toMatch(/200 ?ms/);
    expect(stderr).not.toMatch(stackFrame);
  });
});

describe('tsdags run --run-id', () => {
  test('tsdags run --run-id names the run, and refuses an id the store already holds', async () => {
    const store = fresh();
    const first = await tsdags([
      'run',
      fixture('ok.mjs'),
      '--json',
      '--store-dir',
      store,
      '--run-id',
      'nightly-1',
    ]);
    expect(first.code).toBe(0);
    expect(events(first.stdout)[0]).toMatchObject({ type: 'run:start', runId: 'nightly-1' });
    const again = await tsdags(['run', fixture('ok.mjs'), '--store-dir', store, '--run-id', 'nightly-1']);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(
      /^tsdags: Expected a new run id, but .* already holds a run "nightly-1": pick another --run-id, or resume that run with --resume nightly-1\.\n$/,
    );
    expect(again.stdout).not.toContain('Running stage');
  });
});

describe('tsdags run with a store it cannot write', () => {
  test('tsdags run --store-dir naming a file exits 2 with one sentence naming it', async () => {
    const file = join(fresh(), 'a-file');
    writeFileSync(file, '');
    const { code, stdout, stderr } = await tsdags(['run', fixture('fails.mjs'), '--store-dir', file]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(
      /^tsdags: Could not write the run record in \S+a-file: ENOTDIR: .* or pass --no-store\.\n$/,
    );
  });
});

describe('tsdags run: SIGTERM and a closed stdout', () => {
  test('tsdags run stops the run on SIGTERM, exits 143 and keeps the record: tsdags show says cancelled', async () => {
    const store = fresh();
    let signalled = false;
    const { code, stdout } = await tsdags(
      ['run', fixture('hangs.mjs'), '--json', '--store-dir', store],
      (line, child) => {
        if (!signalled && (JSON.parse(line) as { type: string }).type === 'stage:start') {
          signalled = true;
          child.kill('SIGTERM');
        }
      },
    );
    expect(signalled).toBe(true);
    expect(code).toBe(143);
    expect(events(stdout).at(-1)).toMatchObject({ type: 'run:done', status: 'cancelled' });

    const shown = await tsdags(['show', 'last', '--store-dir', store]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/^run \S+ \(pipeline pipeline\): cancelled in /);
    expect(shown.stdout).toMatch(/^ +forever +cancelled +1 /m);
  });

  test('tsdags run --json quits quietly when the reader of stdout goes away (| head -1)', async () => {
    let closed = false;
    const { code, stderr } = await tsdags(
      ['run', fixture('hangs.mjs'), '--json', '--store-dir', fresh()],
      (_line, child) => {
        if (closed) return;
        closed = true;
        // As `head -1` does after its line; the run then writes its next events into a closed pipe.
        child.stdout?.destroy();
        child.kill('SIGINT');
      },
    );
    expect(closed).toBe(true);
    expect(code).toBe(141);
    expect(stderr).not.toContain('EPIPE');
    expect(stderr).not.toMatch(stackFrame);
  });
});
