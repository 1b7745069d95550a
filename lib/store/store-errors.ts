import { describeValue, TsdagsError } from '../errors.js';

/** A run id or store key that could address a file outside the store, or is not valid at all. */
export class InvalidStoreKeyError extends TsdagsError {
  constructor(what: 'run id' | 'store key' | 'Redis key prefix', got: string, rule: string) {
    super('INVALID_STORE_KEY', `Expected a ${what} ${rule}, got ${JSON.stringify(got)}.`);
  }
}

/**
 * A file (or Redis key) in the store is not what tsdags wrote: corrupted, or another program's.
 * `file` is the file, or for Redis the address and the key: `redis://host:6379 tsdags:run:<id>`.
 */
export class StoreCorruptError extends TsdagsError {
  readonly file: string;

  constructor(file: string, problem: string, message?: string) {
    super(
      'STORE_CORRUPT',
      message ??
        `The run store file ${file} ${problem}. It was not written by this version of tsdags, or it was ` +
          `damaged: move it away (or point storeDir elsewhere) and run again.`,
    );
    this.file = file;
  }

  /** A Redis key of a RedisRunStore that holds what tsdags did not write there. */
  static redis(address: string, key: string, problem: string): StoreCorruptError {
    return new StoreCorruptError(
      `${address} ${key}`,
      problem,
      `The Redis run store at ${address} holds under ${JSON.stringify(key)} a value that ${problem}. It was not ` +
        'written by this version of tsdags, or it was damaged: delete that key (or use another prefix) and run again.',
    );
  }
}

/** `resume` named a run the store does not have. */
export class RunNotFoundError extends TsdagsError {
  readonly runId: string;

  constructor(runId: string, location: string) {
    super(
      'RUN_NOT_FOUND',
      runId === 'last'
        ? `There is no run in ${location} yet. Run the pipeline once first.`
        : `There is no run "${runId}" in ${location}. List the runs with \`tsdags runs\`.`,
    );
    this.runId = runId;
  }
}

/** ctx.store.set() was given a value structured clone cannot encode. */
export function unstorable(key: string, value: unknown): TsdagsError {
  return new TsdagsError(
    'UNCLONEABLE_VALUE',
    `ctx.store.set(${JSON.stringify(key)}) got ${describeValue(value)}, which cannot be stored. Store plain data ` +
      '(objects, arrays, strings, numbers, typed arrays, Map, Set, Date).',
  );
}
