import type { Redis } from 'ioredis';
import { isAuthError } from './redis-connection.js';
import { RedisUnavailableError } from './remote-errors.js';

/**
 * Declares Redis unavailable when a client has not been connected for `waitMs` in a row: not
 * connected yet when the watchdog starts, or lost later. ioredis keeps reconnecting (and BullMQ
 * needs it to), so without this a run whose Redis went away would wait forever. A client that gave
 * up reconnecting (a `retryStrategy` of the user's that returned no delay), or that Redis refused
 * the credentials of, is unavailable at once.
 */
export class RedisWatchdog {
  readonly #client: Redis;
  readonly #address: string;
  readonly #waitMs: number;
  readonly #onUnavailable: (error: RedisUnavailableError) => void;
  #timer: NodeJS.Timeout | undefined;
  #lostAt = Date.now();
  #lastError: unknown;
  #stopped = false;
  #error: RedisUnavailableError | undefined;
  #waiters: { resolve: () => void; reject: (error: unknown) => void }[] = [];
  readonly #onReady = (): void => {
    this.#clear();
    this.#lostAt = Date.now();
    for (const waiter of this.#waiters.splice(0)) waiter.resolve();
  };
  readonly #onLost = (): void => this.#arm();
  readonly #onError = (error: unknown): void => {
    this.#lastError = error;
    // Wrong credentials: ioredis would try again, and be refused again, until the timeout.
    if (isAuthError(error)) this.#onEnd();
  };
  readonly #onEnd = (): void => {
    this.#clear();
    this.#declare(Date.now() - this.#lostAt);
  };

  constructor(
    client: Redis,
    address: string,
    waitMs: number,
    onUnavailable: (error: RedisUnavailableError) => void,
  ) {
    this.#client = client;
    this.#address = address;
    this.#waitMs = waitMs;
    this.#onUnavailable = onUnavailable;
    client.on('ready', this.#onReady);
    client.on('close', this.#onLost);
    client.on('error', this.#onError);
    client.on('end', this.#onEnd);
    if (client.status !== 'ready') this.#arm();
  }

  /** The error, once Redis was declared unavailable. */
  get error(): RedisUnavailableError | undefined {
    return this.#error;
  }

  /** Resolves when the client is connected; rejects if Redis is declared unavailable first. */
  ready(): Promise<void> {
    if (this.#error) return Promise.reject(this.#error);
    if (this.#client.status === 'ready') return Promise.resolve();
    return new Promise<void>((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  stop(): void {
    this.#stopped = true;
    this.#clear();
    this.#client.off('ready', this.#onReady);
    this.#client.off('close', this.#onLost);
    this.#client.off('error', this.#onError);
    this.#client.off('end', this.#onEnd);
  }

  #arm(): void {
    if (this.#stopped || this.#timer || this.#error) return;
    this.#lostAt = Date.now();
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#client.status !== 'ready') this.#declare(this.#waitMs);
    }, this.#waitMs);
  }

  #declare(waitedMs: number): void {
    if (this.#stopped || this.#error) return;
    this.#error = new RedisUnavailableError(this.#address, waitedMs, this.#lastError);
    for (const waiter of this.#waiters.splice(0)) waiter.reject(this.#error);
    this.#onUnavailable(this.#error);
  }

  #clear(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
