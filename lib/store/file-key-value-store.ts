import { readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { KeyValueStore } from '../stage/stage.js';
import { decode, encode } from './codec.js';
import { writeFileAtomic } from './files.js';
import { checkKey, sha256 } from './keys.js';
import { StoreCorruptError, unstorable } from './store-errors.js';

/**
 * `ctx.store` on disk: one file per key under `<storeDir>/kv/`, named by the key's hash (so no key
 * can name a path), written atomically. pydags' DiskCacheStage.
 */
export class FileKeyValueStore implements KeyValueStore {
  readonly dir: string;

  constructor(storeDir: string) {
    this.dir = join(resolve(storeDir), 'kv');
  }

  async get<T = unknown>(key: string): Promise<T | undefined> {
    const file = this.#file(key);
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    try {
      return (decode(bytes) as { value: T }).value;
    } catch {
      throw new StoreCorruptError(
        file,
        `holds a value for key ${JSON.stringify(key)} that cannot be decoded`,
      );
    }
  }

  async set(key: string, value: unknown): Promise<void> {
    const file = this.#file(key);
    const bytes = encode({ key, value });
    if (!bytes) throw unstorable(key, value);
    await writeFileAtomic(file, bytes);
  }

  async delete(key: string): Promise<boolean> {
    const file = this.#file(key);
    try {
      await rm(file);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
  }

  #file(key: string): string {
    return join(this.dir, `${sha256(checkKey(key))}.bin`);
  }
}
