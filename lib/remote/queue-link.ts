import type { Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import type { StageJobData, StageJobResult } from './protocol.js';
import {
  closeRedisClient,
  createRedisClient,
  dropRedisClient,
  redisTarget,
  type RedisConnection,
} from './redis-connection.js';
import { RedisWatchdog } from './redis-watchdog.js';

/** What a link opened: the client, the queue jobs are added to, and the reader of its events. */
export interface OpenLink {
  readonly client: Redis;
  readonly queue: Queue<StageJobData, StageJobResult>;
  readonly events: QueueEvents;
}

export interface QueueLinkOptions {
  readonly redis: RedisConnection;
  readonly runId: string;
  readonly queue: string;
  readonly prefix: string;
  /** How long Redis may be unreachable before the link is lost (RedisWatchdog). */
  readonly redisTimeout: number;
  /** Called once when Redis has been unreachable for redisTimeout. */
  readonly lost: (error: Error) => void;
}

/**
 * An orchestrator's link to a BullMQ queue (the bullmq executor's): one Redis client watched by a
 * RedisWatchdog, the Queue that adds jobs, and QueueEvents reading the queue's event stream from
 * before the first job this run adds, so that none of its events can be missed.
 */
export class QueueLink {
  readonly #options: QueueLinkOptions;
  #client: Redis | undefined;
  #watchdog: RedisWatchdog | undefined;
  // BullMQ duplicates the client for its blocking reads: kept, to drop them if Redis is gone.
  readonly #duplicates: Redis[] = [];
  #open: OpenLink | undefined;
  #closed = false;

  constructor(options: QueueLinkOptions) {
    this.#options = options;
  }

  /** Redis unreachable for longer than redisTimeout: the link is lost. */
  get lostError(): Error | undefined {
    return this.#watchdog?.error;
  }

  /** Connects; rejects when Redis cannot be reached within redisTimeout. */
  async open(): Promise<OpenLink> {
    const { redis, runId, queue: name, prefix, redisTimeout, lost } = this.#options;
    const target = redisTarget(redis);
    const client = (this.#client = await createRedisClient(target, `tsdags-run-${runId}`));
    const duplicate = client.duplicate.bind(client);
    client.duplicate = (override) => {
      const copy = duplicate(override);
      this.#duplicates.push(copy);
      return copy;
    };
    const watchdog = (this.#watchdog = new RedisWatchdog(client, target.address, redisTimeout, lost));
    await watchdog.ready();
    if (watchdog.error) throw watchdog.error;
    const { Queue: BullQueue, QueueEvents: BullQueueEvents } = await import('bullmq');
    // Closed while it connected: its client is dropped already.
    if (this.#closed) throw new Error('the queue link was closed while it connected');
    const connection = { connection: client, prefix };
    const queue = new BullQueue<StageJobData, StageJobResult>(name, connection);
    queue.on('error', () => {});
    // Read events from the stream's current end, taken before any job is added (QueueEvents'
    // default '$' starts when its first read does, which may come after this run's first events).
    const last = await client.xrevrange(queue.keys.events!, '+', '-', 'COUNT', 1);
    const events = new BullQueueEvents(name, { ...connection, lastEventId: last[0]?.[0] ?? '0-0' });
    events.on('error', () => {});
    return (this.#open = { client, queue, events });
  }

  /**
   * Closes the queue, its events and the client. With Redis gone, BullMQ's close would wait for
   * it: its loops are told to stop without waiting, and every connection is dropped.
   */
  async close(): Promise<void> {
    this.#closed = true;
    this.#watchdog?.stop();
    const client = this.#client;
    if (!client) return;
    const open = this.#open;
    if (!open || this.#watchdog?.error) {
      if (open) void Promise.allSettled([open.events.close(), open.queue.close()]);
      for (const c of [client, ...this.#duplicates]) dropRedisClient(c);
      return;
    }
    await Promise.allSettled([open.events.close(), open.queue.close()]);
    await closeRedisClient(client);
  }
}
