import { isAuthError, redisTarget, type RedisConnection } from '../remote/redis-connection.js';
import { RedisUnavailableError } from '../remote/remote-errors.js';

/**
 * Refuses a Redis that refuses the credentials given (a wrong or missing password, an unknown
 * ACL user), before a remote run starts: that is a bad `--redis`, said in one sentence as
 * `tsdags worker` says it (exit 2), rather than a run whose every remote stage fails with it.
 * A Redis that cannot be reached is left to the run, which waits for it as it always has.
 */
export async function checkRedisCredentials(redis: RedisConnection): Promise<void> {
  const target = redisTarget(redis);
  const { Redis } = await import('ioredis');
  const options = {
    ...target.options,
    connectionName: 'tsdags-run-check',
    lazyConnect: true,
    // One try, no reconnection: this connection only asks whether Redis lets us in.
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    // Nothing to say goodbye to: ioredis would keep a closed socket's timer alive for 2 s.
    disconnectTimeout: 0,
  };
  const client = target.url === undefined ? new Redis(options) : new Redis(target.url, options);
  // ioredis reports a refused AUTH as an 'error' event, and the next command then fails with
  // NOAUTH: the refusal itself says more.
  let refused: unknown;
  client.on('error', (error: unknown) => {
    if (isAuthError(error)) refused ??= error;
  });
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    if (isAuthError(error)) refused ??= error;
  } finally {
    client.disconnect();
  }
  if (refused !== undefined) throw new RedisUnavailableError(target.address, 0, refused);
}
