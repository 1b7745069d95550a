/**
 * The RxJS the library uses. A tsdags worker thread never runs the engine, but importing a stage's
 * module there imports tsdags, and so RxJS: its CommonJS build is some 250 files, about 65 ms of
 * a core for every thread of every run. There (the registry says so before the thread imports any
 * stage module), RxJS is the package's own one-file bundle of the same build, about 10 ms;
 * everywhere else it is the `rxjs` package, the instance the user's code imports.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as Rx from 'rxjs';
import { inWorker } from '../stage/registry.js';

/**
 * @internal RxJS from its one-file bundle (at `path`, by default the one in the rxjs package);
 * the rxjs package itself when the bundle cannot be loaded.
 */
export async function bundledRx(path?: string): Promise<typeof Rx> {
  try {
    const require = createRequire(import.meta.url);
    // Not in rxjs's exports map: reached by its path inside the package.
    const bundle =
      path ?? join(dirname(require.resolve('rxjs/package.json')), 'dist/bundles/rxjs.umd.min.js');
    return require(bundle) as typeof Rx;
  } catch {
    // An RxJS laid out without the bundle, or tsdags bundled into an app: the same library.
    return import('rxjs');
  }
}

const rx: typeof Rx = inWorker() ? await bundledRx() : await import('rxjs');

export const {
  catchError,
  defer,
  forkJoin,
  from,
  isObservable,
  map,
  mergeMap,
  NEVER,
  of,
  Subject,
  throwError,
  throwIfEmpty,
} = rx;
export const Observable = rx.Observable;
export type Observable<T> = Rx.Observable<T>;
