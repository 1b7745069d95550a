import { TsdagsError } from '../errors.js';
import { redisTarget, type RedisConnection } from '../remote/redis-connection.js';
import { checkRunId, sha256 } from './keys.js';
import { byStart, isRunMeta, notRunMeta, parseLine, storedValue, summaryOf } from './record-reading.js';
import { RedisReplyError, RedisSyncClient } from './redis-sync-client.js';
import type { RedisCommand } from './redis-sync-protocol.js';
import type { RunMeta, RunSummary } from './run-record.js';
import type { RunLog, RunStore, StoredRun } from './run-store.js';
import { InvalidStoreKeyError, RunNotFoundError, StoreCorruptError } from './store-errors.js';

export interface RedisRunStoreOptions {
  /** The first segment of every key; default `'tsdags'`. Letters, digits, `_.-`, segments joined by `:`. */
  readonly prefix?: string;
}

// Segments of letters, digits, '_', '.', '-', joined by ':'; no empty segment, so no key of one
// prefix can be read as a key of another.
const prefixPattern = /^[A-Za-z0-9_.-]+(:[A-Za-z0-9_.-]+)*$/;

/** A Redis key prefix as RedisRunStore takes it; throws InvalidStoreKeyError otherwise. */
export function checkRedisPrefix(prefix: unknown): string {
  if (typeof prefix !== 'string' || prefix.length > 100 || !prefixPattern.test(prefix)) {
    throw new InvalidStoreKeyError(
      'Redis key prefix',
      String(prefix),
      "of letters, digits, '_', '.' and '-', in segments joined by ':' (e.g. 'tsdags' or 'team:nightly')",
    );
  }
  return prefix;
}

/**
 * Run records, stage results, the cache and remembered durations in Redis, for runs whose
 * orchestrator may be restarted on another machine. Under the prefix (`tsdags`):
 *
 *     <prefix>:runs                    sorted set of run ids, by start time
 *     <prefix>:run:<runId>             the run's header (RunMeta) as JSON
 *     <prefix>:run:<runId>:events      list of events, one JSON each, appended as they happen
 *     <prefix>:run:<runId>:result:<h>  a stage result too large to sit inline in its event
 *     <prefix>:cache:<key>             cached stage results, by input hash
 *     <prefix>:durations:<h>           stage durations of a pipeline's last run
 *
 * Run ids are checked (letters, digits, '_', '-'), stage and pipeline names are hashed, so a key
 * never holds a ':' of its own. Every call waits for Redis to acknowledge it (RedisSyncClient):
 * a `stage:done` is in Redis before the engine announces it. ioredis is loaded in that thread, so
 * runs that keep their record in files never load it.
 *
 * @example
 * const store = new RedisRunStore('redis://10.0.0.5:6379');
 * const last = store.readRun('last');
 * await store.close();
 */
export class RedisRunStore implements RunStore {
  readonly prefix: string;
  readonly location: string;
  readonly writeAdvice =
    'Check that Redis is running there and accepts writes (memory, persistence errors), or run with storeDir: false to keep no record.';
  readonly #client: RedisSyncClient;

  constructor(connection: RedisConnection, options: RedisRunStoreOptions = {}) {
    const prefix = checkRedisPrefix(options.prefix ?? 'tsdags');
    this.prefix = prefix;
    const target = redisTarget(connection, 'redis');
    this.location = `Redis at ${target.address} (key prefix "${prefix}")`;
    this.#client = new RedisSyncClient(target);
  }

  get address(): string {
    return this.#client.address;
  }

