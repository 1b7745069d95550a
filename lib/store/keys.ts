import { hash } from 'node:crypto';
import { InvalidStoreKeyError } from './store-errors.js';

// Run ids are what newRunId() makes, or names a user picked: letters, digits, '_' and '-'.
const runIdPattern = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

/** Throws unless `id` is a run id that names one directory inside the store and nothing else. */
export function checkRunId(id: unknown): string {
  if (typeof id !== 'string' || !runIdPattern.test(id)) {
    throw new InvalidStoreKeyError(
      'run id',
      String(id),
      "of letters, digits, '_' and '-' (at most 128, not starting with '-' or '_'), like 20261125T003512-3f9a1c",
    );
  }
  return id;
}

/**
 * Throws unless `key` is a store key: a non-empty string of at most 1,024 characters that is not
 * an absolute path and has no `.` or `..` segment. Keys never become paths as they are (files
 * are named by their hash), but a key that looks like an escape is refused rather than guessed at.
 */
export function checkKey(key: unknown): string {
  const rule = "that is a relative name without '.' or '..' segments (e.g. 'models/latest')";
  if (typeof key !== 'string' || key.length === 0 || key.length > 1024 || key.includes('\0')) {
    throw new InvalidStoreKeyError('store key', String(key), rule);
  }
  if (key.startsWith('/') || key.startsWith('\\') || /^[A-Za-z]:/.test(key)) {
    throw new InvalidStoreKeyError('store key', key, rule);
  }
  if (key.split(/[\\/]/).some((segment) => segment === '.' || segment === '..')) {
    throw new InvalidStoreKeyError('store key', key, rule);
  }
  return key;
}

/** A hex SHA-256 of text or bytes: file names for keys and stage names, cache keys, fingerprints. */
export function sha256(data: string | Uint8Array): string {
  return hash('sha256', data, 'hex');
}
