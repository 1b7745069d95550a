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

port.on('message', (request: SyncRequest) => void answer(request));

async function answer({ id, commands, atomic }: SyncRequest): Promise<void> {
  let reply: SyncReply;
  try {
    const redis = await connect();
    const batch = atomic ? redis.multi() : redis.pipeline();
    for (const [name, ...args] of commands) {
      batch.callBuffer(name, ...args.map((arg) => (arg instanceof Uint8Array ? asBuffer(arg) : arg)));
    }
    const results = (await batch.exec()) ?? [];
    const failed = results.findIndex(([error]) => error);
    reply =
      failed < 0
        ? { id, replies: results.map(([, value]) => value) }
        : { id, error: results[failed]![0]!.message, command: failed };
  } catch (error) {
    // Not reached (refused, closed, timed out), or a transaction that failed as a whole.
    const reached = (error as { name?: unknown }).name === 'ReplyError';
    reply = {
      id,
      error: error instanceof Error ? error.message : String(error),
      ...(reached ? { command: 0 } : {}),
    };
  }
  port.postMessage(reply);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
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
    redis.on('error', () => {}); // Errors reach the commands that fail; no unhandled 'error' event.
    await redis.connect();
    return redis;
  })());
}

// A Uint8Array that crossed the thread boundary, as the Buffer ioredis sends as bytes.
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
