import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunSummary } from 'tsdags';
import { events, stackFrame, tsdags } from './run-cli.js';

let dir: string;
let store: string;
const runIds: string[] = [];

// Two runs in one store: the seed pipeline, which succeeds, then one that fails.
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tsdags-runs-'));
  store = join(dir, 'store');
  for (const file of ['ok.mjs', 'fails.mjs']) {
    const { stdout } = await tsdags(['run', `spec/fixtures/cli/${file}`, '--json', '--store-dir', store]);
    const start = events(stdout)[0];
    if (start?.type !== 'run:start') throw new Error(`no run:start from ${file}`);
    runIds.push(start.runId);
  }
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('tsdags runs', () => {
  test('tsdags runs lists the runs, newest last, with start, status, stage counts and duration', async () => {
    const { code, stdout } = await tsdags(['runs', '--store-dir', store]);
    expect(code).toBe(0);
    const [head, ...rows] = stdout.trimEnd().split('\n');
    expect(head).toMatch(/^ +run +pipeline +started +status +stages +duration$/);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(
      new RegExp(
        `^ +${runIds[0]} +seed +\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d +succeeded +6 succeeded +\\S+$`,
      ),
    );
    expect(rows[1]).toMatch(
      new RegExp(`^ +${runIds[1]} +pipeline +\\S+ \\S+ +failed +1 succeeded, 1 failed, 1 skipped +\\S+$`),
    );
  });

  test('tsdags runs --json prints each run as one line of JSON', async () => {
    const { code, stdout } = await tsdags(['runs', '--store-dir', store, '--json']);
    expect(code).toBe(0);
    const runs = stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as RunSummary);
    expect(runs.map((r) => r.runId)).toEqual(runIds);
    expect(runs[1]).toMatchObject({
      pipeline: 'pipeline',
      status: 'failed',
      stages: 3,
      counts: { succeeded: 1, failed: 1, skipped: 1 },
    });
    expect(runs[1]?.durationMs).toBeGreaterThan(0);
  });

  test('tsdags runs of an empty store says so on stderr and exits 0', async () => {
    const empty = join(dir, 'empty');
    const { code, stdout, stderr } = await tsdags(['runs', '--store-dir', empty]);
    expect(code).toBe(0);
    expect(stdout).toBe('');
    expect(stderr).toBe(`No runs in ${empty} yet.\n`);
  });

  test('tsdags runs of a damaged store exits 2, naming the file', async () => {
    const damaged = join(dir, 'damaged');
    mkdirSync(join(damaged, 'runs', '20261126T000000-aaaaaa'), { recursive: true });
    writeFileSync(join(damaged, 'runs', '20261126T000000-aaaaaa', 'run.json'), '{"format":');
    const { code, stdout, stderr } = await tsdags(['runs', '--store-dir', damaged]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(
      /^tsdags: The run store file \S+20261126T000000-aaaaaa\/run\.json is not valid JSON\./,
    );
    expect(stderr).not.toMatch(stackFrame);
  });

  test('tsdags runs of a store that is a file exits 2 with one sentence', async () => {
    mkdirSync(join(dir, 'runs-is-a-file'));
    writeFileSync(join(dir, 'runs-is-a-file', 'runs'), '');
    const { code, stderr } = await tsdags(['runs', '--store-dir', join(dir, 'runs-is-a-file')]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^tsdags: Could not read the run store \S+runs-is-a-file: .*\n$/);
  });
});
