/**
 * checkRunRecord(): `tsdags run --run-id` and `--resume <runId>` checked against the store the
 * run's record goes to, as pipeline.run() picks it. The Redis cases run the command against a
 * Redis server: spec/cli/redis-run-store-flags.spec.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pipeline, stage } from 'tsdags';
import { checkRunRecord } from '../../lib/cli/run-record-check.js';
import { recordStoreOf } from '../../lib/run-options.js';
import { FileRunStore } from '../../lib/store/file-run-store.js';
import { RedisRunStore } from '../../lib/store/redis-run-store.js';

const one = stage({ thread: 'main' }, function one() {
  return 1;
});

let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tsdags-record-check-'));
  await new Pipeline().addStage(one()).start({ storeDir: dir, runId: 'kept' });
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('recordStoreOf()', () => {
  test('recordStoreOf() picks the store pipeline.run() records in: files, Redis, or none', async () => {
    expect(recordStoreOf({ storeDir: false })).toBeUndefined();
    expect(recordStoreOf({})).toEqual(new FileRunStore('.tsdags'));
    expect(recordStoreOf({ storeDir: dir })).toEqual(new FileRunStore(dir));
    const redis = 'redis://127.0.0.1:1';
    // A remote run records in its Redis, unless it names a directory.
    expect(recordStoreOf({ executor: 'bullmq', redis, storeDir: dir })).toEqual(new FileRunStore(dir));
    const stores = [
      recordStoreOf({ executor: 'bullmq', redis }),
      recordStoreOf({ store: { redis, prefix: 'team:nightly' } }),
      recordStoreOf({ executor: 'bullmq', redis: 'redis://127.0.0.1:2', store: { redis } }),
    ];
    try {
      expect(stores.map((s) => s instanceof RedisRunStore && [s.address, s.prefix])).toEqual([
        [redis, 'tsdags'],
        [redis, 'team:nightly'],
        [redis, 'tsdags'],
      ]);
    } finally {
      await Promise.all(stores.map((s) => s?.close()));
    }
  });
});

describe('checkRunRecord()', () => {
  test('checkRunRecord() refuses a --run-id the store holds, naming the store and the flags', async () => {
    await expect(checkRunRecord({ storeDir: dir, runId: 'kept' })).rejects.toMatchObject({
      code: 'RUN_EXISTS',
      message: `Expected a new run id, but ${dir} already holds a run "kept": pick another --run-id, or resume that run with --resume kept.`,
    });
    await expect(checkRunRecord({ storeDir: dir, runId: 'new-one' })).resolves.toBeUndefined();
    // No record, nothing to clash with.
    await expect(checkRunRecord({ storeDir: false, runId: 'kept' })).resolves.toBeUndefined();
  });

  test('checkRunRecord() refuses --resume of a run the store does not have, saying how to list the runs', async () => {
    await expect(checkRunRecord({ storeDir: dir, resume: 'nope' })).rejects.toMatchObject({
      code: 'RUN_NOT_FOUND',
      message: `There is no run "nope" to resume in ${dir}: \`tsdags runs --store-dir ${dir}\` lists the runs it holds.`,
    });
    await expect(checkRunRecord({ storeDir: dir, resume: 'kept' })).resolves.toBeUndefined();
    await expect(checkRunRecord({ storeDir: dir, resume: '../x' })).rejects.toMatchObject({
      code: 'INVALID_STORE_KEY',
    });
  });

  test('checkRunRecord() refuses the same id for --run-id and --resume: a resumed run gets an id of its own', async () => {
    await expect(checkRunRecord({ storeDir: dir, resume: 'kept', runId: 'kept' })).rejects.toMatchObject({
      code: 'RUN_EXISTS',
      message: expect.stringMatching(
        /^Expected --run-id to differ from the run --resume continues, got "kept" for both/,
      ) as unknown,
    });
  });
});
