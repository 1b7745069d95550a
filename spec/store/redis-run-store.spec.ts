/**
 * What only a Redis run store can meet: values another program wrote under its keys, a Redis that
 * is not there, goes away mid-run, refuses a password or a write. Every error names the address
 * (never the password) and, for a foreign value, the key.
 */
import { Redis } from 'ioredis';
import { Pipeline, StoreCorruptError, stage } from 'tsdags';
import { RedisRunStore } from '../../lib/store/redis-run-store.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { runWithStore, startWithStore } from '../support/run-with-store.js';

let redis: RedisServer;
let raw: Redis;
let n = 0;
beforeAll(async () => {
  redis = await startRedis();
  raw = new Redis(redis.url);
});
afterAll(async () => {
  await raw.quit();
  await redis.stop();
});

const value = stage({ thread: 'main' }, function value(v: unknown) {
  return v;
});

/** A store on a fresh prefix, closed after `use`. */
async function withStore<T>(use: (store: RedisRunStore, prefix: string) => T | Promise<T>): Promise<T> {
  const prefix = `edges:${++n}`;
  const store = new RedisRunStore(redis.url, { prefix });
  try {
    return await use(store, prefix);
  } finally {
    await store.close();
  }
}

const corrupt = (key: string, problem: string) => StoreCorruptError.redis(redis.url, key, problem);

describe('RedisRunStore with values tsdags did not write', () => {
  test('a run header that is not JSON, or not a tsdags record, is named with its key', async () => {
    await withStore(async (store, prefix) => {
      await raw.zadd(`${prefix}:runs`, 1, 'foreign');
      await raw.set(`${prefix}:run:foreign`, 'plain text');
      expect(() => store.readRun('foreign')).toThrow(corrupt(`${prefix}:run:foreign`, 'is not valid JSON'));
      expect(() => store.listRuns()).toThrow(StoreCorruptError);

      await raw.set(`${prefix}:run:foreign`, JSON.stringify({ hello: 'world' }));
      expect(() => store.readRun('foreign')).toThrow(
        `The Redis run store at ${redis.url} holds under "${prefix}:run:foreign" a value that is not a tsdags run ` +
          'record (format "tsdags-run", version 1). It was not written by this version of tsdags, or it was ' +
          'damaged: delete that key (or use another prefix) and run again.',
      );
    });
  });

  test('a key of another Redis type is named, not a raw WRONGTYPE', async () => {
    await withStore(async (store, prefix) => {
      await raw.rpush(`${prefix}:run:listed`, 'x');
      expect(() => store.readRun('listed')).toThrow(
        corrupt(`${prefix}:run:listed`, 'is of another Redis type than tsdags writes there'),
      );
      await raw.set(`${prefix}:runs`, 'not a sorted set');
      expect(() => store.listRuns()).toThrow(
        corrupt(`${prefix}:runs`, 'is of another Redis type than tsdags writes there'),
      );
    });
  });

  test('an event that is not a tsdags event is named with its index', async () => {
    await withStore(async (store, prefix) => {
      const result = await startWithStore(new Pipeline().addStage(value(1)), store);
      await raw.lset(`${prefix}:run:${result.runId}:events`, 1, 'garbage');
      // Read back through another connection, as `tsdags show` would.
      const again = new RedisRunStore(redis.url, { prefix });
      try {
        expect(() => again.readRun(result.runId)).toThrow(
          corrupt(
            `${prefix}:run:${result.runId}:events`,
            'has an element that is not a tsdags event (index 1)',
          ),
        );
      } finally {
        await again.close();
      }
    });
  });

  test('a missing or undecodable large result is named when resuming', async () => {
    const big = stage({ thread: 'main' }, function big() {
      return 'x'.repeat(50_000);
    });
    const prefix = `edges:${++n}`;
    const open = () => new RedisRunStore(redis.url, { prefix });
    const first = await startWithStore(new Pipeline({ name: 'big' }).addStage(big().named('big')), open());
    const [key] = await raw.keys(`${prefix}:run:${first.runId}:result:*`);
    await raw.set(key!, 'not V8 bytes');
    expect(() =>
      runWithStore(new Pipeline({ name: 'big' }).addStage(big().named('big')), open(), { resume: 'last' }),
    ).toThrow(corrupt(key!, 'holds a result of stage "big" that cannot be decoded'));
    await raw.del(key!);
    expect(() =>
      runWithStore(new Pipeline({ name: 'big' }).addStage(big().named('big')), open(), { resume: 'last' }),
    ).toThrow(corrupt(key!, 'is missing: it held the result of stage "big"'));
  });

  test('a damaged cache entry is a miss (the stage runs), and damaged durations are ignored', async () => {
    let calls = 0;
    const square = stage({ thread: 'main', cache: true }, function square(x: number) {
      calls++;
      return x * x;
    });
    const prefix = `edges:${++n}`;
    const open = () => new RedisRunStore(redis.url, { prefix });
    await startWithStore(new Pipeline({ name: 'sq' }).addStage(square(3)), open());
    const [entry] = await raw.keys(`${prefix}:cache:*`);
    await raw.set(entry!, 'not V8 bytes');
    const [durations] = await raw.keys(`${prefix}:durations:*`);
    await raw.set(durations!, '{');
    const again = await startWithStore(new Pipeline({ name: 'sq' }).addStage(square(3)), open());

    expect(calls).toBe(2);
    expect(Object.values(again.stages)[0]!.status).toBe('succeeded');
    await raw.del(durations!);
    await raw.rpush(durations!, 'x');
    const store = open();
    expect(store.readDurations('sq')).toBeUndefined();
    await store.close();
  });

  test('prefixes keep stores apart', async () => {
    await withStore(async (one) => {
      await withStore(async (two) => {
        await startWithStore(
          new Pipeline().addStage(value(1)),
          new RedisRunStore(redis.url, { prefix: one.prefix }),
        );
        expect(one.listRuns()).toHaveLength(1);
        expect(two.listRuns()).toEqual([]);
      });
    });
  });
});

