import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunEvent } from 'tsdags';
import { runJson, showText } from '../../lib/cli/show-command.js';
import pc from 'picocolors';
import { storedStages } from '../../lib/cli/stored-run.js';
import type { RecordLine, RunMeta } from '../../lib/store/run-record.js';
import type { StoredRun } from '../../lib/store/run-store.js';
import { events, stackFrame, tsdags } from './run-cli.js';

let dir: string;
let store: string;
let failedRun: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tsdags-show-'));
  store = join(dir, 'store');
  const { stdout } = await tsdags(['run', 'spec/fixtures/cli/fails.mjs', '--json', '--store-dir', store]);
  const start = events(stdout)[0];
  if (start?.type !== 'run:start') throw new Error('no run:start');
  failedRun = start.runId;
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('tsdags show', () => {
  test("tsdags show <runId> prints the run's stage table: status, attempts, duration, error", async () => {
    const { code, stdout } = await tsdags(['show', failedRun, '--store-dir', store]);
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      new RegExp(
        `^run ${failedRun} \\(pipeline pipeline\\): failed in \\S+, started \\d{4}-\\d\\d-\\d\\d \\S+$`,
      ),
    );
    expect(lines).toContainEqual(expect.stringMatching(/^ +stage +status +attempts +duration +error$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ +good +succeeded +1 +\S+$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ +bad +failed +1 +\S+ +the disk is full$/));
    expect(lines).toContainEqual(
      expect.stringMatching(/^ +after_bad +skipped +0 +- +upstream stage "bad" did not succeed$/),
    );
  });

  test('tsdags show last --json prints the run and its stages as one JSON object', async () => {
    const { code, stdout } = await tsdags(['show', 'last', '--store-dir', store, '--json']);
    expect(code).toBe(0);
    const run = JSON.parse(stdout) as { runId: string; status: string; stages: unknown[] };
    expect(run).toMatchObject({ runId: failedRun, pipeline: 'pipeline', status: 'failed' });
    expect(run.stages).toContainEqual(
      expect.objectContaining({ name: 'bad', status: 'failed', attempts: 1, error: 'the disk is full' }),
    );
  });

  const bad: [string, string[], RegExp][] = [
    [
      'a run the store does not have',
      ['show', '20261126T000000-ffffff'],
      /^There is no run "20261126T000000-ffffff" in /,
    ],
    ['a run id that escapes the store', ['show', '../../etc/passwd'], /^Expected a run id of letters/],
    [
      'an empty store',
      ['show', 'last', '--store-dir', '/nonexistent/tsdags-store'],
      /^There are no runs in \/nonexistent/,
    ],
  ];
  test.each(bad)('tsdags show with %s exits 2 with one sentence', async (_name, args, message) => {
    const { code, stdout, stderr } = await tsdags(
      args.includes('--store-dir') ? args : [...args, '--store-dir', store],
    );
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^tsdags: [^\n]+\n$/);
    expect(stderr.slice('tsdags: '.length)).toMatch(message);
    expect(stderr).not.toMatch(stackFrame);
  });

  test("tsdags show of a run whose event log is not tsdags' exits 2, naming the file", async () => {
    const foreign = join(dir, 'foreign');
    const runDir = join(foreign, 'runs', '20261126T000000-bbbbbb');
    mkdirSync(runDir, { recursive: true });
    writeFileSync(
      join(runDir, 'run.json'),
      JSON.stringify({
        format: 'tsdags-run',
        version: 1,
        runId: '20261126T000000-bbbbbb',
        pipeline: 'p',
        startedAt: 0,
        cores: 1,
        stages: {},
        status: 'running',
      }),
    );
    writeFileSync(join(runDir, 'events.jsonl'), 'hello\nworld\n');
    const { code, stderr } = await tsdags(['show', 'last', '--store-dir', foreign]);
    expect(code).toBe(2);
    expect(stderr).toMatch(
      /^tsdags: The run store file \S+events\.jsonl has a line that is not a tsdags event \(line 1\)\./,
    );
  });
});

