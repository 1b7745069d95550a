import { PlainReporter } from '../../lib/cli/plain-reporter.js';
import { StageFailedError, type RunEvent } from 'tsdags';

function reporter(options: { verbose?: boolean } = {}) {
  let out = '';
  const stream = {
    write: (chunk: string) => ((out += chunk), true),
    isTTY: false,
  } as unknown as NodeJS.WriteStream;
  return { plain: new PlainReporter(stream, options), text: () => out };
}

const t = 1_000;
const error = new StageFailedError('load', 1, new Error('timeout'));

describe('PlainReporter', () => {
  test('PlainReporter writes one line per change of state, and none for stage:ready or run:done', () => {
    const { plain, text } = reporter();
    const events: RunEvent[] = [
      { type: 'run:start', time: t, runId: 'r1', stages: 2, cores: 1 },
      { type: 'stage:ready', time: t, stage: 'load' },
      { type: 'stage:start', time: t, stage: 'load', attempt: 1, threadId: 1 },
      { type: 'stage:done', time: t + 5, stage: 'load', attempt: 1, threadId: 1, durationMs: 5 },
      { type: 'stage:skip', time: t + 5, stage: 'save', reason: 'the run stopped' },
      { type: 'run:done', time: t + 6, runId: 'r1', status: 'succeeded', durationMs: 6 },
    ];
    for (const event of events) plain.event(event);
    expect(text()).toBe(
      [
        'run r1: 2 stages, at most 1 at once',
        'start   load',
        'done    load in 5ms',
        'skip    save: the run stopped',
        '',
      ].join('\n'),
    );
  });

  test('PlainReporter reports a retry with what the attempt threw and the back-off', () => {
    const { plain, text } = reporter();
    plain.event({ type: 'stage:retry', time: t, stage: 'load', attempt: 1, delayMs: 1500, error });
    expect(text()).toBe('retry   load: attempt 1 failed (timeout); again in 1.50s\n');
  });

  test('PlainReporter says what a resumed run restored and which stages changed', () => {
    const { plain, text } = reporter();
    plain.event({
      type: 'run:start',
      time: t,
      runId: 'r2',
      stages: 8,
      cores: 2,
      resume: { from: 'r1', restored: 5, changed: ['clean', 'report'] },
    });
    plain.event({
      type: 'run:start',
      time: t,
      runId: 'r3',
      stages: 1,
      cores: 1,
      resume: { from: 'r2', restored: 1, changed: [] },
    });
    expect(text()).toBe(
      [
        'run r2: 8 stages, at most 2 at once',
        'resuming r1: 5 stages restored; changed: clean, report',
        'run r3: 1 stage, at most 1 at once',
        'resuming r2: 1 stage restored; none changed',
        '',
      ].join('\n'),
    );
  });

  test("PlainReporter says when a stage's stored result was reused instead of run", () => {
    const { plain, text } = reporter();
    plain.event({
      type: 'stage:done',
      time: t,
      stage: 'load',
      attempt: 0,
      threadId: 0,
      durationMs: 0,
      cached: true,
    });
    expect(text()).toBe('done    load (stored result reused)\n');
  });
});
