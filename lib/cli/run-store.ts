import { Option, type Command } from 'commander';
import { TsdagsError } from '../errors.js';
import { FileRunStore } from '../store/file-run-store.js';
import { RedisRunStore } from '../store/redis-run-store.js';
import type { RunSummary } from '../store/run-record.js';
import type { RunStore, StoredRun } from '../store/run-store.js';
import { parseRedisPrefix, parseRedisUrl, redisEnv } from './remote-flags.js';

/** The flags of `tsdags runs` and `tsdags show` that say which store to read. */
export interface StoreFlags {
  storeDir?: string;
  redis?: string;
  redisPrefix?: string;
}

/** `--store-dir`, `--redis` and `--redis-prefix`, for the commands that read run records. */
export function addStoreFlags(command: Command): Command {
  return command
    .option('--store-dir <dir>', 'the run store to read (default: .tsdags)')
    .addOption(
      new Option(
        '--redis <url>',
        'read the runs recorded in this Redis (a remote run records there), e.g. redis://10.0.0.5:6379',
      ).env(redisEnv),
    )
    .option(
      '--redis-prefix <prefix>',
      'with --redis: the key prefix the runs were recorded under (default: tsdags)',
    );
}

/**
 * The store `tsdags runs` and `tsdags show` read: `--redis` (its `--redis-prefix`), `--store-dir`,
 * or `.tsdags` as `tsdags run` writes it. `command` tells a `--redis` typed from one taken from
 * TSDAGS_REDIS: an explicit `--store-dir` wins over the environment, not over the flag.
 */
export function openRunStore(flags: StoreFlags, command?: Command): RunStore {
  const { storeDir, redisPrefix } = flags;
  if (storeDir !== undefined && storeDir.length === 0) {
    throw new TsdagsError('BAD_OPTION', 'Expected --store-dir to name a directory, got "".');
  }
  const fromEnv = command?.getOptionValueSource('redis') === 'env';
  const redis = storeDir !== undefined && fromEnv ? undefined : flags.redis;
  if (redis !== undefined && storeDir !== undefined) {
    throw new TsdagsError(
      'BAD_OPTION',
      'Expected either --redis or --store-dir, got both: a run record is in Redis or in a directory, not both.',
    );
  }
  if (redis === undefined) {
    if (redisPrefix !== undefined) {
      throw new TsdagsError(
        'BAD_OPTION',
        'Expected --redis-prefix together with --redis, got --redis-prefix alone: add --redis redis://host:6379.',
      );
    }
    return new FileRunStore(storeDir ?? '.tsdags');
  }
  const prefix = redisPrefix === undefined ? undefined : parseRedisPrefix(redisPrefix);
  return new RedisRunStore(parseRedisUrl(redis), prefix === undefined ? {} : { prefix });
}

/** Reads from the store, then closes it (a Redis store holds a connection). */
export async function withRunStore<T>(store: RunStore, read: (store: RunStore) => T): Promise<T> {
  try {
    return read(store);
  } finally {
    await store.close();
  }
}

/** Every run the store holds, oldest first. */
export function listStoredRuns(store: RunStore): RunSummary[] {
  return readingStore(store, () => store.listRuns());
}

/** One stored run, by id or `'last'`, with errors worded for someone asking to see it. */
export function readStoredRun(store: RunStore, runId: string): StoredRun {
  try {
    return readingStore(store, () => store.readRun(runId));
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'RUN_NOT_FOUND') throw error;
    const where = store instanceof FileRunStore ? '(or pass --store-dir)' : '(or pass --redis-prefix)';
    throw new TsdagsError(
      'RUN_NOT_FOUND',
      runId === 'last'
        ? `There are no runs in ${store.location} yet: \`tsdags run <file>\` records them there ${where}.`
        : `There is no run "${runId}" in ${store.location}: \`tsdags runs\` lists the runs it holds.`,
      { cause: error },
    );
  }
}

// The store's own errors (a bad run id, a damaged file, a Redis that is not there) say what is
// wrong; a file system error (a store that is a file, a directory that cannot be read) is worded
// here, naming the store.
function readingStore<T>(store: RunStore, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof TsdagsError || !(error instanceof Error)) throw error;
    throw new TsdagsError(
      'STORE_UNREADABLE',
      `Could not read the run store ${store.location}: ${error.message}. Point --store-dir at the directory tsdags run wrote.`,
      { cause: error },
    );
  }
}
