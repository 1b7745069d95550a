/**
 * Imports a remote worker's pipeline module, once, in a process marked as a worker: its `run()` and
 * `start()` calls are inert there, so importing it defines its stages and starts nothing.
 */
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { TsdagsError } from '../errors.js';
import { enterWorker } from '../stage/registry.js';

/** A file path (relative to the working directory) or a file: URL, as a module URL. */
export function moduleUrl(module: string | URL): string {
  if (module instanceof URL) return module.href;
  if (/^file:/i.test(module)) return new URL(module).href;
  return pathToFileURL(isAbsolute(module) ? module : resolve(process.cwd(), module)).href;
}

/**
 * Resolves when the module finished loading, or when its top level reached a pipeline's `start()`
 * or `run()`: there it would wait forever (they are inert in a worker), but every `stage()` above
 * it has run.
 */
export async function loadPipelineModule(url: string): Promise<void> {
  if (/\.[cm]?tsx?$/.test(url)) {
    const { register } = await import('tsx/esm/api');
    register();
  }
  await new Promise<void>((done, fail) => {
    enterWorker(done);
    import(url).then(
      () => done(),
      (cause: unknown) =>
        fail(
          new TsdagsError(
            'WORKER_MODULE',
            `Expected a pipeline module that a tsdags worker can import at ${url}, but importing it failed: ` +
              `${cause instanceof Error ? cause.message : String(cause)}. Check the path (relative to ` +
              `${process.cwd()}) and that the module loads with node on this machine.`,
            { cause },
          ),
        ),
    );
  });
}
