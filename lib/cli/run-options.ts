import { TsdagsError } from '../errors.js';
import type { RunOptions } from '../pipeline.js';

/** The flags of `tsdags run`, as commander parsed them: strings, not yet checked. */
export interface RunFlags {
  cores?: string;
  onError?: string;
  thread?: string;
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
  return options;
}

/** A whole number from 1 up, written in plain decimal digits. */
export function parseCores(text: string): number {
  const value = /^\s*\d+\s*$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new TsdagsError(
      'BAD_OPTION',
      `Expected --cores to be a whole number from 1 up, got "${text}": pass the most stages to run at ` +
        `once, e.g. --cores 4.`,
    );
  }
  return value;
}

function oneOf<const T extends string>(flag: string, text: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(text)) return text as T;
  throw new TsdagsError(
    'BAD_OPTION',
    `Expected ${flag} to be ${allowed.map((a) => `"${a}"`).join(' or ')}, got "${text}".`,
  );
}
