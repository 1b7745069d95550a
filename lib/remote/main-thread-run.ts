/**
 * A remote worker's stage run on its main thread (`--thread auto` for a short stage, or `main`),
 * made to look as it would from a worker thread: where a stage runs depends on how long its earlier
 * runs took, and what its orchestrator sees must not.
 */
import { UncloneableValueError } from '../errors.js';
import { isPromiseLike } from '../stage/inputs.js';
import type { StageDefinition } from '../stage/stage.js';

/**
 * Runs the stage and settles as a worker thread's run would: its result and its error cross by
 * structured clone (a Buffer arrives as a Uint8Array, an error keeps its message and stack but not
 * its class or fields), a result that cannot cross fails with UncloneableValueError, and
 * `process.exit()` called by its synchronous part fails it instead of ending the worker (after an
 * `await`, it is not caught). `ran` is told how long it took (ms), as it ends.
 */
export async function runOnMainThread(
  definition: StageDefinition,
  stage: string,
  args: unknown[],
  ran: (ms: number) => void,
): Promise<unknown> {
  const started = performance.now();
  let timed = false;
  const ended = (): void => {
    if (timed) return;
    timed = true;
    ran(performance.now() - started);
  };
  let value: unknown;
  try {
    const result = exitRefused(() => definition.fn!(...args));
    // A synchronous stage's time is its call's, not the await's that follows.
    if (!isPromiseLike(result)) ended();
    value = await result;
  } catch (error) {
    ended();
    throw asFromThread(error);
  }
  ended();
  return crossed(value, stage);
}

// Calls `call` with process.exit() throwing: a stage that calls it fails instead of ending the worker.
function exitRefused<T>(call: () => T): T {
  const exit = process.exit;
  process.exit = ((code?: number | string | null) => {
    throw new Error(
      `process.exit(${code ?? ''}) was called by a stage running on the worker's main thread. ` +
        'Throw an error to fail the stage instead.',
    );
  }) as typeof process.exit;
  try {
    return call();
  } finally {
    process.exit = exit;
  }
}

// A value as it arrives from a thread.
function crossed(value: unknown, stage: string): unknown {
  const type = typeof value;
  if (value === null || (type !== 'object' && type !== 'function' && type !== 'symbol')) return value;
  try {
    return structuredClone(value);
  } catch (error) {
    throw new UncloneableValueError(stage, 'result', error instanceof Error ? error.message : String(error));
  }
}

// An error as it arrives from a thread; as it is if it cannot be cloned.
function asFromThread(error: unknown): unknown {
  try {
    return structuredClone(error);
  } catch {
    return error;
  }
}
