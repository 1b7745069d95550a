import { readFileSync } from 'node:fs';
import type { StageErrorEvent } from 'tsdags';
import { events, stackFrame, tsdags } from './run-cli.js';

const fixture = (name: string) => `spec/fixtures/cli/${name}`;

describe('tsdags run', () => {
  test('tsdags run runs the default-exported pipeline and exits 0', async () => {
    const { code, stdout, stderr } = await tsdags(['run', fixture('ok.mjs')]);
    expect(code).toBe(0);
    for (let n = 1; n <= 6; n++) expect(stdout).toContain(`Running stage ${n}\n`);
    // Not a terminal: one plain line per state change, and the summary, on stderr.
    expect(stderr).toMatch(/^start +stage_1$/m);
    expect(stderr).toMatch(/^done +stage_6 in /m);
    expect(stderr).toMatch(/^ +stage_3 +succeeded +\S+ +1$/m);
    expect(stderr).toContain('✔ succeeded in ');
  });

  test('tsdags run loads a TypeScript file and runs its stages in worker threads', async () => {
    const { code, stdout, stderr } = await tsdags(['run', fixture('ok-ts.ts'), '--json']);
    expect(code).toBe(0);
    const starts = events(stdout).filter((e) => e.type === 'stage:start');
    expect(starts.map((e) => e.stage).sort()).toEqual(['read', 'sum']);
    for (const start of starts) expect(start.threadId).toBeGreaterThan(0);
    expect(stderr).toContain('total 6');
  });

  test('tsdags run takes a default-exported function that returns a Promise of a pipeline', async () => {
    const { code, stdout } = await tsdags(['run', fixture('factory.mjs'), '--json']);
    expect(code).toBe(0);
    expect(events(stdout).at(-1)).toMatchObject({ type: 'run:done', status: 'succeeded' });
  });

  test('tsdags run exits 1 when a stage fails, naming it, without a stack trace', async () => {
    const { code, stdout, stderr } = await tsdags(['run', fixture('fails.mjs')]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^failed +bad after \S+ \(attempt 1\): the disk is full$/m);
    expect(stderr).toMatch(/^skip +after_bad: /m);
    expect(stderr).toMatch(/^tsdags: Stage "bad" failed on attempt 1: the disk is full$/m);
    expect(stderr).not.toMatch(stackFrame);
  });

  test('tsdags run --verbose shows where the failed stage threw', async () => {
    const { code, stderr } = await tsdags(['run', fixture('fails.mjs'), '--verbose']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^\s+at .*\bbad\b.*fails\.mjs:12:\d+\)$/m);
  });

  test('tsdags run --json prints one JSON event per line on stdout and nothing else', async () => {
    const { code, stdout, stderr } = await tsdags(['run', fixture('ok.mjs'), '--json']);
    expect(code).toBe(0);
    const all = events(stdout);
    expect(all[0]).toMatchObject({ type: 'run:start', stages: 6 });
    expect(all.at(-1)).toMatchObject({ type: 'run:done', status: 'succeeded' });
    expect(all.filter((e) => e.type === 'stage:done')).toHaveLength(6);
    // What the module and its stages print goes to stderr instead.
    expect(stdout).not.toContain('Running stage');
    expect(stderr).toContain('Running stage 6');
    expect(stderr).toContain('Loading the seed pipeline');
  });

  test('tsdags run --json writes errors as { name, code, message }', async () => {
    const { code, stdout } = await tsdags(['run', fixture('fails.mjs'), '--json']);
    expect(code).toBe(1);
    const failure = events(stdout).find((e): e is StageErrorEvent => e.type === 'stage:error');
    expect(failure?.error).toEqual({
      name: 'StageFailedError',
      code: 'STAGE_FAILED',
      message: 'Stage "bad" failed on attempt 1: the disk is full',
    });
  });

  test('tsdags run --cores 1 runs one stage at a time', async () => {
    const { code, stdout } = await tsdags(['run', fixture('ok.mjs'), '--json', '--cores', '1']);
    expect(code).toBe(0);
    const all = events(stdout);
    expect(all[0]).toMatchObject({ type: 'run:start', cores: 1 });
    let running = 0;
    let peak = 0;
    for (const e of all) {
      if (e.type === 'stage:start') peak = Math.max(peak, ++running);
      if (e.type === 'stage:done') running--;
    }
    expect(peak).toBe(1);
  });

  test('tsdags run --on-error maps onto onError', async () => {
    const stop = await tsdags(['run', fixture('continue.mjs'), '--json', '--cores', '1']);
    expect(stop.code).toBe(1);
    expect(events(stop.stdout)).toContainEqual(
      expect.objectContaining({ type: 'stage:skip', stage: 'good' }),
    );

    const go = await tsdags([
      'run',
      fixture('continue.mjs'),
      '--json',
      '--cores',
      '1',
      '--on-error',
      'continue',
    ]);
    expect(go.code).toBe(1);
    expect(events(go.stdout)).toContainEqual(expect.objectContaining({ type: 'stage:done', stage: 'good' }));
  });

  test('tsdags run --thread main runs function stages on the main thread', async () => {
    const { code, stdout } = await tsdags(['run', fixture('ok.mjs'), '--json', '--thread', 'main']);
    expect(code).toBe(0);
    const starts = events(stdout).filter((e) => e.type === 'stage:start');
    expect(starts).toHaveLength(6);
    for (const start of starts) expect(start.threadId).toBe(0);
  });

  test('tsdags run stops the run on SIGINT and exits 130', async () => {
    let signalled = false;
    const { code, stdout } = await tsdags(['run', fixture('hangs.mjs'), '--json'], (line, child) => {
      if (!signalled && (JSON.parse(line) as { type: string }).type === 'stage:start') {
        signalled = true;
        child.kill('SIGINT');
      }
    });
    expect(signalled).toBe(true);
    expect(code).toBe(130);
    const all = events(stdout);
    expect(all).toContainEqual(expect.objectContaining({ type: 'stage:cancel', stage: 'forever' }));
    expect(all.at(-1)).toMatchObject({ type: 'run:done', status: 'cancelled' });
  });
});

