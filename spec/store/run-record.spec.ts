import { doneLine, readyLine, startLine } from '../../lib/store/run-record.js';
import type { StageDoneEvent, StageReadyEvent, StageStartEvent } from 'tsdags';

// Names JSON must escape: quotes, backslashes, control characters, a lone surrogate, and text
// outside ASCII.
const names = ['plain', 'with "quotes"', 'back\\slash', 'tab\tnew\nline\u0001', 'lone \ud800', 'ünï 名前 🎉'];
const fingerprint = 'ab'.repeat(32);

describe('record line text', () => {
  test.each(names)('readyLine() writes what JSON.stringify writes (stage %j)', (stage) => {
    const event: StageReadyEvent = { type: 'stage:ready', time: 1795675258374.537, stage };
    expect(readyLine(event)).toBe(JSON.stringify(event));
  });

  test.each(names)('startLine() writes what JSON.stringify writes, worker or not (stage %j)', (stage) => {
    const local: StageStartEvent = { type: 'stage:start', time: 17.25, stage, attempt: 2, threadId: 3 };
    const remote: StageStartEvent = { ...local, threadId: -1, worker: `${stage}:1234` };
    expect(startLine(local)).toBe(JSON.stringify(local));
    expect(startLine(remote)).toBe(JSON.stringify(remote));
  });

  test.each(names)(
    'doneLine() writes the event, its fingerprint and result as JSON.stringify does (stage %j)',
    (stage) => {
      const ran: StageDoneEvent = {
        type: 'stage:done',
        time: 1795675258374.5,
        stage,
        attempt: 1,
        threadId: 2,
        durationMs: 0.00634765625,
      };
      const reused: StageDoneEvent = { ...ran, attempt: 0, threadId: 0, durationMs: 0, cached: true };
      for (const event of [ran, reused]) {
        const result = { json: [1, 'two', { three: null }] };
        expect(doneLine(event, fingerprint, JSON.stringify(result))).toBe(
          JSON.stringify({ ...event, fingerprint, result }),
        );
      }
    },
  );

  test('numbers JSON cannot hold are written as JSON writes them (null)', () => {
    const event: StageDoneEvent = {
      type: 'stage:done',
      time: Number.NaN,
      stage: 's',
      attempt: 1,
      threadId: 0,
      durationMs: Number.POSITIVE_INFINITY,
    };
    const line = doneLine(event, fingerprint, '{"undefined":true}');
    expect(line).toBe(JSON.stringify({ ...event, fingerprint, result: { undefined: true } }));
    expect(JSON.parse(line)).toMatchObject({ time: null, durationMs: null });
  });
});
