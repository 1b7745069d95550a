/**
 * What the orchestrator and remote workers say to each other through BullMQ. A job names a stage
 * and carries its arguments; it never carries a module path or code: the worker runs only stages
 * that the pipeline module it loaded defines, found by name.
 *
 * Encoding: BullMQ stores job data, return values and progress as JSON. Arguments and results are
 * stage values, which cross threads locally by structured clone (Map, Set, Date, BigInt, typed
 * arrays, undefined, cycles...), so the same values must cross machines: they are written with
 * `v8.serialize` (the structured-clone wire format) and base64-encoded into a JSON string field.
 * `v8.deserialize` only rebuilds data, never runs code.
 */
import { RemoteJobRejectedError } from './remote-errors.js';

/** Where jobs go unless `queue` says otherwise. */
export const defaultQueue = 'tsdags';

/**
 * Version 2: a stage's retries are its job's attempts, with a back-off (`type: 'tsdags'`) that
 * only workers of version 2 compute.
 */
export const protocolVersion = 2;

/** A job's data: one attempt of one stage. */
export interface StageJobData {
  readonly v: typeof protocolVersion;
  readonly runId: string;
  /** The stage's definition name (the function's or `stage({ name })`'s): what the worker looks up. */
  readonly stage: string;
  /** The stage's name in its pipeline (`clean-2`, or a `.named()` name): for messages. */
  readonly instance: string;
  readonly attempt: number;
  /** The stage's arguments: an array, v8-serialised and base64-encoded. */
  readonly args: string;
  /**
   * Set by the orchestrator on a job it stopped (a timeout, a cancelled run) while a worker held
   * it: if that worker was lost, the worker that takes the job next refuses it instead of running
   * work nobody waits for.
   */
  readonly stopped?: true;
  /**
   * Set when the attempt has a timeout: the worker runs it where it can be stopped (a worker
   * thread), never on its main thread. Workers before it refuse a job that has it (unknown field).
   */
  readonly timed?: true;
}

/** A job's return value. */
export interface StageJobResult {
  /** The worker that ran it, `host:pid`. */
  readonly worker: string;
  /** The stage's result, v8-serialised and base64-encoded. */
  readonly value: string;
}

/**
 * A job's progress report, sent through BullMQ's progress events (ordered before the job's failed
 * event) when its stage fails, with the error encoded, since BullMQ's failed event carries only a
 * message. A start is not reported: the orchestrator sees BullMQ's 'active' event and reads the
 * job's processedBy, the worker's name (`host:pid`). Workers of earlier versions also reported
 * each start, with the thread.
 */
export interface StageJobProgress {
  readonly worker: string;
  /** The worker thread running it; absent when the worker refused the job before running it. */
  readonly threadId?: number;
  /** The error, as `encodeError` writes it. */
  readonly failure?: string;
}

/** The channel on which an orchestrator asks workers to stop a cancelled run's stages, or one job. */
export function cancelChannel(prefix: string, queue: string): string {
  return `${prefix}:${queue}:tsdags-cancel`;
}

/** A message on the cancel channel: `run <runId>` or `job <jobId>`. */
export function cancelMessage(target: { runId: string } | { jobId: string }): string {
  return 'runId' in target ? `run ${target.runId}` : `job ${target.jobId}`;
}

export function parseCancel(message: string): { runId: string } | { jobId: string } | undefined {
  const [kind, id] = [message.slice(0, 4), message.slice(4)];
  if (id.length === 0) return undefined;
  return kind === 'run ' ? { runId: id } : kind === 'job ' ? { jobId: id } : undefined;
}

/**
 * The job id of one attempt: the same run, stage and attempt always give the same id, so adding it
 * twice (a restarted orchestrator) does not duplicate work. BullMQ rejects ':' in custom ids and
 * ids that read as integers; the run id is never an integer and ':' and '%' are percent-encoded.
 */
export function stageJobId(runId: string, instance: string, attempt: number): string {
  return `${escapeId(runId)}-${escapeId(instance)}-${attempt}`;
}

function escapeId(part: string): string {
  return part.replace(/[%:]/g, (c) => (c === '%' ? '%25' : '%3A'));
}

const fields = new Set(['v', 'runId', 'stage', 'instance', 'attempt', 'args', 'stopped', 'timed']);
// Fields a job could use to smuggle code or a module in; named in the error so the sender learns why.
const moduleFields = /^(module|modules|path|file|filename|url|import|require|code|source|script|fn)$/i;
const pathLike = /[/\\]|^(file|data|https?|node|blob):/i;

/** Whether a stage name reads as a module path or URL: said in the error when no stage has that name. */
export function looksLikeModulePath(name: string): boolean {
  return pathLike.test(name);
}

/**
 * Checks a job's data before anything runs: the exact fields of `StageJobData`, no module path. Throws `RemoteJobRejectedError` saying what was wrong.
 */
export function parseStageJob(data: unknown, jobId: string | undefined): StageJobData {
  const reject = (reason: string): never => {
    throw new RemoteJobRejectedError(jobId, reason);
  };
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return reject(`its data is not an object but ${typeof data}`);
  }
  const record = data as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (moduleFields.test(key)) {
      return reject(
        `it carries a "${key}" field: jobs name a stage, they never carry a module path or code. ` +
          `The worker only runs stages defined by the pipeline module it was started with`,
      );
    }
    if (!fields.has(key)) return reject(`it has an unknown field "${key}"`);
  }
  if (record.v !== protocolVersion) {
    return reject(
      `its protocol version is ${String(record.v)}, this worker speaks version ${protocolVersion}`,
    );
  }
  const { runId, stage, instance, attempt, args } = record;
  if (typeof stage !== 'string' || stage.length === 0) return reject('it names no stage');
  if (typeof runId !== 'string' || typeof instance !== 'string')
    return reject('it has no run id or stage name');
  if (typeof attempt !== 'number' || !Number.isInteger(attempt) || attempt < 1) {
    return reject('its attempt is not a whole number from 1 up');
  }
  if (typeof args !== 'string') return reject('its arguments are not encoded');
  if (record.stopped === true) {
    return reject('its orchestrator stopped it (a timeout, or a cancelled run): nobody waits for its result');
  }
  if (record.timed !== undefined && record.timed !== true) return reject('its "timed" is not true');
  return {
    v: protocolVersion,
    runId,
    stage,
    instance,
    attempt,
    args,
    ...(record.timed ? { timed: true } : {}),
  };
}
