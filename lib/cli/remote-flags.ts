import { TsdagsError } from '../errors.js';
import { redisTarget } from '../remote/redis-connection.js';
import { checkRedisPrefix } from '../store/redis-run-store.js';

/** The environment variable `--redis` falls back to: a URL with a password stays out of `ps`. */
export const redisEnv = 'TSDAGS_REDIS';

/** `--redis`: a redis:// or rediss:// URL, checked as the library checks it, named as the flag. */
export function parseRedisUrl(text: string): string {
  try {
    redisTarget(text);
  } catch {
    throw new TsdagsError(
      'BAD_OPTION',
      `Expected --redis to be a redis:// or rediss:// URL, got "${hidePassword(text)}": e.g. --redis ` +
        'redis://10.0.0.5:6379, or rediss://:password@host:6380/0 for TLS with a password.',
    );
  }
  return text;
}

/** `--queue`: a BullMQ queue name, non-empty and without ':' (BullMQ uses ':' in its Redis keys). */
export function parseQueueName(text: string): string {
  if (text.length === 0 || text.includes(':') || /\s/.test(text)) {
    throw new TsdagsError(
      'BAD_OPTION',
      `Expected --queue to be a name without ':' or spaces, got "${text}": the orchestrator and its ` +
        'workers must use the same one, e.g. --queue nightly.',
    );
  }
  return text;
}

/** `--redis-prefix`: the first segment of the run record's keys, as RedisRunStore takes it. */
export function parseRedisPrefix(text: string): string {
  try {
    return checkRedisPrefix(text);
  } catch {
    throw new TsdagsError(
      'BAD_OPTION',
      `Expected --redis-prefix to be letters, digits, '_', '.' and '-' in segments joined by ':', got ` +
        `"${text}": the prefix of the run record's keys, e.g. --redis-prefix team:nightly.`,
    );
  }
}

/** `--concurrency`: a whole number from 1 up. */
export function parseConcurrency(text: string): number {
  const value = /^\s*\d+\s*$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new TsdagsError(
      'BAD_OPTION',
      `Expected --concurrency to be a whole number from 1 up, got "${text}": pass how many stages this ` +
        'worker runs at once, e.g. --concurrency 4.',
    );
  }
  return value;
}

// A URL that does not parse is echoed back, but not the password someone typed in it.
function hidePassword(text: string): string {
  return text.replace(/\/\/[^/@]*@/, '//***@');
}
