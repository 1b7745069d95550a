import { Redis } from 'ioredis';
import { checkRedisCredentials } from '../../lib/cli/redis-credentials.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';

let locked: RedisServer;
beforeAll(async () => {
  locked = await startRedis();
  const admin = new Redis(locked.url);
  await admin.config('SET', 'requirepass', 'right');
  admin.disconnect();
});
afterAll(async () => {
  await locked.stop();
});

describe('checkRedisCredentials()', () => {
  test('checkRedisCredentials() passes the password Redis takes, as a URL or as ioredis options', async () => {
    await expect(checkRedisCredentials(locked.url.replace('//', '//:right@'))).resolves.toBeUndefined();
    await expect(
      checkRedisCredentials({ host: '127.0.0.1', port: locked.port, password: 'right' }),
    ).resolves.toBeUndefined();
  });

  test('checkRedisCredentials() refuses a wrong or missing password with REDIS_UNAVAILABLE, naming the address only', async () => {
    const wrong = checkRedisCredentials(locked.url.replace('//', '//:wrong@'));
    await expect(wrong).rejects.toMatchObject({
      code: 'REDIS_UNAVAILABLE',
      address: locked.url,
      message: expect.stringMatching(
        /^Expected Redis at \S+ to accept the credentials given, but it refused them \(WRONGPASS/,
      ) as unknown,
    });
    await expect(wrong.catch((error: Error) => error.message)).resolves.not.toContain('wrong');
    await expect(checkRedisCredentials(locked.url)).rejects.toMatchObject({ code: 'REDIS_UNAVAILABLE' });
  });

  test('checkRedisCredentials() leaves a Redis it cannot reach to the run, which waits for it', async () => {
    await expect(checkRedisCredentials('redis://:secret@127.0.0.1:1')).resolves.toBeUndefined();
  });
});
