import { TsdagsError } from '../errors.js';
import type { RunOptions } from '../pipeline.js';

/** The flags of `tsdags run`, as commander parsed them: strings, not yet checked. */
export interface RunFlags {
  cores?: string;
  onError?: string;
  thread?: string;
  /** `--resume` alone is `true` (the last run); `--resume <id>` a run id. */
  resume?: string | true;
  storeDir?: string;
  /** `--no-store` makes it false; commander sets it true otherwise. */
  store?: boolean;
  retries?: string;
  timeout?: string;
  cache?: boolean;
  svg?: string;
  timeline?: string;
  json?: boolean;
  verbose?: boolean;
}

/**
 * Maps `tsdags run` flags onto the options object `pipeline.run()` takes. Checking here (rather
 * than leaving it to the library) lets the message name the flag the user typed.
 */
export function toRunOptions(flags: RunFlags): RunOptions {
  const options: RunOptions = {};
  if (flags.cores !== undefined) options.cores = parseCores(flags.cores);
  if (flags.onError !== undefined) options.onError = oneOf('--on-error', flags.onError, ['stop', 'continue']);
  if (flags.thread !== undefined) options.thread = oneOf('--thread', flags.thread, ['worker', 'main']);
  if (flags.retries !== undefined) options.retries = parseRetries(flags.retries);
  if (flags.timeout !== undefined) options.timeout = parseTimeout(flags.timeout);
  if (flags.cache) options.cache = true;
  if (flags.storeDir !== undefined) options.storeDir = flags.storeDir;
  if (flags.store === false) {
    const clash =
      flags.storeDir !== undefined
        ? '--store-dir'
        : flags.resume
          ? '--resume'
          : flags.cache
            ? '--cache'
            : undefined;
    if (clash !== undefined) {
      throw new TsdagsError(
        'BAD_OPTION',
        `Expected either --no-store or ${clash}, got both: ${clash} needs the run store that --no-store turns off.`,
      );
    }
    options.storeDir = false;
  }
  if (flags.resume !== undefined) options.resume = flags.resume === true ? 'last' : flags.resume;
  return options;
}

/**
 * The options `tsdags run` passes: those the module gave its own `start()` call (pydags style),
 * with the flags on top.
 */
export function mergeRunOptions(fromModule: RunOptions, fromFlags: RunOptions): RunOptions {
  const merged: RunOptions = { ...fromModule, ...fromFlags };
  // --no-store wins over the module's resume and cache, which would need a store.
  if (fromFlags.storeDir === false) {
    delete merged.resume;
    delete merged.cache;
  }
  return merged;
}

/** A whole number from 1 up, written in plain decimal digits. */
export function parseCores(text: string): number {
  const value = wholeNumber(text);
  if (value === undefined || value < 1) {
    throw new TsdagsError(
      'BAD_OPTION',
      `Expected --cores to be a whole number from 1 up, got "${text}": pass the most stages to run at ` +
        `once, e.g. --cores 4.`,
    );
  }
  return value;
}

/** A whole number from 0 up. */
export function parseRetries(text: string): number {
  const value = wholeNumber(text);
  if (value === undefined) {
    throw new TsdagsError(
      'BAD_OPTION',
      `Expected --retries to be a whole number from 0 up, got "${text}": pass how many times a failed ` +
        'stage is tried again, e.g. --retries 2.',
    );
  }
  return value;
}

/** Milliseconds: a whole number from 1 up to the longest timer Node has (2^31 - 1). */
export function parseTimeout(text: string): number {
  const value = wholeNumber(text);
  if (value === undefined || value < 1 || value > 2 ** 31 - 1) {
    throw new TsdagsError(
      'BAD_OPTION',
      `Expected --timeout to be a number of milliseconds from 1 up to 2147483647, got "${text}": e.g. ` +
        '--timeout 60000 fails an attempt that runs longer than a minute.',
    );
  }
  return value;
}

function wholeNumber(text: string): number | undefined {
  const value = /^\s*\d+\s*$/.test(text) ? Number(text) : NaN;
  return Number.isSafeInteger(value) ? value : undefined;
}

function oneOf<const T extends string>(flag: string, text: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(text)) return text as T;
  throw new TsdagsError(
    'BAD_OPTION',
    `Expected ${flag} to be ${allowed.map((a) => `"${a}"`).join(' or ')}, got "${text}".`,
  );
}
