import { stat } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { TsdagsError, describeValue } from '../errors.js';
import { Pipeline } from '../pipeline.js';
import type { RunOptions } from '../run-options.js';
import { captureStarts } from '../stage/registry.js';

const typeScript = new Set(['.ts', '.mts', '.cts', '.tsx']);
const javaScript = new Set(['.js', '.mjs', '.cjs', '.jsx']);

/** A pipeline file's pipeline, and the options its own `start()` or `run()` call passed, if any. */
export interface LoadedPipeline {
  readonly pipeline: Pipeline;
  /** The options the module passed to `pipeline.start()`/`run()`; `{}` for a default export. */
  readonly options: RunOptions;
}

/**
 * Imports a pipeline file and returns its pipeline: the default export (a Pipeline, or a function
 * returning one or a Promise of one), or else the pipeline the module itself starts, pydags style
 * (`await pipeline.start({ cores: 4 })` at its top level): that call is captured and does not run.
 * TypeScript files load through tsx, registered on this thread first; worker threads register it
 * themselves (lib/executors/worker-entry.ts).
 */
export async function loadPipeline(file: string): Promise<LoadedPipeline> {
  const path = await checkPipelineFile(file);
  if (typeScript.has(extname(path).toLowerCase())) await registerTypeScript();

  // While the module loads, its start()/run() hands over its pipeline instead of running. A
  // module that awaits start() never finishes loading (the captured run never ends), so the
  // import is raced against the capture rather than awaited.
  let captured!: (found: { pipeline: unknown; options: unknown }) => void;
  const started = new Promise<{ pipeline: unknown; options: unknown }>((resolve) => (captured = resolve));
  const stop = captureStarts((pipeline, options) => captured({ pipeline, options }));
  let found: LoadedPipeline | { pipeline: unknown; options: unknown };
  try {
    found = await Promise.race([started, defaultExport(file, path)]);
  } finally {
    stop();
  }
  return { pipeline: found.pipeline as Pipeline, options: moduleOptions(file, found.options) };
}

async function defaultExport(file: string, path: string): Promise<LoadedPipeline> {
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (cause) {
    throw passOrWrap(cause, 'PIPELINE_LOAD_FAILED', `Could not load ${file}`);
  }

  if (!('default' in module) || module.default === undefined) {
    const names = Object.keys(module);
    throw new TsdagsError(
      'NO_PIPELINE',
      `Expected ${file} to default-export a Pipeline (or a function returning one) or to start one, but it ` +
        `has no default export${names.length > 0 ? ` (it exports ${names.join(', ')})` : ''} and starts ` +
        'no pipeline: add `export default pipeline`.',
    );
  }
  let value: unknown = module.default;
  if (typeof value === 'function' && !isPipeline(value)) {
    try {
      value = await (value as () => unknown)();
    } catch (cause) {
      throw passOrWrap(cause, 'PIPELINE_LOAD_FAILED', `The default-exported function of ${file} threw`);
    }
    if (!isPipeline(value)) {
      throw new TsdagsError(
        'NO_PIPELINE',
        `Expected the default-exported function of ${file} to return a Pipeline, got ${describeValue(value)}.`,
      );
    }
    return { pipeline: value, options: {} };
  }
  if (!isPipeline(value)) {
    throw new TsdagsError(
      'NO_PIPELINE',
      `Expected the default export of ${file} to be a Pipeline (or a function returning one), got ` +
        `${describeValue(value)}.`,
    );
  }
  return { pipeline: value, options: {} };
}

function moduleOptions(file: string, options: unknown): RunOptions {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TsdagsError(
      'BAD_USAGE',
      `Expected ${file} to pass an options object to pipeline.start() or run(), got ${describeValue(options)}.`,
    );
  }
  return options as RunOptions;
}

/** Throws unless `file` is an existing .ts or .js module (or .mts, .cts, .mjs, .cjs); returns its absolute path. */
export async function checkPipelineFile(file: string): Promise<string> {
  const path = resolve(file);
  await checkFile(file, path);
  const extension = extname(path).toLowerCase();
  if (!typeScript.has(extension) && !javaScript.has(extension)) {
    throw new TsdagsError(
      'BAD_PIPELINE_FILE',
      `Expected a .ts or .js module (or .mts, .cts, .mjs, .cjs), got "${file}".`,
    );
  }
  return path;
}

async function checkFile(file: string, path: string): Promise<void> {
  let isFile: boolean;
  try {
    isFile = (await stat(path)).isFile();
  } catch {
    throw new TsdagsError(
      'FILE_NOT_FOUND',
      `Expected a pipeline file, but ${file} does not exist (${path}).`,
    );
  }
  if (!isFile) {
    throw new TsdagsError('BAD_PIPELINE_FILE', `Expected a pipeline file, but ${file} is not a file.`);
  }
}

// A Pipeline from this copy of tsdags, or one that quacks like it (a pipeline file that imports
// another install of tsdags than the CLI's own).
function isPipeline(value: unknown): value is Pipeline {
  if (value instanceof Pipeline) return true;
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return (
    typeof candidate.run === 'function' &&
    typeof candidate.graph === 'function' &&
    typeof candidate.addStages === 'function'
  );
}

// The library's own errors (a cycle found while the module built its pipeline, a duplicate stage)
// already say what to do; anything else is wrapped so that it names the file.
function passOrWrap(cause: unknown, code: string, what: string): Error {
  if (cause instanceof TsdagsError) return cause;
  const message = cause instanceof Error ? cause.message : String(cause);
  return new TsdagsError(code, `${what}: ${message}`, { cause });
}

let typeScriptLoader: Promise<void> | undefined;

function registerTypeScript(): Promise<void> {
  return (typeScriptLoader ??= import('tsx/esm/api').then(({ register }) => {
    register();
  }));
}