describe('tsdags run with bad input: exit 2, one sentence on stderr, no stack trace', () => {
  const cases: [string, string[], RegExp][] = [
    ['a missing file', ['run', fixture('missing.ts')], /missing\.ts does not exist/],
    [
      'a module with no default export',
      ['run', fixture('no-export.mjs')],
      /has no default export \(it exports lonely, other\)/,
    ],
    ['a default export that is no pipeline', ['run', fixture('not-a-pipeline.mjs')], /got 42 \(number\)/],
    [
      'a module that throws as it loads',
      ['run', fixture('throws-on-import.mjs')],
      /Could not load .*: DATABASE_URL is not set/,
    ],
    [
      'a cycle',
      ['run', fixture('cycle.mjs')],
      /has a cycle: (a -> b -> c -> a|b -> c -> a -> b|c -> a -> b -> c)\./,
    ],
    ['an unknown flag', ['run', fixture('ok.mjs'), '--fast'], /unknown option '--fast'/],
    [
      '--cores 0',
      ['run', fixture('ok.mjs'), '--cores', '0'],
      /Expected --cores to be a whole number from 1 up, got "0"/,
    ],
    [
      '--cores abc',
      ['run', fixture('ok.mjs'), '--cores', 'abc'],
      /Expected --cores to be a whole number from 1 up, got "abc"/,
    ],
    [
      '--on-error maybe',
      ['run', fixture('ok.mjs'), '--on-error', 'maybe'],
      /Expected --on-error to be "stop" or "continue"/,
    ],
    [
      '--retries -1',
      ['run', fixture('ok.mjs'), '--retries', '-1'],
      /Expected --retries to be a whole number from 0 up, got "-1"/,
    ],
    [
      '--timeout 0',
      ['run', fixture('ok.mjs'), '--timeout', '0'],
      /Expected --timeout to be a number of milliseconds from 1 up/,
    ],
    [
      '--no-store with --resume',
      ['run', fixture('ok.mjs'), '--no-store', '--resume'],
      /Expected either --no-store or --resume, got both/,
    ],
    [
      '--resume before the file',
      ['run', '--resume', fixture('ok.mjs')],
      /"spec\/fixtures\/cli\/ok\.mjs" looks like a pipeline file, not a run id: put --resume after the file/,
    ],
    [
      '--redis that is no Redis URL',
      ['run', fixture('ok.mjs'), '--redis', 'localhost:6379'],
      /Expected --redis to be a redis:\/\/ or rediss:\/\/ URL, got "localhost:6379"/,
    ],
    [
      '--queue without --redis',
      // (checked once the module is loaded, which may run on Redis itself: this one prints nothing)
      ['run', fixture('ok-ts.ts'), '--queue', 'nightly'],
      /Expected --queue together with --redis, got --queue alone/,
    ],
    [
      '--queue with a colon',
      ['run', fixture('ok.mjs'), '--redis', 'redis://127.0.0.1:1', '--queue', 'a:b'],
      /Expected --queue to be a name without ':' or spaces, got "a:b"/,
    ],
    [
      '--run-id that could escape the store',
      ['run', fixture('ok.mjs'), '--run-id', '../x'],
      /Expected --run-id to be letters, digits, '_' and '-' .*, got "\.\.\/x"/,
    ],
    ['no file', ['run'], /missing required argument 'file'/],
    ['an unknown command', ['walk'], /unknown command 'walk'/],
  ];

  test.each(cases)('tsdags run with %s', async (_name, args, message) => {
    const { code, stdout, stderr } = await tsdags(args);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^tsdags: [^\n]+\n$/);
    expect(stderr).toMatch(message);
  });

  test('tsdags run --verbose with bad input shows the stack trace', async () => {
    const { code, stderr } = await tsdags(['run', fixture('throws-on-import.mjs'), '--verbose']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/throws-on-import\.mjs:\d+/);
    expect(stderr).toMatch(stackFrame);
  });
});

describe('tsdags --help and --version', () => {
  test('tsdags run --help lists the flags and exits 0', async () => {
    const { code, stdout } = await tsdags(['run', '--help']);
    expect(code).toBe(0);
    const flags = ['--cores', '--on-error', '--thread', '--retries', '--timeout', '--cache', '--resume'];
    flags.push('--store-dir', '--no-store', '--svg', '--timeline', '--json', '--verbose');
    flags.push('--run-id', '--redis', '--queue');
    for (const flag of flags) {
      expect(stdout).toContain(flag);
    }
  });

  test('tsdags --help lists the commands and exits 0', async () => {
    const { code, stdout } = await tsdags(['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^ +run \[options\] <file>/m);
    expect(stdout).toMatch(/^ +viz \[options\] <file>/m);
    expect(stdout).toMatch(/^ +runs \[options\]/m);
    expect(stdout).toMatch(/^ +show \[options\] <runId>/m);
  });

  test('tsdags --version prints the version in package.json', async () => {
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    const { code, stdout } = await tsdags(['--version']);
    expect(code).toBe(0);
    expect(stdout).toBe(`${version}\n`);
  });
});
