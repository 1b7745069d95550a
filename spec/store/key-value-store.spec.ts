import {
  FileKeyValueStore,
  InvalidStoreKeyError,
  Pipeline,
  RedisKeyValueStore,
  Stage,
  type KeyValueStore,
  type StageContext,
} from 'tsdags';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { tempDir } from '../support/temp-dir.js';

let redis: RedisServer;
let dir: ReturnType<typeof tempDir>;
beforeAll(async () => {
  redis = await startRedis();
  dir = tempDir();
});
afterAll(async () => {
  await redis.stop();
  dir.remove();
});

// One conformance suite, run against every store.
const stores: [string, () => KeyValueStore & { close?: () => Promise<void> }][] = [
  ['FileKeyValueStore', () => new FileKeyValueStore(dir.path)],
  ['RedisKeyValueStore', () => new RedisKeyValueStore(redis.url, `tsdags-test:${Math.random()}:`)],
];

describe.each(stores)('%s', (_name, make) => {
  let store: ReturnType<typeof make>;
  beforeEach(() => (store = make()));
  afterEach(() => store.close?.());

  test('set(), get() and delete() a structured value', async () => {
    const value = { rows: [1, 2], at: new Date(5), tags: new Set(['a']), bytes: new Uint8Array([9]) };
    await store.set('models/latest', value);

    expect(await store.get('models/latest')).toEqual(value);
    expect(await store.delete('models/latest')).toBe(true);
    expect(await store.get('models/latest')).toBeUndefined();
    expect(await store.delete('models/latest')).toBe(false);
  });

  test('overwrites a key', async () => {
    await store.set('k', 1);
    await store.set('k', 2);
    expect(await store.get('k')).toBe(2);
  });

  test('refuses keys that could escape the store', async () => {
    await expect(store.set('../outside', 1)).rejects.toBeInstanceOf(InvalidStoreKeyError);
    await expect(store.get('/etc/passwd')).rejects.toBeInstanceOf(InvalidStoreKeyError);
  });

  test('refuses a value it cannot store, saying what it got', async () => {
    await expect(store.set('fn', () => 1)).rejects.toThrow(
      'ctx.store.set("fn") got function (anonymous), which cannot be stored.',
    );
  });
});

describe('ctx.store', () => {
  class Remember extends Stage<number> {
    async run(ctx: StageContext): Promise<number> {
      const seen = ((await ctx.store.get<number>('visits')) ?? 0) + 1;
      await ctx.store.set('visits', seen);
      return seen;
    }
  }

  test('is the file store by default, kept between runs', async () => {
    const local = tempDir();
    const first = await new Pipeline().addStage(new Remember()).start({ storeDir: local.path });
    const second = await new Pipeline().addStage(new Remember()).start({ storeDir: local.path });
    local.remove();

    expect([first.output('Remember'), second.output('Remember')]).toEqual([1, 2]);
  });

  test('is Redis when configured', async () => {
    const s = new Remember();
    const result = await new Pipeline().addStage(s).start({ storeDir: false, store: { redis: redis.url } });
    const check = new RedisKeyValueStore(redis.url);

    expect(result.output(s)).toBe(1);
    expect(await check.get('visits')).toBe(1);
    await check.close();
  });

  test('a value tsdags did not write is named, not a raw decode error', async () => {
    const { Redis } = await import('ioredis');
    const raw = new Redis(redis.url);
    await raw.set('tsdags:kv:foreign', 'plain text');
    await raw.quit();
    const store = new RedisKeyValueStore(redis.url);

    await expect(store.get('foreign')).rejects.toThrow(
      `The Redis store at ${redis.url} holds a value under "tsdags:kv:foreign" that tsdags did not write`,
    );
    await store.close();
  });

  test('a Redis that is not there fails the stage with an error naming its address', async () => {
    const s = new Remember();
    const result = await new Pipeline()
      .addStage(s)
      .run({ storeDir: false, store: { redis: 'redis://127.0.0.1:1' } }).done;

    expect(result.status).toBe('failed');
    expect(result.errors[0]!.message).toContain('The Redis store at redis://127.0.0.1:1 did not answer');
  });
});
