/**
 * Errors of remote runs. They extend TsdagsError like the rest; they live here until the lead
 * moves them into lib/errors.ts.
 */
import { TsdagsError } from '../errors.js';
import { isAuthError } from './redis-connection.js';

/** Redis could not be reached (or was lost) for longer than the executor waits, or refused the credentials. */
export class RedisUnavailableError extends TsdagsError {
  /** Where Redis was expected, without credentials: `redis://host:port/db`. */
  readonly address: string;

  constructor(address: string, waitedMs: number, cause?: unknown) {
    super(
      'REDIS_UNAVAILABLE',
      isAuthError(cause)
        ? `Expected Redis at ${address} to accept the credentials given, but it refused them (${(cause as Error).message}). ` +
            `Check the password (and user) in the Redis URL (redis://user:password@host:port) or options.`
        : `Expected Redis at ${address}, but it did not answer for ${waitedMs} ms` +
            `${cause instanceof Error ? ` (${cause.message})` : ''}. Check that redis-server runs there and ` +
            `that this machine can reach it, or pass the right address with \`redis\` (--redis).`,
      { cause },
    );
    this.address = address;
  }
}

/** A remote worker refused a job before running anything: bad data, or a stage its module does not define. */
export class RemoteJobRejectedError extends TsdagsError {
  readonly jobId: string | undefined;

  constructor(jobId: string | undefined, reason: string) {
    super('REMOTE_JOB_REJECTED', `A tsdags worker refused job ${jobId ?? '(no id)'}: ${reason}.`);
    this.jobId = jobId;
  }
}

/** A remote stage failed without its worker reporting why: the worker was lost (BullMQ's message says how). */
export class RemoteStageLostError extends TsdagsError {
  readonly stage: string;

  constructor(stage: string, reason: string) {
    super(
      'REMOTE_STAGE_LOST',
      `Stage "${stage}" failed on a remote worker that gave no error of its own: ${reason}. A worker that ` +
        `stops renewing its job lock (killed, frozen, cut off from Redis) has its job re-run by another ` +
        `worker up to \`maxStalledCount\` times, then failed.`,
    );
    this.stage = stage;
  }
}
