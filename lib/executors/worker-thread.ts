import Tinypool from 'tinypool';
import { InternalError, StageNotFoundError, UncloneableValueError } from '../errors.js';
import type { ResourceLimits } from '../stage/stage.js';
import type { Attempt, Executor } from './executor.js';
import {
  isWorkerFailure,
  laneChannelBytes,
  startedCount,
  takeDeathNote,
  whenStarted,
  type WorkerTask,
} from './worker-protocol.js';

// The compiled worker entry. Under jest the library runs from its TypeScript sources, which a
// worker thread cannot load; the tests build first and use the compiled entry in dist/.
const here = import.meta.url;
const workerEntry = here.endsWith('.ts')
  ? new URL('../../dist/executors/worker-entry.js', here).href
  : new URL('./worker-entry.js', here).href;

/** A one-thread tinypool pool: the engine picks the lane, so each stage knows its thread when it starts. */
interface Lane {
  readonly pool: Tinypool;
  /** Shared with the lane's thread: when its stage starts, and why it died (worker-protocol.ts). */
  readonly channel: SharedArrayBuffer;
  busy: boolean;
}

/**
 * Runs function stages in tinypool worker threads, one lane (a one-thread pool) per core. A
 * worker that dies (an uncaught error, out of memory) fails its stage; tinypool replaces it.
 */
export class WorkerThreadExecutor implements Executor {
  readonly #lanes: Lane[] = [];
  readonly #cores: number;
  readonly #warm: number;

