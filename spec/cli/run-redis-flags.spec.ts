/**
 * `tsdags run --redis` and the run record it keeps in Redis: `--redis-prefix`, `--run-id` and
 * `--resume` checked against Redis (not the working directory's .tsdags), and the command that
 * resumes a failed run. Stages run with --thread main, so no `tsdags worker` is needed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunStartEvent, RunSummary } from 'tsdags';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { events, root, tsdags } from './run-cli.js';

const ok = 'spec/fixtures/cli/ok.mjs';
const fails = 'spec/fixtures/cli/fails.mjs';

let redis: RedisServer;
let dir: string;
beforeAll(async () => {
  redis = await startRedis();
  dir = mkdtempSync(join(tmpdir(), 'tsdags-run-redis-'));
});
afterAll(async () => {
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The run ids `tsdags runs --redis` lists under a prefix (the default one without). */
async function runIdsIn(prefix?: string): Promise<string[]> {
  const args = ['runs', '--redis', redis.url, '--json', ...(prefix ? ['--redis-prefix', prefix] : [])];
  const { code, stdout, stderr } = await tsdags(args);
  expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as RunSummary).runId);
}

describe('tsdags run --redis-prefix', () => {
  test('tsdags run --redis --redis-prefix keeps the record under that prefix, where runs, show and --resume find it', async () => {
    const flags = ['--thread', 'main', '--redis', redis.url, '--redis-prefix', 'team:a'];
    const first = await tsdags(['run', ok, ...flags, '--run-id', 'prefixed-1', '--json']);
    expect({ code: first.code, stderr: first.stderr }).toMatchObject({ code: 0 });
    expect(await runIdsIn('team:a')).toEqual(['prefixed-1']);
    expect(await runIdsIn()).not.toContain('prefixed-1');

    const shown = await tsdags(['show', 'prefixed-1', '--redis', redis.url, '--redis-prefix', 'team:a']);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/^run prefixed-1 \(pipeline seed\): succeeded in /);

    const resumed = await tsdags(['run', ok, ...flags, '--resume', 'prefixed-1', '--json']);
    expect(resumed.code).toBe(0);
    expect(events(resumed.stdout)[0]).toMatchObject({
      type: 'run:start',
      resume: { from: 'prefixed-1', restored: 6, changed: [] },
    });
  });
});

describe('tsdags run --redis --run-id and --resume', () => {
  test('tsdags run --redis --run-id refuses an id Redis holds, naming Redis', async () => {
    const args = ['run', ok, '--thread', 'main', '--redis', redis.url, '--run-id', 'taken-1'];
    expect((await tsdags(args)).code).toBe(0);
    const again = await tsdags(args);
    expect(again.code).toBe(2);
    expect(again.stderr).toBe(
      `tsdags: Expected a new run id, but Redis at ${redis.url} (key prefix "tsdags") already holds a run ` +
        '"taken-1": pick another --run-id, or resume that run with --resume taken-1.\n',
    );
  });

  test("tsdags run --redis --run-id checks Redis, not the working directory's .tsdags", async () => {
    const cwd = mkdtempSync(join(dir, 'cwd-'));
    const args = ['run', join(root, ok), '--thread', 'main', '--run-id', 'local-1'];
    const local = await tsdags(args, undefined, {}, cwd);
    expect({ code: local.code, stderr: local.stderr }).toMatchObject({ code: 0 });
    // The same id, recorded in Redis this time: Redis does not hold it.
    const remote = await tsdags([...args, '--redis', redis.url], undefined, {}, cwd);
    expect({ code: remote.code, stderr: remote.stderr }).toMatchObject({ code: 0 });
    expect(await runIdsIn()).toContain('local-1');
  });

  test('tsdags run --redis --resume of a run Redis does not have exits 2, naming Redis and how to list its runs', async () => {
    const { code, stderr } = await tsdags([
      'run',
      ok,
      '--redis',
      redis.url,
      '--redis-prefix',
      'team:a',
      '--resume',
      'nope',
    ]);
    expect(code).toBe(2);
    expect(stderr).toBe(
      `tsdags: There is no run "nope" to resume in Redis at ${redis.url} (key prefix "team:a"): ` +
        '`tsdags runs --redis <url> --redis-prefix team:a` lists the runs it holds.\n',
    );
  });
});

describe('tsdags run --redis: the command that resumes a failed run', () => {
  const resumeLine = (stderr: string) =>
    /^To run only the stages that did not succeed: (.*)$/m.exec(stderr)?.[1];
  const runIdOf = (stdout: string) => (events(stdout)[0] as RunStartEvent).runId;

  test('a failed run on Redis says how to resume it with the --redis, --redis-prefix and --queue it was given', async () => {
    const { code, stdout, stderr } = await tsdags([
      'run',
      fails,
      '--thread',
      'main',
      '--redis',
      redis.url,
      '--redis-prefix',
      'team:b',
      '--queue',
      'q1',
      '--json',
    ]);
    expect(code).toBe(1);
    expect(resumeLine(stderr)).toBe(
      `tsdags run ${fails} --redis ${redis.url} --redis-prefix team:b --queue q1 --resume ${runIdOf(stdout)}`,
    );
  });

  test('the command to resume does not echo a password in --redis, nor repeat a --redis from TSDAGS_REDIS', async () => {
    const withPassword = redis.url.replace('//', '//:secret@');
    const typed = await tsdags(['run', fails, '--thread', 'main', '--redis', withPassword, '--json']);
    expect(typed.code).toBe(1);
    expect(resumeLine(typed.stderr)).toBe(
      `tsdags run ${fails} --redis <url> --resume ${runIdOf(typed.stdout)}`,
    );
    expect(typed.stderr).not.toContain('secret');

    const fromEnv = await tsdags(['run', fails, '--thread', 'main', '--json'], undefined, {
      TSDAGS_REDIS: redis.url,
    });
    expect(fromEnv.code).toBe(1);
    expect(resumeLine(fromEnv.stderr)).toBe(`tsdags run ${fails} --resume ${runIdOf(fromEnv.stdout)}`);
  });

  test('a failed run with --store-dir says how to resume it with that --store-dir', async () => {
    const store = join(dir, 'store');
    const { code, stdout, stderr } = await tsdags(['run', fails, '--store-dir', store, '--json']);
    expect(code).toBe(1);
    expect(resumeLine(stderr)).toBe(`tsdags run ${fails} --store-dir ${store} --resume ${runIdOf(stdout)}`);
  });
});
