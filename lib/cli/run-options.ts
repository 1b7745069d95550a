import { TsdagsError } from '../errors.js';
import type { RunOptions } from '../run-options.js';
import { checkRunId } from '../store/keys.js';
import { parseQueueName, parseRedisPrefix, parseRedisUrl } from './remote-flags.js';

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
  /** `--redis <url>`: stages run on remote workers (`tsdags worker`) through this Redis. */
  redis?: string;
  queue?: string;
  /** `--redis-prefix <prefix>`: the run record's keys in Redis go under it (`store: { redis, prefix }`). */
  redisPrefix?: string;
  runId?: string;
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
            : flags.redisPrefix !== undefined
              ? '--redis-prefix'
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
  if (flags.redis !== undefined) {
    options.executor = 'bullmq';
    options.redis = parseRedisUrl(flags.redis);
  }
  if (flags.queue !== undefined) options.queue = parseQueueName(flags.queue);
  if (flags.redisPrefix !== undefined) {
    parseRedisPrefix(flags.redisPrefix);
    if (flags.storeDir !== undefined) {
      throw new TsdagsError(
        'BAD_OPTION',
        'Expected either --redis-prefix or --store-dir, got both: --redis-prefix names where the run ' +
          'record goes in Redis, --store-dir keeps it in a directory.',
      );
    }
  }
  if (flags.runId !== undefined) options.runId = parseRunId(flags.runId);
  return options;
}

/**
 * The options `tsdags run` passes: those the module gave its own `start()` call (pydags style),
 * with the flags on top; `redisPrefix` is `--redis-prefix`, checked by toRunOptions().
 */
export function mergeRunOptions(
  fromModule: RunOptions,
  fromFlags: RunOptions,
  redisPrefix?: string,
): RunOptions {
  const merged: RunOptions = { ...fromModule, ...fromFlags };
  // --queue names a queue on Redis: it needs --redis, or a module that runs on Redis itself.
  if (fromFlags.queue !== undefined && merged.executor !== 'bullmq') {
    throw new TsdagsError(
      'BAD_OPTION',
      'Expected --queue together with --redis, got --queue alone: the queue is where remote workers ' +
        '(tsdags worker) take stages from, on Redis. Add --redis redis://host:6379.',
    );
  }
  // --no-store wins over the module's resume and cache, which would need a store.
  if (fromFlags.storeDir === false) {
    delete merged.resume;
    delete merged.cache;
  }
  if (redisPrefix !== undefined) merged.store = prefixedStore(merged, redisPrefix);
  return merged;
}

// The run record goes under a prefix of its own through `store: { redis, prefix }`, the one
// option that sets it (ctx.store then lives in that Redis too): on the Redis the record would go
// to anyway, the module's `store.redis` or else the executor's `redis`.
function prefixedStore(merged: RunOptions, prefix: string): RunOptions['store'] {
  const { store } = merged;
  const redis =
    typeof store === 'object' && store !== null
      ? store.redis
      : merged.executor === 'bullmq'
        ? merged.redis
        : undefined;
  if (redis === undefined) {
    throw new TsdagsError(
      'BAD_OPTION',
      'Expected --redis-prefix together with --redis, got --redis-prefix alone: the prefix is where the ' +
        'run record goes in Redis. Add --redis redis://host:6379.',
    );
  }
  if (merged.storeDir !== undefined) {
    throw new TsdagsError(
      'BAD_OPTION',
      `Expected --redis-prefix for a run recorded in Redis, got a pipeline file that keeps its record in ` +
        `${merged.storeDir === false ? 'no store (storeDir: false)' : `files (storeDir: ${JSON.stringify(merged.storeDir)})`}: ` +
        'drop --redis-prefix, or the storeDir it passes to start().',
    );
  }
  return { redis, prefix };
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

/** `--run-id`: letters, digits, '_' and '-', as run ids are stored. */
export function parseRunId(text: string): string {
  try {
    return checkRunId(text);
  } catch (error) {
    throw new TsdagsError(
      'BAD_OPTION',
      `Expected --run-id to be letters, digits, '_' and '-' (at most 128, not starting with '-' or '_'), ` +
        `got "${text}": e.g. --run-id nightly-20260101.`,
      { cause: error },
    );
  }
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
