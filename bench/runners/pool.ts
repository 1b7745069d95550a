import Tinypool from 'tinypool';

/** The raw tinypool task module: its default export spins for the given ms, `noop` does nothing. */
export const taskModule = new URL('../stages/task.mjs', import.meta.url).href;

/**
 * Runs `body` with a fresh tinypool pool of `threads` threads, destroyed afterwards: made and
 * torn down inside the timed region, as tsdags' worker executor does on every run.
 */
export async function withPool<T>(threads: number, body: (pool: Tinypool) => Promise<T>): Promise<T> {
  const pool = new Tinypool({
    filename: taskModule,
    minThreads: threads,
    maxThreads: threads,
    isolateWorkers: false,
  });
  try {
    return await body(pool);
  } finally {
    await pool.destroy();
  }
}
