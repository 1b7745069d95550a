import { Redis, type RedisOptions } from 'ioredis';
import { TsdagsError } from '../errors.js';
import { redisTarget, type RedisConnection } from '../remote/redis-connection.js';
import type { KeyValueStore } from '../stage/stage.js';
import { decode, encode } from './codec.js';
import { checkKey } from './keys.js';
import { unstorable } from './store-errors.js';

/**
 * `ctx.store` in Redis, pydags' RedisStage: values encoded with V8's serializer under
 * `<prefix><key>`. A Redis that cannot be reached fails the call with an error naming its address
 * instead of waiting for it.
 */
export class RedisKeyValueStore implements KeyValueStore {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #address: string;

  constructor(connection: RedisConnection, prefix = 'tsdags:kv:') {
    // Fail fast: a store that cannot be reached fails the stage that needs it rather than waiting.
    const options: RedisOptions = { maxRetriesPerRequest: 1, lazyConnect: true, retryStrategy: () => null };
    const target = redisTarget(connection, 'store.redis');
    this.#redis =
      target.url === undefined
        ? new Redis({ ...options, ...target.options })
        : new Redis(target.url, { ...options, ...target.options });
    this.#address = target.address;
    this.#prefix = prefix;
    // Connection errors surface on the calls that need the connection; no unhandled 'error' events.
    this.#redis.on('error', () => {});
  }

  async get<T = unknown>(key: string): Promise<T | undefined> {
    const bytes = await this.#call(() => this.#redis.getBuffer(this.#prefix + checkKey(key)));
    return bytes === null ? undefined : (decode(bytes) as T);
  }

  async set(key: string, value: unknown): Promise<void> {
    const bytes = encode(value);
    if (!bytes) throw unstorable(key, value);
    await this.#call(() => this.#redis.set(this.#prefix + checkKey(key), bytes));
  }

  async delete(key: string): Promise<boolean> {
    return (await this.#call(() => this.#redis.del(this.#prefix + checkKey(key)))) > 0;
  }

  async close(): Promise<void> {
    if (this.#redis.status === 'ready') await this.#redis.quit();
    else this.#redis.disconnect();
  }

  async #call<T>(command: () => Promise<T>): Promise<T> {
    try {
      if (this.#redis.status === 'wait') await this.#redis.connect();
      return await command();
    } catch (cause) {
      if (cause instanceof TsdagsError) throw cause;
      throw new TsdagsError(
        'STORE_UNREACHABLE',
        `The Redis store at ${this.#address} did not answer: ${cause instanceof Error ? cause.message : String(cause)}. ` +
          'Check that Redis is running there, or leave `store` unset to use the file store.',
        { cause },
      );
    }
  }
}
