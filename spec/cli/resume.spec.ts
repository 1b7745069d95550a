import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunEvent, RunStartEvent } from 'tsdags';
import { events, tsdags } from './run-cli.js';

// spec/fixtures/cli/resumable.mjs: eight stages, each appending its name to markers.txt when it
// completes. plus_one and tenfold wait for TSDAGS_GATE=open; the other five do not.
//
//   a (worker)      b (worker)      c (main)
//      |               |               |
//   square_a (w)    square_b (w)    tenfold (main, gated)
//      |               |               |
//   plus_one (w, gated)|               |
//         \            |              /
//                 total (main)
const fixture = 'spec/fixtures/cli/resumable.mjs';
const ungated = ['a', 'b', 'c', 'square_a', 'square_b'];
const gated = ['plus_one', 'tenfold', 'total'];
const sorted = (names: Iterable<string>) => [...names].sort();

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsdags-resume-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A fresh directory for one run's markers and store. */
function workspace(name: string): { markers: string; store: string } {
  const markers = join(dir, name);
  mkdirSync(markers);
  return { markers, store: join(markers, 'store') };
}

function markersOf(markers: string): string[] {
  return readFileSync(join(markers, 'markers.txt'), 'utf8').split('\n').filter(Boolean);
}

function resultOf(markers: string): unknown {
  return JSON.parse(readFileSync(join(markers, 'result.json'), 'utf8'));
}

describe('tsdags run --resume', () => {
  test('tsdags run --resume after SIGKILL runs only the stages that had not finished, each exactly once', async () => {
    // The reference: the same pipeline, uninterrupted.
    const reference = workspace('reference');
    const whole = await tsdags(
      ['run', fixture, '--json', '--store-dir', reference.store, '--cores', '8'],
      undefined,
      { TSDAGS_MARKERS: reference.markers, TSDAGS_GATE: 'open' },
    );
    expect({ code: whole.code, stderr: whole.stderr }).toMatchObject({ code: 0 });

    // Killed with SIGKILL once the five ungated stages are done (and recorded: stage:done is
    // announced after its line is written). The gated ones are waiting, short of their markers.
    const { markers, store } = workspace('killed');
    const done = new Set<string>();
    let killed = false;
    const first = await tsdags(
      ['run', fixture, '--json', '--store-dir', store, '--cores', '8'],
      (line, child) => {
        const event = JSON.parse(line) as RunEvent;
        if (event.type === 'stage:done') done.add(event.stage);
        if (!killed && done.size >= ungated.length) {
          killed = true;
          child.kill('SIGKILL');
        }
      },
      { TSDAGS_MARKERS: markers, TSDAGS_GATE: 'shut' },
    );
    expect(killed).toBe(true);
    expect(first.signal).toBe('SIGKILL');
    expect(sorted(done)).toEqual(sorted(ungated));
    expect(sorted(markersOf(markers))).toEqual(sorted(ungated));
    const killedRun = (events(first.stdout)[0] as RunStartEvent).runId;

    // Resumed, with the gate open: the five stored results are reused, the other three run.
    const second = await tsdags(
      ['run', fixture, '--json', '--store-dir', store, '--cores', '8', '--resume'],
      undefined,
      { TSDAGS_MARKERS: markers, TSDAGS_GATE: 'open' },
    );
    expect({ code: second.code, stderr: second.stderr }).toMatchObject({ code: 0 });
    const all = events(second.stdout);
    expect(all[0]).toMatchObject({
      type: 'run:start',
      stages: 8,
      resume: { from: killedRun, restored: 5, changed: [] },
    });
    const started = all.flatMap((e) => (e.type === 'stage:start' ? [e.stage] : []));
    expect(sorted(started)).toEqual(sorted(gated));
    const reused = all.flatMap((e) => (e.type === 'stage:done' && e.cached ? [e.stage] : []));
    expect(sorted(reused)).toEqual(sorted(ungated));
    expect(all.at(-1)).toMatchObject({ type: 'run:done', status: 'succeeded' });

    // Each stage ran to completion exactly once over both runs, and the result is the reference's.
    expect(sorted(markersOf(markers))).toEqual(sorted([...ungated, ...gated]));
    expect(resultOf(markers)).toEqual(resultOf(reference.markers));
    expect(resultOf(markers)).toEqual({ parts: [5, 9, 50], sum: 64 });

    // The records: the killed run has no end, the resumed one names it.
    const shown = await tsdags(['show', killedRun, '--store-dir', store]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('no end recorded (still running, or its process was killed)');
    expect(shown.stdout).toMatch(/^ +square_b +succeeded +1 /m);
    expect(shown.stdout).toMatch(/^ +total +pending +0 /m);
    const last = await tsdags(['show', 'last', '--store-dir', store]);
    expect(last.stdout).toContain(`resumed from ${killedRun}`);
    expect(last.stdout).toMatch(/^ +square_b +reused +0 /m);
    expect(last.stdout).toMatch(/^ +total +succeeded +1 /m);
  });

  test('tsdags run --resume <runId> with a run the store does not have exits 2', async () => {
    const { store } = workspace('empty');
    const missing = await tsdags(['run', fixture, '--store-dir', store, '--resume', 'nope']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(
      `tsdags: There is no run "nope" to resume in ${store}: \`tsdags runs --store-dir ${store}\` lists the runs it holds.\n`,
    );

    const escape = await tsdags(['run', fixture, '--store-dir', store, '--resume=../../etc']);
    expect(escape.code).toBe(2);
    expect(escape.stderr).toMatch(
      /^tsdags: Expected a run id of letters, digits.*got "\.\.\/\.\.\/etc"\.\n$/,
    );
  });
});
