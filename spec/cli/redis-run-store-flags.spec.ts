/**
 * `tsdags runs --redis` and `tsdags show --redis`: run records read from Redis. The records are
 * made in this process through a RedisRunStore, as a remote run's orchestrator makes them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pipeline, stage, type RunSummary } from 'tsdags';
import { RedisRunStore } from '../../lib/store/redis-run-store.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { runWithStore, startWithStore } from '../support/run-with-store.js';
import { stackFrame, tsdags } from './run-cli.js';

let redis: RedisServer;
let dir: string;
const runIds: string[] = [];

const good = stage({ thread: 'main' }, function good() {
  return 1;
});
const bad = stage({ thread: 'main' }, function bad() {
  throw new Error('the disk is full');
});

beforeAll(async () => {
  redis = await startRedis();
  dir = mkdtempSync(join(tmpdir(), 'tsdags-redis-runs-'));
  const open = () => new RedisRunStore(redis.url, { prefix: 'team:nightly' });
  runIds.push((await startWithStore(new Pipeline({ name: 'ok' }).addStage(good()), open())).runId);
  const failed = await runWithStore(new Pipeline({ name: 'broken' }).addStages([good(), bad()]), open(), {
    onError: 'continue',
  }).done;
  runIds.push(failed.runId);
});
afterAll(async () => {
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('tsdags runs --redis', () => {
  test('tsdags runs --redis --redis-prefix lists the runs recorded there, newest last', async () => {
    const { code, stdout } = await tsdags([
      'runs',
      '--redis',
      redis.url,
      '--redis-prefix',
      'team:nightly',
      '--json',
    ]);
    expect(code).toBe(0);
    const runs = stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as RunSummary);
    expect(runs.map((r) => [r.runId, r.pipeline, r.status])).toEqual([
      [runIds[0], 'ok', 'succeeded'],
      [runIds[1], 'broken', 'failed'],
    ]);
  });

  test('tsdags runs reads TSDAGS_REDIS, and says where it looked when there is nothing', async () => {
    const { code, stderr } = await tsdags(['runs'], undefined, { TSDAGS_REDIS: redis.url });
    expect(code).toBe(0);
    expect(stderr).toBe(`No runs in Redis at ${redis.url} (key prefix "tsdags") yet.\n`);
  });

  test('an explicit --store-dir wins over TSDAGS_REDIS', async () => {
    const { code, stderr } = await tsdags(['runs', '--store-dir', join(dir, 'empty')], undefined, {
      TSDAGS_REDIS: redis.url,
    });
    expect(code).toBe(0);
    expect(stderr).toBe(`No runs in ${join(dir, 'empty')} yet.\n`);
  });
});

describe('tsdags show --redis', () => {
  test('tsdags show last --redis shows the latest run recorded there, stage by stage', async () => {
    const { code, stdout } = await tsdags([
      'show',
      'last',
      '--redis',
      redis.url,
      '--redis-prefix',
      'team:nightly',
      '--json',
    ]);
    expect(code).toBe(0);
    const run = JSON.parse(stdout) as { runId: string; status: string; stages: unknown[] };
    expect(run).toMatchObject({ runId: runIds[1], pipeline: 'broken', status: 'failed' });
    expect(run.stages).toContainEqual(
      expect.objectContaining({ name: 'bad', status: 'failed', attempts: 1, error: 'the disk is full' }),
    );
  });

  const bad: [string, string[], RegExp][] = [
    [
      'a run Redis does not have',
      ['show', 'nope', '--redis-prefix', 'team:nightly'],
      /^There is no run "nope" in Redis at redis:\/\/127\.0\.0\.1:\d+ \(key prefix "team:nightly"\): `tsdags runs` lists/,
    ],
    [
      'an empty prefix',
      ['show', 'last', '--redis-prefix', 'empty'],
      /^There are no runs in Redis at .* --redis-prefix\)\.\n$/,
    ],
    [
      'both --redis and --store-dir',
      ['show', 'last', '--store-dir', '/tmp/x'],
      /^Expected either --redis or --store-dir, got both/,
    ],
    [
      'a bad prefix',
      ['show', 'last', '--redis-prefix', 'a::b'],
      /^Expected --redis-prefix to be letters, digits/,
    ],
    [
      'a bad URL',
      ['show', 'last', '--redis', 'http://x'],
      /^Expected --redis to be a redis:\/\/ or rediss:\/\/ URL/,
    ],
  ];
  test.each(bad)('tsdags show with %s exits 2 with one sentence', async (_name, args, message) => {
    const { code, stdout, stderr } = await tsdags(
      args.includes('--redis') ? args : [...args, '--redis', redis.url],
    );
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^tsdags: [^\n]+\n$/);
    expect(stderr.slice('tsdags: '.length)).toMatch(message);
    expect(stderr).not.toMatch(stackFrame);
  });

  test('--redis-prefix without --redis exits 2', async () => {
    const { code, stderr } = await tsdags(['runs', '--redis-prefix', 'x']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^tsdags: Expected --redis-prefix together with --redis/);
  });

  test('a Redis that is not there exits 2, naming the address and not the password', async () => {
    const { code, stderr } = await tsdags(['runs', '--redis', 'redis://:secret@127.0.0.1:1']);
    expect(code).toBe(2);
    expect(stderr).toMatch(
      /^tsdags: The Redis run store at redis:\/\/127\.0\.0\.1:1 is not available \(.*ECONNREFUSED/,
    );
    expect(stderr).not.toContain('secret');
  });
});
