import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