describe('RedisRunStore when Redis is not what it should be', () => {
  test('a Redis that is not there fails the run before it starts, naming the address and not the password', () => {
    const store = new RedisRunStore('redis://:secret@127.0.0.1:1/2');
    let error: Error | undefined;
    try {
      runWithStore(new Pipeline().addStage(value(1)), store);
    } catch (caught) {
      error = caught as Error;
    }
    expect(error).toMatchObject({ code: 'STORE_UNREACHABLE' });
    expect(error!.message).toMatch(
      /^The Redis run store at redis:\/\/127\.0\.0\.1:1\/2 is not available \(.*ECONNREFUSED.*\)\. Check that Redis is running there/,
    );
    expect(error!.message).not.toContain('secret');
  });

  test('a password Redis refuses is said, naming the address and not the password', async () => {
    const locked = await startRedis();
    try {
      const admin = new Redis(locked.url);
      await admin.config('SET', 'requirepass', 'right');
      admin.disconnect();
      const store = new RedisRunStore(`redis://:wrong@127.0.0.1:${locked.port}`);
      expect(() => store.listRuns()).toThrow(
        new RegExp(
          `^The Redis run store at redis://127\\.0\\.0\\.1:${locked.port} is not available \\(WRONGPASS`,
        ),
      );
      expect(() => store.listRuns()).not.toThrow(/wrong@/);
      await store.close();
    } finally {
      await locked.stop();
    }
  });

  test('a Redis that goes away mid-run fails the run with STORE_WRITE, naming the address and the stage', async () => {
    const lost = await startRedis();
    const stop = stage({ thread: 'main' }, async function stopRedis() {
      await lost.stop();
      return 1;
    });
    const run = runWithStore(new Pipeline().addStage(stop()), new RedisRunStore(lost.url), { runId: 'lost' });

    await expect(run.done).rejects.toMatchObject({ code: 'STORE_WRITE' });
    await expect(run.done).rejects.toThrow(
      `The run record in Redis at ${lost.url} (key "tsdags:run:lost") could not be written for stage "stopRedis" ` +
        `(The Redis run store at ${lost.url} is not available (`,
    );
  });

  test('a write Redis refuses (out of memory) fails the run with STORE_WRITE naming the key', async () => {
    const full = await startRedis();
    const admin = new Redis(full.url);
    try {
      await admin.config('SET', 'maxmemory-policy', 'noeviction');
      await admin.config('SET', 'maxmemory', '1');
      const store = new RedisRunStore(full.url, { prefix: 'full' });
      expect(() => runWithStore(new Pipeline().addStage(value(1)), store, { runId: 'oom' })).toThrow(
        `The Redis run store at ${full.url} refused a command on "full:run:oom": OOM command not allowed`,
      );
    } finally {
      admin.disconnect();
      await full.stop();
    }
  });

  test('refuses a prefix that could mix with other keys, and options a thread cannot be given', () => {
    for (const prefix of ['', 'a::b', 'trailing:', 'with space', 'x*']) {
      expect(() => new RedisRunStore(redis.url, { prefix })).toThrow(
        /^Expected a Redis key prefix of letters/,
      );
    }
    expect(() => new RedisRunStore({ port: redis.port, retryStrategy: () => 1 })).toThrow(
      /^Expected Redis connection options that can be passed to a thread .* for the run record at redis:\/\/127\.0\.0\.1:\d+/,
    );
    expect(() => new RedisRunStore('http://x')).toThrow(
      /Expected `redis` to be a redis:\/\/ or rediss:\/\/ URL/,
    );
  });
});
