import { TsdagsError } from '../errors.js';
import { recordStoreOf, type RunOptions } from '../run-options.js';
import { FileRunStore } from '../store/file-run-store.js';
import { RedisRunStore } from '../store/redis-run-store.js';
import type { RunStore } from '../store/run-store.js';

/**
 * Checks `--run-id` and `--resume <runId>` against the store the run's record goes to (a directory
 * or Redis), before anything runs, with messages that name the flags: a run id the store holds
 * would write into that run's record; a run to resume must be there. `--resume` with no id (the
 * last run) is left to the run, whose store says where it looked.
 */
export async function checkRunRecord(options: RunOptions): Promise<void> {
  const { runId, resume } = options;
  const resumeId = resume === 'last' ? undefined : resume;
  if (runId === undefined && resumeId === undefined) return;
  if (runId !== undefined && runId === resumeId) {
    throw new TsdagsError(
      'RUN_EXISTS',
      `Expected --run-id to differ from the run --resume continues, got "${runId}" for both: a resumed ` +
        'run is recorded under an id of its own. Leave --run-id out (a new time-ordered id), or pick another.',
    );
  }
  let store: RunStore | undefined;
  try {
    store = recordStoreOf(options);
  } catch {
    // Options the store refuses (a bad prefix, Redis options a thread cannot take): the run
    // refuses them too, in its own words.
    return;
  }
  if (store === undefined) return;
  try {
    if (runId !== undefined && store.hasRun(runId)) {
      throw new TsdagsError(
        'RUN_EXISTS',
        `Expected a new run id, but ${store.location} already holds a run "${runId}": pick another ` +
          `--run-id, or resume that run with --resume ${runId}.`,
      );
    }
    if (resumeId !== undefined && !store.hasRun(resumeId)) {
      throw new TsdagsError(
        'RUN_NOT_FOUND',
        `There is no run "${resumeId}" to resume in ${store.location}: \`${listCommand(store)}\` lists ` +
          'the runs it holds.',
      );
    }
  } finally {
    await store.close();
  }
}

// How to list the runs of a store: `tsdags runs` reads .tsdags, or TSDAGS_REDIS when it is set.
function listCommand(store: RunStore): string {
  if (store instanceof FileRunStore) {
    return store.dir === new FileRunStore('.tsdags').dir
      ? 'tsdags runs'
      : `tsdags runs --store-dir ${store.dir}`;
  }
  const prefix =
    store instanceof RedisRunStore && store.prefix !== 'tsdags' ? ` --redis-prefix ${store.prefix}` : '';
  return `tsdags runs --redis <url>${prefix}`;
}