  beginRun(meta: RunMeta): RunLog {
    const key = this.#runKey(meta.runId);
    const [created] = this.#call([
      ['set', key, JSON.stringify(meta), 'NX'],
      ['zadd', `${this.prefix}:runs`, 'NX', meta.startedAt, meta.runId],
    ]);
    if (created === null) {
      throw new TsdagsError(
        'RUN_EXISTS',
        `Expected a new run id, got "${meta.runId}", which ${this.location} already holds. Resume it with ` +
          `{ resume: '${meta.runId}' } (a new run id), or pick another runId.`,
      );
    }
    return new RedisRunLog(this, key, meta);
  }

  hasRun(runId: string): boolean {
    return this.#call([['exists', this.#runKey(runId)]])[0] === 1;
  }

  listRuns(): RunSummary[] {
    const [ids] = this.#call([['zrange', `${this.prefix}:runs`, 0, -1]]) as [Uint8Array[]];
    if (ids.length === 0) return [];
    const keys = ids.map((id) => this.#runKey(text(id)));
    const [metas] = this.#call([['mget', ...keys]]) as [(Uint8Array | null)[]];
    // A run deleted by hand leaves its id in the index: it is not listed.
    return metas
      .flatMap((bytes, k) => (bytes === null ? [] : [summaryOf(this.#meta(keys[k]!, bytes))]))
      .sort(byStart);
  }

  readRun(runId: string, pipeline?: string): StoredRun {
    const id = runId === 'last' ? this.#lastRunId(pipeline) : checkRunId(runId);
    const key = this.#runKey(id);
    const [metaBytes, raw] = this.#call([
      ['get', key],
      ['lrange', `${key}:events`, 0, -1],
    ]) as [Uint8Array | null, Uint8Array[]];
    if (metaBytes === null) throw new RunNotFoundError(runId, this.location);
    const meta = this.#meta(key, metaBytes);
    const lines = raw.map((bytes, k) => {
      const line = parseLine(text(bytes));
      if (!line)
        throw this.#corrupt(`${key}:events`, `has an element that is not a tsdags event (index ${k})`);
      return line;
    });
    return {
      meta,
      lines,
      warnings: [],
      result: (line) =>
        storedValue(
          line,
          (name) => {
            const [bytes] = this.#call([['get', `${key}:result:${name}`]]) as [Uint8Array | null];
            if (bytes === null) {
              throw this.#corrupt(
                `${key}:result:${name}`,
                `is missing: it held the result of stage "${line.stage}"`,
              );
            }
            return bytes;
          },
          (inline) =>
            this.#corrupt(
              inline || !line.result || !('file' in line.result)
                ? `${key}:events`
                : `${key}:result:${line.result.file}`,
              `holds a result of stage "${line.stage}" that cannot be decoded`,
            ),
        ),
    };
  }

  readCache(key: string): Uint8Array | undefined {
    const [bytes] = this.#call([['get', this.#cacheKey(key)]]) as [Uint8Array | null];
    return bytes ?? undefined;
  }

  writeCache(key: string, bytes: Uint8Array): void {
    this.#call([['set', this.#cacheKey(key), bytes]]);
  }

  readDurations(pipeline: string): Map<string, number> | undefined {
    let bytes: Uint8Array | null;
    try {
      [bytes] = this.#call([['get', this.#durationsKey(pipeline)]]) as [Uint8Array | null];
    } catch (error) {
      if (error instanceof StoreCorruptError) return undefined; // Only a scheduling hint.
      throw error;
    }
    if (bytes === null) return undefined;
    try {
      const parsed = JSON.parse(text(bytes)) as { durations?: Record<string, number> };
      return new Map(Object.entries(parsed.durations ?? {}));
    } catch {
      return undefined;
    }
  }

  writeDurations(pipeline: string, durations: Record<string, number>): void {
    this.#call([['set', this.#durationsKey(pipeline), JSON.stringify({ pipeline, durations })]]);
  }

  close(): Promise<void> {
    return this.#client.close();
  }

  /** @internal Runs commands for this store and its run logs, naming a key that holds a foreign value. */
  call(commands: readonly RedisCommand[], atomic = false): unknown[] {
    return this.#call(commands, atomic);
  }

  #call(commands: readonly RedisCommand[], atomic = false): unknown[] {
    try {
      return this.#client.call(commands, atomic);
    } catch (error) {
      if (!(error instanceof RedisReplyError)) throw error;
      const key = String(commands[error.command]?.[1] ?? '');
      if (error.message.startsWith('WRONGTYPE')) {
        throw this.#corrupt(key, 'is of another Redis type than tsdags writes there');
      }
      throw new TsdagsError(
        'STORE_WRITE',
        `The Redis run store at ${this.address} refused a command on ${JSON.stringify(key)}: ${error.message}.`,
        { cause: error },
      );
    }
  }

  #meta(key: string, bytes: Uint8Array): RunMeta {
    let meta: unknown;
    try {
      meta = JSON.parse(text(bytes));
    } catch {
      throw this.#corrupt(key, 'is not valid JSON');
    }
    if (!isRunMeta(meta)) throw this.#corrupt(key, notRunMeta);
    return meta;
  }

  #corrupt(key: string, problem: string): StoreCorruptError {
    return StoreCorruptError.redis(this.address, key, problem);
  }

  #runKey(runId: string): string {
    return `${this.prefix}:run:${checkRunId(runId)}`;
  }

  #cacheKey(key: string): string {
    // Cache keys are SHA-256 hex digests; anything else is a bug, not a key to guess at.
    if (!/^[0-9a-f]{64}$/.test(key))
      throw new InvalidStoreKeyError('store key', key, 'that is a cache key (hex SHA-256)');
    return `${this.prefix}:cache:${key}`;
  }

  #durationsKey(pipeline: string): string {
    return `${this.prefix}:durations:${sha256(pipeline).slice(0, 32)}`;
  }

  #lastRunId(pipeline: string | undefined): string {
    const runs = this.listRuns().filter((r) => pipeline === undefined || r.pipeline === pipeline);
    const last = runs.at(-1);
    if (!last) throw new RunNotFoundError('last', this.location);
    return last.runId;
  }
}

/** A run's log in Redis: lines pushed onto its events list in one RPUSH per flush. */
class RedisRunLog implements RunLog {
  readonly location: string;
  readonly #store: RedisRunStore;
  readonly #key: string;
  #meta: RunMeta;
  #pending: string[] = [];

  constructor(store: RedisRunStore, key: string, meta: RunMeta) {
    this.#store = store;
    this.#key = key;
    this.#meta = meta;
    this.location = `Redis at ${store.address} (key "${key}")`;
  }

  append(json: string): void {
    this.#pending.push(json);
  }

  flush(): void {
    if (this.#pending.length === 0) return;
    const lines = this.#pending;
    this.#pending = [];
    this.#store.call([['rpush', `${this.#key}:events`, ...lines]]);
  }

  writeResult(stage: string, bytes: Uint8Array): string {
    const name = sha256(stage).slice(0, 40);
    this.#store.call([['set', `${this.#key}:result:${name}`, bytes]]);
    return name;
  }

  close(outcome: Pick<RunMeta, 'status' | 'finishedAt' | 'counts'>): void {
    this.#meta = { ...this.#meta, ...outcome };
    const commands: RedisCommand[] = [['set', this.#key, JSON.stringify(this.#meta)]];
    if (this.#pending.length > 0) commands.unshift(['rpush', `${this.#key}:events`, ...this.#pending]);
    this.#pending = [];
    this.#store.call(commands, true);
  }
}

function text(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}
