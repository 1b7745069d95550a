import Tinypool from 'tinypool';
import { StageNotFoundError, UncloneableValueError } from '../errors.js';
import type { Attempt, Executor } from './executor.js';
import { deathNoteBytes, isWorkerFailure, takeDeathNote, type WorkerTask } from './worker-protocol.js';

// The compiled worker entry. Under jest the library runs from its TypeScript sources, which a
// worker thread cannot load; the tests build first and use the compiled entry in dist/.
const here = import.meta.url;
const workerEntry = here.endsWith('.ts')
  ? new URL('../../dist/executors/worker-entry.js', here).href
  : new URL('./worker-entry.js', here).href;

/** A one-thread tinypool pool: the engine picks the lane, so each stage knows its thread when it starts. */
interface Lane {
  readonly pool: Tinypool;
  readonly deathNote: SharedArrayBuffer;
  busy: boolean;
}

/**
 * Runs function stages in tinypool worker threads, one lane (a one-thread pool) per core. A
 * worker that dies (an uncaught error, out of memory) fails its stage; tinypool replaces it.
 */
export class WorkerThreadExecutor implements Executor {
  readonly #lanes: Lane[] = [];
  readonly #cores: number;

  constructor(cores: number) {
    this.#cores = cores;
  }

  run(attempt: Attempt): Promise<unknown> {
    const { definition } = attempt.stage;
    if (definition.kind !== 'function' || definition.module === 'unknown') {
      throw new StageNotFoundError(
        attempt.name,
        definition.module,
        definition.kind === 'function'
          ? 'the module that defines it is unknown'
          : 'class stages run on the main thread',
      );
    }
    const lane = this.#freeLane();
    lane.busy = true;
    const task: WorkerTask = {
      module: definition.module,
      name: definition.name,
      stage: attempt.name,
      args: attempt.args,
    };
    attempt.begin(lane.pool.threads[0]?.threadId ?? -1);
    let pending: Promise<unknown>;
    try {
      pending = lane.pool.run(task);
    } catch (error) {
      lane.busy = false;
      throw translate(error, attempt.name, 'argument');
    }
    return pending.then(
      (result) => {
        lane.busy = false;
        if (isWorkerFailure(result)) {
          throw result.code === 'STAGE_NOT_FOUND'
            ? new StageNotFoundError(attempt.name, definition.module, result.detail)
            : new UncloneableValueError(attempt.name, 'result', result.detail);
        }
        return result;
      },
      (error: unknown) => {
        lane.busy = false;
        const note = takeDeathNote(lane.deathNote);
        if (note !== undefined) throw new UncloneableValueError(attempt.name, 'result', note);
        throw translate(error, attempt.name, 'argument');
      },
    );
  }

  async cancel(): Promise<void> {
    await this.close();
  }

  async close(): Promise<void> {
    const lanes = this.#lanes.splice(0);
    await Promise.all(lanes.map((lane) => lane.pool.destroy()));
  }

  #freeLane(): Lane {
    for (const lane of this.#lanes) if (!lane.busy) return lane;
    if (this.#lanes.length >= this.#cores)
      throw new Error('tsdags internal error: more worker stages than cores');
    const deathNote = new SharedArrayBuffer(deathNoteBytes);
    const pool = new Tinypool({
      filename: workerEntry,
      minThreads: 1,
      maxThreads: 1,
      isolateWorkers: false,
      workerData: { deathNote },
    });
    // A worker that fails with no task in flight must not crash the process: its next task reports it.
    pool.on('error', () => {});
    const lane = { pool, deathNote, busy: false };
    this.#lanes.push(lane);
    return lane;
  }
}

// Structured clone refused the stage's arguments on their way to the worker; say so, by name.
function translate(error: unknown, stage: string, what: 'argument'): unknown {
  // Duck-typed: the error may be a DOMException of another realm, or a plain object once it has
  // crossed from a dying worker.
  const { name, message } = (error ?? {}) as { name?: unknown; message?: unknown };
  if (name === 'DataCloneError') return new UncloneableValueError(stage, what, String(message));
  return error;
}
