/**
 * The thread behind RedisSyncClient: it holds the ioredis connection, runs each batch of commands
 * the main thread posts, posts the replies back and wakes the main thread, which waits on `flag`.
 * Compiled JS in dist/ (a thread cannot load the TypeScript sources).
 */
import { workerData } from 'node:worker_threads';
import type { Redis, RedisOptions } from 'ioredis';
import {
  commandTimeoutMs,
  type SyncReply,
  type SyncRequest,
  type SyncWorkerData,
} from './redis-sync-protocol.js';

const { port, flag, url, options } = workerData as SyncWorkerData;
let client: Promise<Redis> | undefined;
let lastError: Error | undefined;

port.on('message', (request: SyncRequest) => void answer(request));

async function answer({ id, commands, atomic }: SyncRequest): Promise<void> {
  let reply: SyncReply;
  let redis: Redis | undefined;
  try {
    redis = await connect();
    const batch = atomic ? redis.multi() : redis.pipeline();
    for (const [name, ...args] of commands) {
      batch.callBuffer(name, ...args.map((arg) => (arg instanceof Uint8Array ? asBuffer(arg) : arg)));
    }
    const results = (await batch.exec()) ?? [];
    const failed = results.findIndex(([error]) => error);
    const error = results[failed]?.[0];
    reply = !error
      ? { id, replies: results.map(([, value]) => value) }
      : { id, error: error.message, ...(isReply(error) ? { command: failed } : {}) };
  } catch (error) {
    // Not reached: refused, closed, timed out, credentials refused (what the connection last said
    // is more telling than "Connection is closed."). A transaction Redis refused as a whole is a reply.
    const reached = redis !== undefined && isReply(error);
    const cause = reached ? error : (lastError ?? error);
    reply = {
      id,
      error: cause instanceof Error ? cause.message : String(cause),
      ...(reached ? { command: 0 } : {}),
    };
  }
  port.postMessage(reply);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
}

// Redis answered with an error (WRONGTYPE, OOM...), as opposed to a connection that failed.
function isReply(error: unknown): boolean {
  return (error as { name?: unknown } | null)?.name === 'ReplyError';
}

function connect(): Promise<Redis> {
  return (client ??= (async () => {
    const { Redis: Client } = await import('ioredis');
    // Fail fast and loudly: a run record that cannot be written stops the run with an error naming
    // Redis, rather than letting the main thread wait on reconnects.
    const all: RedisOptions = {
      connectTimeout: commandTimeoutMs,
      ...options,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      commandTimeout: commandTimeoutMs,
      disconnectTimeout: 200,
      connectionName: 'tsdags-run-store',
    };
    const redis = url === undefined ? new Client(all) : new Client(url, all);
    // Errors reach the commands that fail; the last one explains a closed connection.
    redis.on('error', (error: Error) => (lastError = error));
    await redis.connect();
    return redis;
  })());
}

// A Uint8Array that crossed the thread boundary, as the Buffer ioredis sends as bytes.
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
