import * as tsdags from 'tsdags';

// The public surface: a name added or removed here is a decision, not an accident.
test('the package exports exactly these names', () => {
  expect(Object.keys(tsdags).sort()).toEqual([
    'CancelledError',
    'CycleError',
    'DuplicateStageError',
    'EmptyInputError',
    'FileKeyValueStore',
    'FileRunStore',
    'InternalError',
    'InvalidStoreKeyError',
    'Pipeline',
    'RedisKeyValueStore',
    'RedisRunStore',
    'RedisUnavailableError',
    'RemoteJobRejectedError',
    'RemoteStageLostError',
    'Run',
    'RunFailedError',
    'RunNotFoundError',
    'RunResult',
    'Stage',
    'StageFailedError',
    'StageNotFoundError',
    'StageSkippedError',
    'StoreCorruptError',
    'TimeoutError',
    'TsdagsError',
    'UncloneableValueError',
    'pipelineSvg',
    'runSvg',
    'stage',
    'startWorker',
    'timelineSvg',
    'writeSvg',
  ]);
});

test('every error has a stable code', () => {
  expect(new tsdags.CycleError(['a', 'a']).code).toBe('CYCLE');
  expect(new tsdags.DuplicateStageError('a', ['x', 'y']).code).toBe('DUPLICATE_STAGE');
  expect(new tsdags.StageFailedError('a', 1, new Error('e')).code).toBe('STAGE_FAILED');
  expect(new tsdags.CancelledError().code).toBe('CANCELLED');
  expect(new tsdags.RunFailedError([]).code).toBe('RUN_FAILED');
  expect(new tsdags.TimeoutError('a', 5, 'worker').code).toBe('TIMEOUT');
  expect(new tsdags.StoreCorruptError('f', 'is bad').code).toBe('STORE_CORRUPT');
  expect(new tsdags.RunNotFoundError('last', '.tsdags').code).toBe('RUN_NOT_FOUND');
});
