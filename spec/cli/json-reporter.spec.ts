import { StageFailedError } from 'tsdags';
import { eventToJson } from '../../lib/cli/json-reporter.js';

describe('eventToJson()', () => {
  test('eventToJson() writes an Error as { name, code, message }', () => {
    const error = new StageFailedError('clean', 2, new Error('bad row'));
    const line = eventToJson({
      type: 'stage:error',
      time: 1,
      stage: 'clean',
      attempt: 2,
      threadId: 3,
      durationMs: 4,
      error,
    });
    expect(JSON.parse(line)).toEqual({
      type: 'stage:error',
      time: 1,
      stage: 'clean',
      attempt: 2,
      threadId: 3,
      durationMs: 4,
      error: {
        name: 'StageFailedError',
        code: 'STAGE_FAILED',
        message: 'Stage "clean" failed on attempt 2: bad row',
      },
    });
  });
});
