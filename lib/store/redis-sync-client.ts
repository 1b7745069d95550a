import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { TsdagsError } from '../errors.js';
import type { RedisTarget } from '../remote/redis-connection.js';
import {
  commandTimeoutMs,
  type RedisCommand,
  type SyncReply,
  type SyncWorkerData,
} from './redis-sync-protocol.js';

// Under jest the library runs from its TypeScript sources, which a thread cannot load: the
// compiled entry in dist/ is used (the tests build first), as for the worker-thread executor.
const here = import.meta.url;
const entry = here.endsWith('.ts')
  ? new URL('../../dist/store/redis-sync-worker.js', here)
  : new URL('./redis-sync-worker.js', here);

// A reply later than this means the thread itself is stuck: ioredis gives up on a command sooner.
const replyTimeoutMs = 3 * commandTimeoutMs;

/** Redis refused a command (it was reached): `command` is the command's index in its batch. */
export class RedisReplyError extends Error {
  readonly command: number;

  constructor(message: string, command: number) {
    super(message);
    this.name = 'RedisReplyError';
    this.command = command;
  }
}

/**
 * A Redis connection that answers synchronously: the connection lives in a thread of its own and
 * the calling thread waits (Atomics.wait) for each batch's replies. The engine's recorder is
 * synchronous and a `stage:done` must be stored before the event is announced; this makes it
 * stored in Redis, acknowledged, not only handed to a socket. One round trip per batch.
 */
export class RedisSyncClient {
  readonly address: string;
  readonly #worker: Worker;
  readonly #port: MessagePort;
  readonly #flag = new Int32Array(new SharedArrayBuffer(4));
  #next = 0;
  #broken: Error | undefined;

  constructor(target: RedisTarget) {
    this.address = target.address;
    if (!existsSync(fileURLToPath(entry))) {
      throw new TsdagsError(
        'INTERNAL',
        `Expected the Redis run store's thread at ${fileURLToPath(entry)}, got no such file: build tsdags first (npm run build).`,
      );
    }
    try {
      structuredClone(target.options);
    } catch {
      throw new TypeError(
        `Expected Redis connection options that can be passed to a thread (plain data: host, port, password, ` +
          `tls, db; no functions) for the run record at ${target.address}, got options holding a function or ` +
          'another value a thread cannot be given.',
      );
    }
    const { port1, port2 } = new MessageChannel();
    this.#port = port1;
    const workerData: SyncWorkerData = {
      port: port2,
      flag: this.#flag,
      url: target.url,
      options: target.options,
    };
    // No inherited flags (a tsx loader would load for nothing): the entry is plain JS.
    this.#worker = new Worker(entry, { workerData, transferList: [port2], execArgv: [] });
    this.#worker.on('error', (error) => (this.#broken ??= error));
    this.#worker.unref();
  }

  /**
   * Runs the commands in order (in one MULTI/EXEC when `atomic`) and returns their replies; binary
   * replies come back as Uint8Array. Throws RedisReplyError when Redis refused one, and
   * STORE_UNREACHABLE when Redis could not be reached.
   */
  call(commands: readonly RedisCommand[], atomic = false): unknown[] {
    if (this.#broken) throw this.#unreachable(this.#broken.message);
    const id = ++this.#next;
    const flag = this.#flag;
    Atomics.store(flag, 0, 0);
    this.#port.postMessage({ id, commands, atomic });
    for (;;) {
      if (Atomics.wait(flag, 0, 0, replyTimeoutMs) === 'timed-out') {
        this.#broken = new Error(`no reply in ${replyTimeoutMs / 1000} s`);
        throw this.#unreachable(this.#broken.message);
      }
      const received = receiveMessageOnPort(this.#port);
      Atomics.store(flag, 0, 0);
      const reply = received?.message as SyncReply | undefined;
      // A reply to an earlier call that timed out is dropped; nothing posted yet is waited for.
      if (reply?.id !== id) continue;
      if (!('error' in reply)) return reply.replies;
      if (reply.command !== undefined) throw new RedisReplyError(reply.error, reply.command);
      throw this.#unreachable(reply.error);
    }
  }

  async close(): Promise<void> {
    this.#broken ??= new Error('the store was closed');
    this.#port.close();
    await this.#worker.terminate();
  }

  #unreachable(why: string): TsdagsError {
    return new TsdagsError(
      'STORE_UNREACHABLE',
      `The Redis run store at ${this.address} is not available (${why}). Check that Redis is running ` +
        'there and that its password, TLS and database settings are right, or keep run records in files (storeDir).',
    );
  }
}
