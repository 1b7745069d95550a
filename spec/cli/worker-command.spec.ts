import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import type { StageStartEvent } from 'tsdags';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { spawnCliWorker, type WorkerProcess } from '../support/worker-process.js';
import { events, stackFrame, tsdags } from './run-cli.js';

const fixture = (name: string) => `spec/fixtures/cli/${name}`;
// Checks that come before any connection: no Redis listens there, and none is needed.
const nowhere = 'redis://127.0.0.1:1';

describe('tsdags worker with bad input: exit 2, one sentence on stderr, no stack trace', () => {
  const cases: [string, string[], RegExp][] = [
    ['no --redis', ['worker', fixture('ok.mjs')], /required option '--redis <url>' not specified/],
    [
      'a --redis that is no Redis URL',
      ['worker', fixture('ok.mjs'), '--redis', 'http://db.example:6379'],
      /Expected --redis to be a redis:\/\/ or rediss:\/\/ URL, got "http:\/\/db\.example:6379"/,
    ],
    [
      '--concurrency 0',
      ['worker', fixture('ok.mjs'), '--redis', nowhere, '--concurrency', '0'],
      /Expected --concurrency to be a whole number from 1 up, got "0"/,
    ],
    [
      '--concurrency two',
      ['worker', fixture('ok.mjs'), '--redis', nowhere, '--concurrency', 'two'],
      /Expected --concurrency to be a whole number from 1 up, got "two"/,
    ],
    [
      '--thread process',
      ['worker', fixture('ok.mjs'), '--redis', nowhere, '--thread', 'process'],
      /Expected --thread to be auto, worker or main, got "process"/,
    ],
    [
      '--queue with a colon',
      ['worker', fixture('ok.mjs'), '--redis', nowhere, '--queue', 'a:b'],
      /Expected --queue to be a name without ':' or spaces, got "a:b"/,
    ],
    [
      'a missing file',
      ['worker', fixture('missing.ts'), '--redis', nowhere],
      /Expected a pipeline file, but spec\/fixtures\/cli\/missing\.ts does not exist/,
    ],
    [
      'a file that is no module',
      ['worker', 'package.json', '--redis', nowhere],
      /Expected a \.ts or \.js module .*, got "package\.json"/,
    ],
    [
      'a module that defines no stages',
      ['worker', fixture('not-a-pipeline.mjs'), '--redis', nowhere],
      /Expected .*not-a-pipeline\.mjs to define stages with stage\(\), but importing it defined none/,
    ],
    [
      'a module that throws as it loads',
      ['worker', fixture('throws-on-import.mjs'), '--redis', nowhere],
      /importing it failed: DATABASE_URL is not set/,
    ],
    ['no file', ['worker', '--redis', nowhere], /missing required argument 'file'/],
    [
      'an unknown flag',
      ['worker', fixture('ok.mjs'), '--redis', nowhere, '--fast'],
      /unknown option '--fast'/,
    ],
  ];

  test.each(cases)('tsdags worker with %s', async (_name, args, message) => {
    const { code, stdout, stderr } = await tsdags(args);
    expect(code).toBe(2);
    expect(stdout).not.toContain('ready on queue');
    expect(stderr).toMatch(/^tsdags: [^\n]+\n$/);
    expect(stderr).toMatch(message);
    expect(stderr).not.toMatch(stackFrame);
  });

  test('tsdags worker does not echo a password typed in a --redis that is no URL', async () => {
    const { code, stderr } = await tsdags(['worker', fixture('ok.mjs'), '--redis', 'redis//me:s3cret@db']);
    expect(code).toBe(2);
    expect(stderr).toContain('got "redis//***@db"');
    expect(stderr).not.toContain('s3cret');
  });

  test('tsdags worker takes --redis from TSDAGS_REDIS', async () => {
    // Past the flag checks (the module is looked at next), with the URL from the environment.
    const fromEnv = await tsdags(['worker', fixture('not-a-pipeline.mjs')], undefined, {
      TSDAGS_REDIS: nowhere,
    });
    expect(fromEnv.code).toBe(2);
    expect(fromEnv.stderr).toMatch(/defined none/);
    const bad = await tsdags(['worker', fixture('ok.mjs')], undefined, { TSDAGS_REDIS: 'http://x' });
    expect(bad.stderr).toMatch(/Expected --redis to be a redis:\/\/ or rediss:\/\/ URL, got "http:\/\/x"/);
  });

  test('tsdags worker --verbose with bad input shows the stack trace', async () => {
    const { code, stderr } = await tsdags([
      'worker',
      fixture('throws-on-import.mjs'),
      '--redis',
      nowhere,
      '--verbose',
    ]);
    expect(code).toBe(2);
    expect(stderr).toMatch(stackFrame);
  });
});

