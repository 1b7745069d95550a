/**
 * What passes between the main thread and the thread that holds a RedisRunStore's connection
 * (redis-sync-client.ts and redis-sync-worker.ts).
 */
import type { MessagePort } from 'node:worker_threads';
import type { RedisOptions } from 'ioredis';

/** One Redis command: its name, then its arguments. */
export type RedisCommand = readonly [name: string, ...args: (string | number | Uint8Array)[]];

export interface SyncRequest {
  readonly id: number;
  readonly commands: readonly RedisCommand[];
  /** In one MULTI/EXEC transaction rather than a plain pipeline. */
  readonly atomic: boolean;
}

export type SyncReply =
  | { readonly id: number; readonly replies: unknown[] }
  /** `command` is the index of the command Redis refused; undefined when Redis was not reached. */
  | { readonly id: number; readonly error: string; readonly command?: number };

export interface SyncWorkerData {
  readonly port: MessagePort;
  /** 0 while a request waits, 1 once its reply is posted. */
  readonly flag: Int32Array;
  readonly url: string | undefined;
  readonly options: RedisOptions;
}

/** How long one command may take before ioredis gives up on it, ms. */
export const commandTimeoutMs = 10_000;
