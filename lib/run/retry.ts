import { CancelledError, StageNotFoundError, UncloneableValueError } from '../errors.js';
import { RemoteJobRejectedError } from '../remote/remote-errors.js';
import type { StageOptions } from '../stage/stage.js';

/** How a stage retries: from its own options, else the run's. */
export interface RetryPolicy {
  /** Attempts after the first; 0 means none. */
  readonly retries: number;
  /** The first back-off, in ms; doubled on each retry. */
  readonly retryDelay: number;
  /** The longest back-off, in ms. */
  readonly maxRetryDelay: number;
}

export const defaultRetryPolicy: RetryPolicy = { retries: 0, retryDelay: 1000, maxRetryDelay: 30_000 };

/** A stage's retry policy: its own options, else the run's, else the defaults. */
export function retryPolicyOf(own: StageOptions, run: StageOptions): RetryPolicy {
  return {
    retries: own.retries ?? run.retries ?? defaultRetryPolicy.retries,
    retryDelay: own.retryDelay ?? run.retryDelay ?? defaultRetryPolicy.retryDelay,
    maxRetryDelay: own.maxRetryDelay ?? run.maxRetryDelay ?? defaultRetryPolicy.maxRetryDelay,
  };
}

/**
 * The wait before retrying after failed attempt `attempt` (from 1): exponential back-off capped at
 * `maxRetryDelay`, with "equal jitter" (half fixed, half random) so that stages failing together
 * do not retry together.
 */
export function backoff(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxRetryDelay, policy.retryDelay * 2 ** (attempt - 1));
  return ceiling / 2 + (random() * ceiling) / 2;
}

/** Failures that would fail again the same way: not worth a retry. */
export function isRetryable(cause: unknown): boolean {
  return !(
    cause instanceof StageNotFoundError ||
    cause instanceof UncloneableValueError ||
    cause instanceof CancelledError ||
    cause instanceof RemoteJobRejectedError
  );
}
