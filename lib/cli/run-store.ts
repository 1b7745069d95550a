import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { TsdagsError } from '../errors.js';
import { FileRunStore, type StoredRun } from '../store/file-run-store.js';
import type { RunSummary } from '../store/run-record.js';

/** The store `tsdags runs` and `tsdags show` read: `--store-dir`, or `.tsdags` as `tsdags run` writes it. */
export function openRunStore(storeDir: string | undefined): FileRunStore {
  if (storeDir !== undefined && storeDir.length === 0) {
    throw new TsdagsError('BAD_OPTION', 'Expected --store-dir to name a directory, got "".');
  }
  return new FileRunStore(storeDir ?? '.tsdags');
}

/**
 * Refuses `--run-id` of a run the store already holds: a second run under that id would write into
 * the first one's record.
 */
export function checkNewRunId(storeDir: string, runId: string): void {
  const store = new FileRunStore(storeDir);
  if (!existsSync(join(store.runDir(runId), 'run.json'))) return;
  throw new TsdagsError(
    'RUN_EXISTS',
    `Expected a new run id, but ${store.dir} already holds a run "${runId}": pick another --run-id, or ` +
      `resume that run with --resume ${runId}.`,
  );
}

/** Every run the store holds, oldest first. */
export function listStoredRuns(store: FileRunStore): RunSummary[] {
  return readingStore(store, () => store.listRuns());
}

/** One stored run, by id or `'last'`, with errors worded for someone asking to see it. */
export function readStoredRun(store: FileRunStore, runId: string): StoredRun {
  try {
    return readingStore(store, () => store.readRun(runId));
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'RUN_NOT_FOUND') throw error;
    throw new TsdagsError(
      'RUN_NOT_FOUND',
      runId === 'last'
        ? `There are no runs in ${store.dir} yet: \`tsdags run <file>\` records them there (or pass --store-dir).`
        : `There is no run "${runId}" in ${store.dir}: \`tsdags runs\` lists the runs it holds.`,
      { cause: error },
    );
  }
}

// The store's own errors (a bad run id, a damaged file) say what is wrong; a file system error
// (a store that is a file, a directory that cannot be read) is worded here, naming the store.
function readingStore<T>(store: FileRunStore, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof TsdagsError || !(error instanceof Error)) throw error;
    throw new TsdagsError(
      'STORE_UNREADABLE',
      `Could not read the run store ${store.dir}: ${error.message}. Point --store-dir at the directory tsdags run wrote.`,
      { cause: error },
    );
  }
}
