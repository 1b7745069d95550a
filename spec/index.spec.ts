import * as tsdags from 'tsdags';

// The public surface: a name added or removed here is a decision, not an accident.
test('the package exports exactly these names', () => {
  expect(Object.keys(tsdags).sort()).toEqual([
    'CancelledError',
    'CycleError',
    'DuplicateStageError',
    'EmptyInputError',
    'InternalError',
    'Pipeline',
    'Run',
    'RunFailedError',
    'RunResult',
    'Stage',
    'StageFailedError',
    'StageNotFoundError',
    'StageSkippedError',
    'TsdagsError',
    'UncloneableValueError',
    'stage',
  ]);
});

test('every error has a stable code', () => {
  expect(new tsdags.CycleError(['a', 'a']).code).toBe('CYCLE');
  expect(new tsdags.DuplicateStageError('a', ['x', 'y']).code).toBe('DUPLICATE_STAGE');
  expect(new tsdags.StageFailedError('a', 1, new Error('e')).code).toBe('STAGE_FAILED');
  expect(new tsdags.CancelledError().code).toBe('CANCELLED');
  expect(new tsdags.RunFailedError([]).code).toBe('RUN_FAILED');
});