  /**
   * `cores` caps the lanes; the first stage starts `warm` of them at once (default 1), so the
   * threads boot while it runs instead of when the next stages are ready.
   */
  constructor(cores: number, warm = 1) {
    this.#cores = cores;
    this.#warm = Math.min(cores, warm);
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
    const limits = attempt.stage.options.resourceLimits;
    // A stage with memory limits gets a thread of its own, made with them and ended after it.
    const lane = limits ? newLane(limits) : this.#freeLane();
    lane.busy = true;
    const release = () => {
      lane.busy = false;
      if (limits) void lane.pool.destroy();
    };
    const task: WorkerTask = {
      module: definition.module,
      name: definition.name,
      stage: attempt.name,
      args: attempt.args,
    };
    // The stage starts when the thread calls its function (its module imported), not when it is sent.
    let begun = false;
    const begin = () => {
      if (begun) return;
      begun = true;
      attempt.begin(lane.pool.threads[0]?.threadId ?? -1);
    };
    const started = startedCount(lane.channel);
    void whenStarted(lane.channel, started).then(begin);
    const over = () => {
      begin();
      // Wake the wait above if the stage never started (its arguments could not be sent, say).
      if (startedCount(lane.channel) === started) Atomics.notify(new Int32Array(lane.channel, 0, 1), 0);
      release();
    };
    let pending: Promise<unknown>;
    try {
      // Aborting terminates the lane's thread (tinypool starts a fresh one): a stuck stage stops.
      pending = lane.pool.run(task, { signal: attempt.signal });
    } catch (error) {
      over();
      throw translate(error, attempt.name, 'argument');
    }
    return pending.then(
      (result) => {
        over();
        if (isWorkerFailure(result)) {
          throw result.code === 'STAGE_NOT_FOUND'
            ? new StageNotFoundError(attempt.name, definition.module, result.detail)
            : new UncloneableValueError(attempt.name, 'result', result.detail);
        }
        return result;
      },
      (error: unknown) => {
        over();
        if (attempt.signal.aborted) throw attempt.signal.reason;
        if ((error as { code?: unknown })?.code === 'ERR_WORKER_OUT_OF_MEMORY') {
          throw new Error(
            `The stage ran out of memory in its worker thread (resourceLimits ${JSON.stringify(limits ?? {})}); ` +
              'the thread was ended. Raise its resourceLimits or make it use less memory.',
            { cause: error },
          );
        }
        const note = takeDeathNote(lane.channel);
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
    if (this.#lanes.length >= this.#cores) throw new InternalError('more worker stages in flight than cores');
    const lane = newLane(undefined);
    this.#lanes.push(lane);
    // With the first stage, boot the other lanes too: their threads start while it runs.
    if (this.#lanes.length === 1)
      while (this.#lanes.length < this.#warm) this.#lanes.push(newLane(undefined));
    return lane;
  }
}

function newLane(resourceLimits: ResourceLimits | undefined): Lane {
  const channel = new SharedArrayBuffer(laneChannelBytes);
  const pool = new Tinypool({
    filename: workerEntry,
    minThreads: 1,
    maxThreads: 1,
    isolateWorkers: false,
    workerData: { channel },
    ...(workerExecArgv ? { execArgv: workerExecArgv } : {}),
    ...(resourceLimits ? { resourceLimits } : {}),
  });
  // A thread that dies with no stage in flight (a timer a stage left behind threw, say) must not
  // crash the process; the lane gets a fresh thread. Say so: the stage that left it succeeded.
  pool.on('error', (error: unknown) => {
    const message = (error as { message?: unknown } | null)?.message;
    console.warn(`tsdags: a worker thread died after its stage returned: ${String(message ?? error)}`);
  });
  return { pool, channel, busy: false };
}

// Worker threads inherit the process's flags, `--import tsx` included, which makes each thread
// load tsx before its first stage (about 0.6 s here). The worker entry registers tsx itself, only
// for TypeScript stage modules, so that flag is dropped. A worker refuses process-wide flags
// (V8 options such as --expose-gc) when given explicitly, though it ignores them when inherited:
// so the flags are passed only when tsx was found, and then only those a thread accepts.
const threadFlag =
  /^(--import|--require|-r|--loader|--experimental-loader|--conditions|-C|--input-type|--no-warnings|--no-deprecation|--disable-warning|--enable-source-maps|--trace-warnings|--trace-deprecation|--experimental-[a-z-]+|--no-experimental-[a-z-]+)$/;
const takesValue =
  /^(--import|--require|-r|--loader|--experimental-loader|--conditions|-C|--input-type|--disable-warning)$/;

/** @internal The flags for worker threads: undefined to inherit them, or the thread-safe ones without tsx. */
export function withoutTsxLoader(flags: readonly string[]): string[] | undefined {
  // `tsx`, `tsx/esm`, or the paths the tsx command passes (…/node_modules/tsx/dist/loader.mjs).
  const isTsx = (value: string | undefined) =>
    value !== undefined && (/^tsx(\/|$)/.test(value) || /[\\/]node_modules[\\/]tsx[\\/]/.test(value));
  const out: string[] = [];
  let dropped = false;
  for (let k = 0; k < flags.length; k++) {
    const flag = flags[k]!;
    const [name, inline] = flag.split('=', 2) as [string, string | undefined];
    const value = inline ?? (takesValue.test(name) ? flags[k + 1] : undefined);
    if (inline === undefined && value !== undefined) k++;
    if (!threadFlag.test(name)) continue;
    if (/^(--import|--require|-r|--loader|--experimental-loader)$/.test(name) && isTsx(value)) {
      dropped = true;
      continue;
    }
    out.push(inline !== undefined || value === undefined ? flag : `${name}=${value}`);
  }
  return dropped ? out : undefined;
}

const workerExecArgv = withoutTsxLoader(process.execArgv);

// Structured clone refused the stage's arguments on their way to the worker; say so, by name.
function translate(error: unknown, stage: string, what: 'argument'): unknown {
  // Duck-typed: the error may be a DOMException of another realm, or a plain object once it has
  // crossed from a dying worker.
  const { name, message } = (error ?? {}) as { name?: unknown; message?: unknown };
  if (name === 'DataCloneError') return new UncloneableValueError(stage, what, String(message));
  return error;
}
