/**
 * A remote stage's retries are BullMQ's attempts: its job is made with the stage's retries as
 * `attempts` and its back-off as `backoff`, and the worker's back-off strategy waits as the engine
 * would between attempts of a local stage. A retry then needs no orchestrator: it survives one
 * that is restarted, and costs no round trip.
 */
import { backoff, type RetryPolicy } from '../run/retry.js';

/** The `backoff.type` of a tsdags job: the worker's `backoffStrategy` (jobBackoff) serves it. */
export const backoffType = 'tsdags';

/** A job's `backoff` option: the stage's first and longest wait, in ms. */
export interface StageJobBackoff {
  readonly type: typeof backoffType;
  readonly delay: number;
  readonly max: number;
}

/** The BullMQ job options that retry a stage by its policy. */
export function retryOptions(policy: RetryPolicy): { attempts: number; backoff?: StageJobBackoff } {
  if (policy.retries === 0) return { attempts: 1 };
  return {
    attempts: policy.retries + 1,
    backoff: { type: backoffType, delay: policy.retryDelay, max: policy.maxRetryDelay },
  };
}

/** The part of a BullMQ job a back-off strategy reads. */
interface RetriedJob {
  readonly data: unknown;
  readonly opts: { readonly backoff?: unknown };
}

/**
 * The worker's BullMQ `backoffStrategy`: the wait after a job's failed try, which is attempt
 * `data.attempt + tries - 1` of its stage (`tries` counts the job's failed tries, this one
 * included). A back-off that is not a tsdags one gets -1: BullMQ fails the job rather than retry.
 */
export function jobBackoff(tries: number, type?: string, _error?: Error, job?: RetriedJob): number {
  const options = job?.opts.backoff as Partial<StageJobBackoff> | undefined;
  if (type !== backoffType || typeof options?.delay !== 'number' || typeof options.max !== 'number')
    return -1;
  const first = (job!.data as { attempt?: unknown }).attempt;
  const attempt = (typeof first === 'number' ? first : 1) + tries - 1;
  return backoff({ retries: attempt, retryDelay: options.delay, maxRetryDelay: options.max }, attempt);
}
