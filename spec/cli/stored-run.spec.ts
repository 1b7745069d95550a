import { countStages, recordEnd, storedStages } from '../../lib/cli/stored-run.js';
import type { RecordLine, RunMeta } from '../../lib/store/run-record.js';

// A run of four stages, cut off while `c` was running (its process was killed):
//
//   a (reused)   b (failed once, then succeeded)
//        \        /
//            c (running)        d (never started)
const meta: RunMeta = {
  format: 'tsdags-run',
  version: 1,
  runId: 'r2',
  pipeline: 'p',
  startedAt: 0,
  cores: 2,
  resumedFrom: 'r1',
  stages: { a: 'fa', b: 'fb', c: 'fc', d: 'fd' },
  status: 'running',
};
const failure = {
  name: 'StageFailedError',
  code: 'STAGE_FAILED',
  message: 'Stage "b" failed on attempt 1: flaky\nmore',
};
const lines: RecordLine[] = [
  { type: 'run:start', time: 0 },
  { type: 'stage:done', time: 1, stage: 'a', attempt: 0, durationMs: 0, cached: true },
  { type: 'stage:start', time: 2, stage: 'b', attempt: 1 },
  { type: 'stage:retry', time: 3, stage: 'b', attempt: 1, delayMs: 10, error: failure },
  { type: 'stage:start', time: 13, stage: 'b', attempt: 2 },
  { type: 'stage:done', time: 20, stage: 'b', attempt: 2, durationMs: 7 },
  { type: 'stage:start', time: 21, stage: 'c', attempt: 1 },
];

describe('storedStages()', () => {
  test("storedStages() folds a cut-off run's event log into one row per stage, in the order they started", () => {
    expect(storedStages(meta, lines)).toEqual([
      { name: 'b', status: 'succeeded', attempts: 2, durationMs: 7, startedAt: 2, error: undefined },
      { name: 'c', status: 'running', attempts: 1, durationMs: undefined, startedAt: 21, error: undefined },
      {
        name: 'a',
        status: 'reused',
        attempts: 0,
        durationMs: undefined,
        startedAt: undefined,
        error: undefined,
      },
      {
        name: 'd',
        status: 'pending',
        attempts: 0,
        durationMs: undefined,
        startedAt: undefined,
        error: undefined,
      },
    ]);
  });

  test('storedStages() shows what a failed stage threw (the cause, first line) and why a stage was skipped', () => {
    const failed: RecordLine[] = [
      { type: 'stage:start', time: 1, stage: 'b', attempt: 1 },
      { type: 'stage:error', time: 2, stage: 'b', attempt: 1, durationMs: 1, error: failure },
      { type: 'stage:skip', time: 2, stage: 'c', reason: 'upstream stage "b" did not succeed' },
      { type: 'stage:cancel', time: 3, stage: 'd', attempt: 0 },
    ];
    const rows = storedStages(meta, failed);
    expect(rows.find((r) => r.name === 'b')).toMatchObject({ status: 'failed', error: 'flaky …' });
    expect(rows.find((r) => r.name === 'c')).toMatchObject({
      status: 'skipped',
      error: 'upstream stage "b" did not succeed',
    });
    expect(rows.find((r) => r.name === 'd')).toMatchObject({ status: 'cancelled' });
  });

  test('countStages() counts by state in a fixed order', () => {
    expect(countStages(storedStages(meta, lines))).toBe('1 succeeded, 1 reused, 1 running, 1 pending');
  });

  test("recordEnd() is the time of the record's latest line, whichever comes last in the log", () => {
    expect(recordEnd(meta, lines)).toBe(21);
    // A worker stage's start is stamped by its thread and may be written after a later line.
    const late: RecordLine[] = [...lines, { type: 'stage:start', time: 15, stage: 'd', attempt: 1 }];
    expect(recordEnd(meta, late)).toBe(21);
    expect(recordEnd({ ...meta, startedAt: 5 }, [])).toBe(5);
  });
});
