/**
 * What a resumed run finds of the run it resumes, in Redis. An orchestrator that was killed leaves
 * its jobs behind: waiting in the queue, running on workers, or finishing there after it died. The
 * resumed run takes such a job over (waits for it, or reads its result) when it is the same work:
 * the same stage, attempt and arguments. Each job taken over gets an alias under the resumed run's
 * own job id, so that a run resuming the resumed one finds it too.
 */
import type { Redis } from 'ioredis';
import type { Queue } from 'bullmq';
import type { StageJobData, StageJobResult } from './protocol.js';

type StageQueue = Queue<StageJobData, StageJobResult>;
export type EarlierJob = NonNullable<Awaited<ReturnType<StageQueue['getJob']>>>;

/** Where the alias of a job taken over is kept: beside BullMQ's keys of the queue (ids have no ':'). */
export function aliasKey(prefix: string, queue: string, jobId: string): string {
  return `${prefix}:${queue}:tsdags-alias:${jobId}`;
}

/** The job an earlier run added as `jobId`, or the one it took over under that id. */
export async function findEarlierJob(
  queue: StageQueue,
  client: Redis,
  prefix: string,
  jobId: string,
): Promise<EarlierJob | undefined> {
  const job = await queue.getJob(jobId);
  if (job) return job;
  const alias = await client.get(aliasKey(prefix, queue.name, jobId));
  return alias === null ? undefined : await queue.getJob(alias);
}

/**
 * Whether a job's data asks for the same work as `data`: stage, attempt and arguments (not the
 * run), and was not stopped by its orchestrator.
 */
export function sameWork(earlier: unknown, data: StageJobData): boolean {
  if (typeof earlier !== 'object' || earlier === null) return false;
  const other = earlier as Partial<StageJobData>;
  return (
    other.stopped !== true &&
    other.v === data.v &&
    other.stage === data.stage &&
    other.instance === data.instance &&
    other.attempt === data.attempt &&
    other.args === data.args
  );
}
