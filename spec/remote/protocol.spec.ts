import { StageFailedError, UncloneableValueError } from 'tsdags';
import {
  cancelMessage,
  parseCancel,
  parseStageJob,
  protocolVersion,
  stageJobId,
} from '../../lib/remote/protocol.js';
import { redisTarget } from '../../lib/remote/redis-connection.js';
import { RemoteJobRejectedError } from '../../lib/remote/remote-errors.js';
import { decodeError, decodeValue, encodeError, encodeValue } from '../../lib/remote/value-codec.js';

describe('stageJobId()', () => {
  test('is the same for the same run, stage and attempt, and never contains ":"', () => {
    expect(stageJobId('20260101T000000-abcdef', 'clean', 1)).toBe('20260101T000000-abcdef-clean-1');
    expect(stageJobId('r', 'etl:load', 2)).toBe('r-etl%3Aload-2');
    // '%' is escaped too, so that two names never give one id.
    expect(stageJobId('r', 'a%3Ab', 1)).not.toBe(stageJobId('r', 'a:b', 1));
  });
});

describe('parseStageJob()', () => {
  const valid = { v: protocolVersion, runId: 'r', stage: 'add', instance: 'add-2', attempt: 1, args: 'AA==' };

  test('accepts the fields of a stage job', () => {
    expect(parseStageJob(valid, 'j')).toEqual(valid);
    expect(parseStageJob({ ...valid, timed: true }, 'j')).toEqual({ ...valid, timed: true });
  });

  test.each([
    ['a module path', { ...valid, module: '/tmp/x.mjs' }, /carries a "module" field/],
    ['code', { ...valid, code: 'process.exit()' }, /carries a "code" field/],
    ['an unknown field', { ...valid, extra: 1 }, /unknown field "extra"/],
    ['another protocol version', { ...valid, v: 1 }, /protocol version is 1, this worker speaks version 2/],
    ['no stage name', { ...valid, stage: '' }, /names no stage/],
    ['attempt 0', { ...valid, attempt: 0 }, /attempt is not a whole number/],
    ['arguments not encoded', { ...valid, args: [1] }, /arguments are not encoded/],
    ['a string', 'add', /data is not an object but string/],
    ['the mark of a job its orchestrator stopped', { ...valid, stopped: true }, /orchestrator stopped it/],
    ['a "timed" that is not true', { ...valid, timed: 'yes' }, /its "timed" is not true/],
  ])('refuses a job with %s', (_label, data, message) => {
    expect(() => parseStageJob(data, 'j')).toThrow(RemoteJobRejectedError);
    expect(() => parseStageJob(data, 'j')).toThrow(message);
  });
});

test('cancel messages name a run or a job', () => {
  expect(parseCancel(cancelMessage({ runId: 'r1' }))).toEqual({ runId: 'r1' });
  expect(parseCancel(cancelMessage({ jobId: 'r1-a-1' }))).toEqual({ jobId: 'r1-a-1' });
  expect(parseCancel('something else')).toBeUndefined();
});

describe('encodeValue() and decodeValue()', () => {
  test('keep what structured clone keeps', () => {
    const value = {
      m: new Map([[1, new Set(['a'])]]),
      d: new Date(5),
      b: 10n,
      u: undefined,
      t: new Float64Array([1.5]),
    };
    expect(decodeValue(encodeValue(value))).toEqual(value);
    const cyclic: { self?: unknown } = {};
    cyclic.self = cyclic;
    const back = decodeValue(encodeValue(cyclic)) as { self: unknown };
    expect(back.self).toBe(back);
  });

  test('refuse what structured clone refuses', () => {
    expect(() => encodeValue({ f: () => 1 })).toThrow(/could not be cloned/);
  });
});

describe('encodeError() and decodeError()', () => {
  test('rebuild a tsdags error with its class, fields and cause', () => {
    const cause = new RangeError('too big');
    const error = new StageFailedError('clean', 2, cause);
    const back = decodeError(encodeError(error)) as StageFailedError;
    expect(back).toBeInstanceOf(StageFailedError);
    expect([back.name, back.code, back.stage, back.attempt, back.message]).toEqual([
      'StageFailedError',
      'STAGE_FAILED',
      'clean',
      2,
      error.message,
    ]);
    expect(back.stack).toBe(error.stack);
    expect(back.cause).toBeInstanceOf(RangeError);
    expect((back.cause as Error).message).toBe('too big');
  });

  test('keep an unknown class as an Error with its name, and a thrown non-error as it is', () => {
    class ParseError extends Error {
      override name = 'ParseError';
    }
    const back = decodeError(encodeError(new ParseError('line 3'))) as Error;
    expect(back).toBeInstanceOf(Error);
    expect([back.name, back.message]).toEqual(['ParseError', 'line 3']);
    expect(decodeError(encodeError('just a string'))).toBe('just a string');
    expect(decodeError(encodeError({ code: 7 }))).toEqual({ code: 7 });
  });

  test('drop fields that cannot be encoded rather than fail', () => {
    const error = Object.assign(new UncloneableValueError('s', 'result', 'x'), { handle: () => 1 });
    const back = decodeError(encodeError(error)) as UncloneableValueError;
    expect(back).toBeInstanceOf(UncloneableValueError);
    expect(back.message).toBe(error.message);
  });
});

describe('redisTarget()', () => {
  test('names the address without credentials', () => {
    expect(redisTarget('redis://user:secret@db.example:6380/2').address).toBe('redis://db.example:6380/2');
    expect(redisTarget('rediss://db.example').address).toBe('rediss://db.example:6379');
    expect(redisTarget({ host: '10.0.0.5', password: 'secret', tls: {}, db: 1 }).address).toBe(
      'rediss://10.0.0.5:6379/1',
    );
  });

  test('refuses what is not a Redis address', () => {
    expect(() => redisTarget('http://db.example')).toThrow(
      'Expected `redis` to be a redis:// or rediss:// URL (redis://host:6379) or ioredis options',
    );
    expect(() => redisTarget(6379 as never)).toThrow(/got 6379 \(number\)/);
  });
});
