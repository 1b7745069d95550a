/**
 * The Redis address of a remote run: a `redis://` / `rediss://` URL, or ioredis options (password,
 * TLS, database number...) passed through to the client as they are.
 */
import type { Redis, RedisOptions } from 'ioredis';
import { describeValue } from '../errors.js';

/** Where Redis is: `redis://[user:password@]host:port[/db]`, `rediss://...` for TLS, or ioredis options. */
export type RedisConnection = string | (RedisOptions & { url?: string });

/** A checked address: what to give ioredis, and how to name it in messages (no credentials). */
export interface RedisTarget {
  readonly url: string | undefined;
  readonly options: RedisOptions;
  readonly address: string;
}

export function redisTarget(redis: RedisConnection | undefined, option = 'redis'): RedisTarget {
  if (typeof redis === 'string') {
    let parsed: URL;
    try {
      parsed = new URL(redis);
    } catch {
      return badAddress(redis, option);
    }
    if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') return badAddress(redis, option);
    const db = parsed.pathname.replace(/^\//, '');
    return {
      url: redis,
      options: {},
      address: `${parsed.protocol}//${parsed.hostname}:${parsed.port || 6379}${db ? `/${db}` : ''}`,
    };
  }
  if (typeof redis !== 'object' || redis === null || Array.isArray(redis)) return badAddress(redis, option);
  const { url, ...options } = redis;
  if (url !== undefined) {
    const target = redisTarget(url, `${option}.url`);
    return { ...target, options };
  }
  const address = options.path
    ? `unix:${options.path}`
    : `${options.tls ? 'rediss' : 'redis'}://${options.host ?? '127.0.0.1'}:${options.port ?? 6379}` +
      `${options.db ? `/${options.db}` : ''}`;
  return { url: undefined, options, address };
}

/**
 * A new ioredis client. BullMQ needs `maxRetriesPerRequest: null` (commands wait for a reconnect
 * rather than fail); whoever uses the client decides how long a lost Redis is tolerated.
 */
export async function createRedisClient(target: RedisTarget, connectionName: string): Promise<Redis> {
  const { Redis: Client } = await import('ioredis');
  const options: RedisOptions = {
    retryStrategy: (times: number) => Math.min(times * 200, 2000),
    // ioredis keeps the process alive this long after disconnecting a connection that is already
    // dead (its default, 2 s, delays the exit of a run that lost Redis).
    disconnectTimeout: 200,
    connectionName,
    ...target.options,
    maxRetriesPerRequest: null,
  };
  return target.url === undefined ? new Client(options) : new Client(target.url, options);
}

/** Closes a client: QUIT when connected, a plain disconnect when not (QUIT would wait for Redis forever). */
export async function closeRedisClient(client: Redis): Promise<void> {
  if (client.status === 'end') return;
  if (client.status === 'ready') {
    try {
      await client.quit();
      return;
    } catch {
      // Lost between the check and the command: disconnect below.
    }
  }
  client.disconnect(false);
}

/**
 * Drops a client at once, also one that keeps reconnecting to a Redis that is gone. ioredis does
 * not fail the commands queued while it reconnects when disconnect() is called then (the closed
 * socket's handler does not run again), so they would stay pending, and BullMQ keeps a timer
 * alive for its blocked read: fail them now.
 */
export function dropRedisClient(client: Redis): void {
  if (client.status === 'end') return;
  client.disconnect(false);
  (client as unknown as { flushQueue?: (error: Error) => void }).flushQueue?.(
    new Error('Connection is closed.'),
  );
}

/** Whether Redis refused the client's credentials (or wants some): waiting longer will not help. */
export function isAuthError(error: unknown): boolean {
  return (
    error instanceof Error &&
    /^(WRONGPASS|NOAUTH|ERR (AUTH|invalid password|Client sent AUTH))/.test(error.message)
  );
}

function badAddress(value: unknown, option: string): never {
  throw new TypeError(
    `Expected \`${option}\` to be a redis:// or rediss:// URL (redis://host:6379) or ioredis options ` +
      `({ host, port, password, tls, db }), got ${describeValue(value)}.`,
  );
}
