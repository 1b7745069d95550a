/**
 * A throwaway redis-server for one spec file: 127.0.0.1, a free port, no persistence. Started
 * with `startRedis()`, stopped with `redis.stop()` (in afterAll). The benchmark's BullMQ suite
 * starts its server the same way; the one implementation lives in bench/remote/.
 */
export { startRedis, type RedisServer } from '../../bench/remote/redis-server.js';
