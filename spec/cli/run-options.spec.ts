import {
  mergeRunOptions,
  parseCores,
  parseRetries,
  parseRunId,
  parseTimeout,
  toRunOptions,
} from '../../lib/cli/run-options.js';

describe('toRunOptions()', () => {
  test('toRunOptions() maps the flags onto the options pipeline.run() takes', () => {
    expect(toRunOptions({})).toEqual({});
    expect(toRunOptions({ cores: '4', onError: 'continue', thread: 'main', json: true })).toEqual({
      cores: 4,
      onError: 'continue',
      thread: 'main',
    });
  });

  test.each(['0', '-1', 'abc', '1.5', '', '1e3', '0x10'])('parseCores() refuses "%s"', (text) => {
    expect(() => parseCores(text)).toThrow(`Expected --cores to be a whole number from 1 up, got "${text}"`);
  });

  test('toRunOptions() refuses an unknown --on-error or --thread', () => {
    expect(() => toRunOptions({ onError: 'ignore' })).toThrow(
      'Expected --on-error to be "stop" or "continue", got "ignore".',
    );
    expect(() => toRunOptions({ thread: 'gpu' })).toThrow(
      'Expected --thread to be "worker" or "main", got "gpu".',
    );
  });
});

describe('toRunOptions() for the store and fault flags', () => {
  test('toRunOptions() maps --retries, --timeout, --cache, --store-dir and --resume', () => {
    expect(
      toRunOptions({
        retries: '2',
        timeout: '60000',
        cache: true,
        storeDir: 'runs',
        resume: 'abc-1',
        store: true,
      }),
    ).toEqual({ retries: 2, timeout: 60000, cache: true, storeDir: 'runs', resume: 'abc-1' });
  });

  test('toRunOptions() takes --resume with no run id as the last run', () => {
    expect(toRunOptions({ resume: true })).toEqual({ resume: 'last' });
  });

  test('toRunOptions() maps --no-store onto storeDir: false, and refuses it with flags that need a store', () => {
    expect(toRunOptions({ store: false })).toEqual({ storeDir: false });
    expect(() => toRunOptions({ store: false, storeDir: 'x' })).toThrow(
      'Expected either --no-store or --store-dir, got both',
    );
    expect(() => toRunOptions({ store: false, resume: true })).toThrow(
      'Expected either --no-store or --resume, got both',
    );
    expect(() => toRunOptions({ store: false, cache: true })).toThrow(
      'Expected either --no-store or --cache, got both',
    );
  });

  test.each(['-1', 'x', '1.5', ''])('parseRetries() refuses "%s"', (text) => {
    expect(() => parseRetries(text)).toThrow(
      `Expected --retries to be a whole number from 0 up, got "${text}"`,
    );
  });

  test.each(['0', '-5', 'soon', '2147483648'])('parseTimeout() refuses "%s"', (text) => {
    expect(() => parseTimeout(text)).toThrow(
      `Expected --timeout to be a number of milliseconds from 1 up to 2147483647, got "${text}"`,
    );
  });

  test('parseRetries() and parseTimeout() take whole numbers', () => {
    expect(parseRetries('0')).toBe(0);
    expect(parseTimeout('2147483647')).toBe(2147483647);
  });
});

describe('mergeRunOptions()', () => {
  test('mergeRunOptions() puts the flags over the options the module passed to start()', () => {
    expect(mergeRunOptions({ cores: 1, thread: 'main', retries: 3 }, { cores: 4 })).toEqual({
      cores: 4,
      thread: 'main',
      retries: 3,
    });
  });

  test("mergeRunOptions() with --no-store drops the module's resume and cache, which need a store", () => {
    expect(mergeRunOptions({ resume: 'last', cache: true, cores: 2 }, { storeDir: false })).toEqual({
      storeDir: false,
      cores: 2,
    });
  });
});

