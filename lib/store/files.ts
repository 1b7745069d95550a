import { closeSync, fsyncSync, openSync, renameSync, writeFileSync, mkdirSync } from 'node:fs';
import { open, rename, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * Writes a file atomically: to a temporary file beside it, flushed, then renamed over it. A crash
 * mid-write leaves the previous file intact, never half of the new one. With `sync: false` the
 * data is not flushed to the disk before the rename (a few ms saved): a process crash still leaves
 * the old file or the new one, but a power cut may leave an empty one, so only for files whose
 * readers take a damaged file for a missing one.
 */
export function writeFileAtomicSync(file: string, data: string | Uint8Array, { sync = true } = {}): void {
  mkdirSync(dirname(file), { recursive: true });
  const temporary = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(temporary, 'w');
  try {
    writeFileSync(fd, data);
    if (sync) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, file);
}

/** `writeFileAtomicSync`, without blocking the event loop. */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const temporary = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await open(temporary, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, file);
}
