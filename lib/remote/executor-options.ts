/** The options of the bullmq executor (lib/executors/bullmq.ts), and their checks. */
import { describeValue } from '../errors.js';
import { defaultQueue } from './protocol.js';
import { redisTarget, type RedisConnection } from './redis-connection.js';

/** Where a run's remote stages go. */
export interface BullMQExecutorOptions {
  /** The run's id: each attempt's job id is made from it, the stage name and the attempt number. */
  runId: string;
  /** Where Redis is: `redis://host:6379`, or ioredis options (password, TLS, db). */
  redis: RedisConnection;
  /** The BullMQ queue the workers listen on; default `'tsdags'`. */
  queue?: string;
  /** BullMQ's Redis key prefix; default `'bull'`. */
  prefix?: string;
  /** How long (ms) Redis may be unreachable before the stages waiting on it fail; default 10000. */
  redisTimeout?: number;
  /** How long (s) finished jobs stay in Redis, where a restarted orchestrator finds them; default 86400. */
  keepJobs?: number;
  /**
   * The id of the run this one resumes. The jobs its orchestrator left (waiting, running on a
   * worker, or finished after it stopped) are taken over when they do the same work (same stage,
   * attempt and arguments): waited for or read back, not run a second time.
   */
  resumes?: string;
  /**
   * The run's `cores`: the workers' total concurrency. The run then keeps up to `jobsPerCore` times
   * as many jobs in Redis (running or waiting), so that a worker that ends a stage takes the next
   * at once instead of waiting for the result's round trip through the orchestrator. Default: none
   * queued beyond `cores`.
   */
  cores?: number;
}

/**
 * Jobs in Redis per core of the run (issue 7's no-op benchmark, 1 and 2 worker processes: 2 per
 * core halved the gap to a run with every stage queued, 4 left little of it; each queued job can
 * delay a more urgent stage that becomes ready later, since BullMQ runs them first come first served).
 */
export const jobsPerCore = 4;

export type BullMQSettings = Required<Omit<BullMQExecutorOptions, 'resumes' | 'cores'>> &
  Pick<BullMQExecutorOptions, 'resumes' | 'cores'>;

/** The options with their defaults; a TypeError naming the first one that is wrong. */
export function checkExecutorOptions(options: BullMQExecutorOptions): BullMQSettings {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Expected an options object for the bullmq executor, got ${describeValue(options)}.`);
  }
  const {
    runId,
    redis,
    queue = defaultQueue,
    prefix = 'bull',
    redisTimeout = 10_000,
    keepJobs = 86_400,
    resumes,
    cores,
  } = options;
  redisTarget(redis);
  for (const [name, value] of [
    ['runId', runId],
    ['resumes', resumes ?? 'none'],
  ] as const) {
    if (typeof value !== 'string' || value.length === 0) {
      throw new TypeError(`Expected \`${name}\` to be a non-empty string, got ${describeValue(value)}.`);
    }
  }
  checkQueueNames(queue, prefix);
  if (cores !== undefined && (!Number.isInteger(cores) || cores < 1)) {
    throw new TypeError(`Expected \`cores\` to be a whole number from 1 up, got ${describeValue(cores)}.`);
  }
  for (const [name, value, unit] of [
    ['redisTimeout', redisTimeout, 'ms'],
    ['keepJobs', keepJobs, 's'],
  ] as const) {
    if (!Number.isFinite(value) || value <= 0) {
      throw new TypeError(
        `Expected \`${name}\` to be a number of ${unit} above 0, got ${describeValue(value)}.`,
      );
    }
  }
  return { runId, redis, queue, prefix, redisTimeout, keepJobs: Math.ceil(keepJobs), resumes, cores };
}

/** Checks a BullMQ queue name and key prefix: non-empty, and without ':' (BullMQ's separator). */
export function checkQueueNames(queue: unknown, prefix: unknown): void {
  for (const [name, value] of [
    ['queue', queue],
    ['prefix', prefix],
  ] as const) {
    if (typeof value !== 'string' || value.length === 0 || value.includes(':')) {
      throw new TypeError(
        `Expected \`${name}\` to be a non-empty name without ':', got ${describeValue(value)}.`,
      );
    }
  }
}
