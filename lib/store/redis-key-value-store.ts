import type { Redis, RedisOptions } from 'ioredis';
import { TsdagsError } from '../errors.js';
import { redisTarget, type RedisConnection, type RedisTarget } from '../remote/redis-connection.js';
import type { KeyValueStore } from '../stage/stage.js';
import { decode, encode } from './codec.js';
import { checkKey } from './keys.js';
import { unstorable } from './store-errors.js';

/**
 * `ctx.store` in Redis, pydags' RedisStage: values encoded with V8's serializer under
 * `<prefix><key>`. A Redis that cannot be reached fails the call with an error naming its address
 * instead of waiting for it. The client (and ioredis itself) is loaded on first use, so runs that
 * never touch the store, and worker threads, do not pay for it.
 */
export class RedisKeyValueStore implements KeyValueStore {
  readonly #target: RedisTarget;
  readonly #prefix: string;
  #client: Promise<Redis> | undefined;

  constructor(connection: RedisConnection, prefix = 'tsdags:kv:') {
    this.#target = redisTarget(connection, 'store.redis');
    this.#prefix = prefix;
  }

  async get<T = unknown>(key: string): Promise<T | undefined> {
    const name = this.#prefix + checkKey(key);
    const bytes = await this.#call((redis) => redis.getBuffer(name));
    if (bytes === null) return undefined;
    try {
      return decode(bytes) as T;
    } catch {
      throw new TsdagsError(
        'STORE_CORRUPT',
        `The Redis store at ${this.#target.address} holds a value under ${JSON.stringify(name)} that tsdags did ` +
          'not write (it cannot be decoded). Delete that key, or use another store key.',
      );
    }
  }

  async set(key: string, value: unknown): Promise<void> {
    const name = this.#prefix + checkKey(key);
    const bytes = encode(value);
    if (!bytes) throw unstorable(key, value);
    await this.#call((redis) => redis.set(name, bytes));
  }

  async delete(key: string): Promise<boolean> {
    const name = this.#prefix + checkKey(key);
    return (await this.#call((redis) => redis.del(name))) > 0;
  }

  async close(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    if (!client) return;
    const redis = await client.catch(() => undefined);
    if (!redis) return;
    if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect());
    else redis.disconnect();
  }

  #connect(): Promise<Redis> {
    return (this.#client ??= (async () => {
      const { Redis: Client } = await import('ioredis');
      // Fail fast: a store that cannot be reached fails the stage that needs it rather than waiting.
      const options: RedisOptions = {
        maxRetriesPerRequest: 1,
        lazyConnect: true,
        retryStrategy: () => null,
        // ioredis otherwise keeps the process alive 2 s after dropping a dead connection.
        disconnectTimeout: 200,
        ...this.#target.options,
      };
      const redis =
        this.#target.url === undefined ? new Client(options) : new Client(this.#target.url, options);
      // Connection errors surface on the calls that need the connection; no unhandled 'error' events.
      redis.on('error', () => {});
      return redis;
    })());
  }

  async #call<T>(command: (redis: Redis) => Promise<T>): Promise<T> {
    try {
      const redis = await this.#connect();
      if (redis.status === 'wait') await redis.connect();
      return await command(redis);
    } catch (cause) {
      if (cause instanceof TsdagsError) throw cause;
      throw new TsdagsError(
        'STORE_UNREACHABLE',
        `The Redis store at ${this.#target.address} did not answer: ` +
          `${cause instanceof Error ? cause.message : String(cause)}. ` +
          'Check that Redis is running there, or leave `store` unset to use the file store.',
        { cause },
      );
    }
  }
}
