/**
 * batchWrites(): the commands a client sends in one tick leave in one socket write, and each is
 * still answered on its own.
 */
import { Redis } from 'ioredis';
import { batchWrites } from '../../lib/remote/batch-writes.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';

let redis: RedisServer;
let client: Redis;

beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url);
  await client.ping();
});

afterAll(async () => {
  client?.disconnect();
  await redis?.stop();
});

test('batchWrites() sends the commands of one tick in one write, each answered', async () => {
  const stream = client.stream;
  const writes: number[] = [];
  const writev = stream._writev!.bind(stream);
  const write = stream._write.bind(stream);
  stream._writev = (chunks, callback) => (writes.push(chunks.length), writev(chunks, callback));
  stream._write = (chunk, encoding, callback) => (writes.push(1), write(chunk, encoding, callback));
  try {
    batchWrites(client);
    batchWrites(client); // twice in a tick: still one write
    expect(stream.writableCorked).toBe(1);
    const replies = await Promise.all([client.set('a', '1'), client.incr('n'), client.get('a')]);
    expect(replies).toEqual(['OK', 1, '1']);
    expect(writes).toEqual([3]);
    expect(stream.writableCorked).toBe(0);
  } finally {
    stream._writev = writev;
    stream._write = write;
  }
});

test('batchWrites() leaves a client that is not connected alone', () => {
  const offline = new Redis(redis.url, { lazyConnect: true });
  expect(() => batchWrites(offline)).not.toThrow();
  offline.disconnect();
});