describe('tsdags show of a run killed part-way', () => {
  // spec/fixtures/cli/cut-off.mjs, main-thread stages: slow never ends; quick ends once slow has
  // started; tail starts after quick's end and never ends; last never starts.
  //
  //   slow      quick
  //               |
  //             tail
  //               |
  //             last
  test('tsdags show says which stages were running when the record ends, and what pending means there', async () => {
    const cutOff = join(dir, 'cut-off');
    let quickDone: number | undefined;
    const run = await tsdags(
      ['run', 'spec/fixtures/cli/cut-off.mjs', '--json', '--store-dir', cutOff, '--cores', '4'],
      (line, child) => {
        const event = JSON.parse(line) as RunEvent;
        if (event.type === 'stage:done' && event.stage === 'quick') quickDone = event.time;
        // tail has started (the run said so), but no stage ends after it to write its start.
        if (event.type === 'stage:start' && event.stage === 'tail') child.kill('SIGKILL');
      },
    );
    expect(run.signal).toBe('SIGKILL');

    const shown = await tsdags(['show', 'last', '--store-dir', cutOff]);
    expect(shown.code).toBe(0);
    const lines = shown.stdout.trimEnd().split('\n');
    expect(lines[0]).toContain(
      '(pipeline cut-off): no end recorded (still running, or its process was killed)',
    );
    expect(lines).toContainEqual(expect.stringMatching(/^ +quick +succeeded +1 +\S+$/));
    expect(lines).toContainEqual(
      expect.stringMatching(/^ +slow +running +1 +- +running when the record ends$/),
    );
    expect(lines).toContainEqual(expect.stringMatching(/^ +tail +pending +0 +-$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ +last +pending +0 +-$/));
    expect(lines.at(-1)).toMatch(
      /^The record ends \S+ into the run: a stage that started after that, or whose start was not written yet, shows as pending\.$/,
    );

    const json = await tsdags(['show', 'last', '--store-dir', cutOff, '--json']);
    const shownRun = JSON.parse(json.stdout) as { status: string; recordEndsAt?: number; stages: unknown[] };
    expect(shownRun).toMatchObject({ status: 'running', recordEndsAt: quickDone });
    expect(shownRun.stages).toContainEqual(
      expect.objectContaining({ name: 'slow', status: 'running', attempts: 1 }),
    );
  });
});

describe('showText()', () => {
  const meta: RunMeta = {
    format: 'tsdags-run',
    version: 1,
    runId: 'r1',
    pipeline: 'p',
    startedAt: 1000,
    cores: 2,
    stages: { a: '', b: '' },
    status: 'running',
  };
  const stored = (lines: RecordLine[], over: Partial<RunMeta> = {}): StoredRun => ({
    meta: { ...meta, ...over },
    lines,
    warnings: [],
    result: () => undefined,
  });
  const text = (run: StoredRun) => showText(run, storedStages(run.meta, run.lines), pc.createColors(false));
  const flaky = { name: 'StageFailedError', message: 'Stage "a" failed on attempt 1: flaky' };

  test('showText() of a run cut off during a retried stage names the attempt that failed before', () => {
    const run = stored([
      { type: 'stage:start', time: 1001, stage: 'a', attempt: 1 },
      { type: 'stage:retry', time: 1002, stage: 'a', attempt: 1, delayMs: 1, error: flaky },
      { type: 'stage:start', time: 1003, stage: 'a', attempt: 2 },
      { type: 'stage:start', time: 1004, stage: 'b', attempt: 1 },
      { type: 'stage:done', time: 1250, stage: 'b', attempt: 1, durationMs: 246 },
    ]);
    const out = text(run);
    expect(out).toMatch(/^ +a +running +2 +- +running when the record ends \(attempt 1: flaky\)$/m);
    // No pending stage: nothing to say about starts.
    expect(out.split('\n').at(-1)).toBe('The record ends 250ms into the run.');
  });

  test('showText() of a finished run says nothing of where its record ends', () => {
    const run = stored([{ type: 'stage:start', time: 1001, stage: 'a', attempt: 1 }], {
      status: 'failed',
      finishedAt: 1100,
    });
    expect(text(run)).not.toContain('record ends');
    expect(runJson(run, storedStages(run.meta, run.lines))).toMatchObject({ recordEndsAt: undefined });
  });
});