describe('tsdags worker and tsdags run --redis', () => {
  let redis: RedisServer;
  const spawned: WorkerProcess[] = [];
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await Promise.all(spawned.map((worker) => worker.stop()));
    await redis?.stop();
  });
  function worker(module: string, queue: string, concurrency = 2): WorkerProcess {
    const process = spawnCliWorker({ redis: redis.url, queue, module, concurrency });
    spawned.push(process);
    return process;
  }

  test('tsdags run --redis runs every worker stage on a tsdags worker, which stops on SIGTERM with 0', async () => {
    const remote = worker(fixture('ok.mjs'), 'seed');
    const ready = await remote.waitFor(/ready on queue/);
    expect(ready).toBe(
      `tsdags worker ${hostname()}:${remote.pid}: ready on queue "seed" at ${redis.url}, 2 at once ` +
        '(thread: auto), stages: stage_1, stage_2, stage_3, stage_4, stage_5, stage_6',
    );
    const { code, stdout, stderr } = await tsdags([
      'run',
      fixture('ok.mjs'),
      '--redis',
      redis.url,
      '--queue',
      'seed',
      '--json',
      '--no-store',
    ]);
    expect({ code, stderr }).toMatchObject({ code: 0 });
    const starts = events(stdout).filter((e): e is StageStartEvent => e.type === 'stage:start');
    expect(starts).toHaveLength(6);
    for (const start of starts) expect(start.worker).toBe(`${hostname()}:${remote.pid}`);
    // The stages printed there, in the worker, not here.
    for (let n = 1; n <= 6; n++) await remote.waitFor(new RegExp(`^Running stage ${n}$`));
    remote.child.kill('SIGTERM');
    expect(await remote.exited).toEqual([0, null]);
    expect(remote.lines.at(-1)).toMatch(/: stopped$/);
  });

  test('tsdags worker loads a TypeScript pipeline file without a build step', async () => {
    const remote = worker(fixture('ok-ts.ts'), 'typescript');
    await remote.waitFor(/ready on queue "typescript".*stages: read, sum$/);
    const { code, stdout } = await tsdags(
      [
        'run',
        fixture('ok-ts.ts'),
        '--queue',
        'typescript',
        '--json',
        '--no-store',
        '--run-id',
        'typescript-1',
      ],
      undefined,
      { TSDAGS_REDIS: redis.url },
    );
    expect(code).toBe(0);
    const all = events(stdout);
    expect(all[0]).toMatchObject({ type: 'run:start', runId: 'typescript-1' });
    expect(all.at(-1)).toMatchObject({ type: 'run:done', status: 'succeeded' });
    await remote.waitFor(/^total 6$/);
  });

  test('tsdags worker and tsdags run with a password Redis refuses exit 2 with the same sentence, naming the address but not the password', async () => {
    const locked = await startRedis();
    try {
      const admin = new Redis(locked.url);
      await admin.config('SET', 'requirepass', 'right');
      admin.disconnect();
      const refused = new RegExp(
        `^tsdags: Expected Redis at redis://127\\.0\\.0\\.1:${locked.port} to accept the credentials given, ` +
          'but it refused them \\(WRONGPASS [^\\n]*\\)\\. Check the password [^\\n]*\\n$',
        // Under --json, what the pipeline file prints as it loads goes to stderr, before this line.
        'm',
      );
      const wrong = `redis://:wrong@127.0.0.1:${locked.port}`;
      const remote = await tsdags(['worker', fixture('ok.mjs'), '--redis', wrong]);
      expect(remote.code).toBe(2);
      expect(remote.stderr).toMatch(refused);
      // Refused before the run starts, wherever its record would go: no stage runs, no event is printed.
      for (const store of [['--no-store'], ['--store-dir', '/nonexistent/tsdags-store'], []]) {
        const run = await tsdags(['run', fixture('ok.mjs'), '--redis', wrong, ...store, '--json']);
        expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 2, stdout: '' });
        expect(run.stderr).toMatch(refused);
      }
      // No password at all, where Redis wants one: refused alike.
      const none = await tsdags(['run', fixture('ok.mjs'), '--redis', locked.url, '--no-store']);
      expect(none.code).toBe(2);
      expect(none.stderr).toMatch(
        /^tsdags: Expected Redis at .* to accept the credentials given, but it refused them \(NOAUTH/,
      );
    } finally {
      await locked.stop();
    }
  });
});

describe('tsdags worker --help', () => {
  test('tsdags worker --help lists the flags and exits 0', async () => {
    const { code, stdout } = await tsdags(['worker', '--help']);
    expect(code).toBe(0);
    for (const flag of [
      '--redis <url>',
      '--concurrency <n>',
      '--queue <name>',
      '--thread <where>',
      '--verbose',
    ]) {
      expect(stdout).toContain(flag);
    }
    expect(stdout).toContain('TSDAGS_REDIS');
  });

  test('tsdags --help lists the worker command', async () => {
    const { stdout } = await tsdags(['--help']);
    expect(stdout).toMatch(/^ +worker \[options\] <file>/m);
  });
});