describe('toRunOptions() for the remote flags', () => {
  test('toRunOptions() maps --redis onto the bullmq executor, with --queue and --run-id', () => {
    expect(toRunOptions({ redis: 'redis://10.0.0.5:6379', queue: 'nightly', runId: 'nightly-1' })).toEqual({
      executor: 'bullmq',
      redis: 'redis://10.0.0.5:6379',
      queue: 'nightly',
      runId: 'nightly-1',
    });
    expect(toRunOptions({ redis: 'rediss://:pw@db.example:6380/2' })).toEqual({
      executor: 'bullmq',
      redis: 'rediss://:pw@db.example:6380/2',
    });
    expect(toRunOptions({ runId: 'named' })).toEqual({ runId: 'named' });
  });

  test.each(['localhost:6379', 'http://db:6379', '', 'redis'])(
    'toRunOptions() refuses --redis "%s"',
    (redis) => {
      expect(() => toRunOptions({ redis })).toThrow(
        `Expected --redis to be a redis:// or rediss:// URL, got "${redis}"`,
      );
    },
  );

  test.each(['', 'a:b', 'two words'])('toRunOptions() refuses --queue "%s"', (queue) => {
    expect(() => toRunOptions({ redis: 'redis://h', queue })).toThrow(
      `Expected --queue to be a name without ':' or spaces, got "${queue}"`,
    );
  });

  test.each(['', '-x', '../x', 'a/b', 'a:b'])('parseRunId() refuses "%s"', (text) => {
    expect(() => parseRunId(text)).toThrow(`Expected --run-id to be letters, digits, '_' and '-'`);
  });

  test('mergeRunOptions() refuses --queue without --redis, unless the module runs on Redis itself', () => {
    expect(() => mergeRunOptions({}, toRunOptions({ queue: 'q' }))).toThrow(
      'Expected --queue together with --redis, got --queue alone',
    );
    const fromModule = { executor: 'bullmq', redis: 'redis://h:6379' } as const;
    expect(mergeRunOptions(fromModule, toRunOptions({ queue: 'q' }))).toEqual({ ...fromModule, queue: 'q' });
    // --redis wins over the module's Redis.
    expect(mergeRunOptions(fromModule, toRunOptions({ redis: 'redis://other' }))).toMatchObject({
      redis: 'redis://other',
    });
  });
});

describe('tsdags run --redis-prefix', () => {
  test('mergeRunOptions() puts --redis-prefix on the Redis the run record goes to: store: { redis, prefix }', () => {
    const flags = toRunOptions({ redis: 'redis://10.0.0.5:6379', redisPrefix: 'team:nightly' });
    expect(mergeRunOptions({}, flags, 'team:nightly')).toEqual({
      executor: 'bullmq',
      redis: 'redis://10.0.0.5:6379',
      store: { redis: 'redis://10.0.0.5:6379', prefix: 'team:nightly' },
    });
    // A module on Redis itself needs no --redis; its own store's Redis keeps the record.
    const onRedis = { executor: 'bullmq', redis: 'redis://h:6379' } as const;
    expect(mergeRunOptions(onRedis, {}, 'p')).toEqual({
      ...onRedis,
      store: { redis: 'redis://h:6379', prefix: 'p' },
    });
    const ownStore = { store: { redis: 'redis://kv:6379', prefix: 'old' } };
    expect(mergeRunOptions(ownStore, {}, 'new')).toEqual({
      store: { redis: 'redis://kv:6379', prefix: 'new' },
    });
  });

  test.each(['', 'a::b', 'a b', ':a', 'a/b'])('toRunOptions() refuses --redis-prefix "%s"', (redisPrefix) => {
    expect(() => toRunOptions({ redis: 'redis://h', redisPrefix })).toThrow(
      `Expected --redis-prefix to be letters, digits, '_', '.' and '-' in segments joined by ':', got "${redisPrefix}"`,
    );
  });

  test('toRunOptions() refuses --redis-prefix with --store-dir or --no-store, which keep the record elsewhere', () => {
    expect(() => toRunOptions({ redis: 'redis://h', redisPrefix: 'p', storeDir: 'runs' })).toThrow(
      'Expected either --redis-prefix or --store-dir, got both',
    );
    expect(() => toRunOptions({ redis: 'redis://h', redisPrefix: 'p', store: false })).toThrow(
      'Expected either --no-store or --redis-prefix, got both',
    );
  });

  test('mergeRunOptions() refuses --redis-prefix for a run not on Redis, or whose module keeps its record in files', () => {
    expect(() => mergeRunOptions({}, toRunOptions({ redisPrefix: 'p' }), 'p')).toThrow(
      'Expected --redis-prefix together with --redis, got --redis-prefix alone',
    );
    const inFiles = { executor: 'bullmq', redis: 'redis://h:6379', storeDir: 'runs' } as const;
    expect(() => mergeRunOptions(inFiles, {}, 'p')).toThrow(
      'Expected --redis-prefix for a run recorded in Redis, got a pipeline file that keeps its record in files (storeDir: "runs")',
    );
    expect(() => mergeRunOptions({ ...inFiles, storeDir: false }, {}, 'p')).toThrow(
      'got a pipeline file that keeps its record in no store (storeDir: false)',
    );
  });
});
