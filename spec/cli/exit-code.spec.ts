import { CommanderError } from 'commander';
import { CancelledError, CycleError, RunFailedError, StageFailedError, TsdagsError } from 'tsdags';
import { exitCodeFor, InterruptedError } from '../../lib/cli/exit-code.js';
import { RedisUnavailableError } from '../../lib/remote/remote-errors.js';

describe('exitCodeFor()', () => {
  test('exitCodeFor() gives 1 for failed stages, 130 for a cancelled run, 2 for bad usage', () => {
    const failed = new StageFailedError('a', 1, new Error('x'));
    expect(exitCodeFor(failed)).toBe(1);
    expect(exitCodeFor(new RunFailedError([failed, failed]))).toBe(1);
    expect(exitCodeFor(new CancelledError('interrupted'))).toBe(130);
    expect(exitCodeFor(new CycleError(['a', 'b', 'a']))).toBe(2);
    expect(exitCodeFor(new TsdagsError('NO_PIPELINE', 'no pipeline'))).toBe(2);
    expect(exitCodeFor(new CommanderError(1, 'commander.unknownOption', 'unknown option'))).toBe(2);
    expect(exitCodeFor(new CommanderError(0, 'commander.helpDisplayed', '(outputHelp)'))).toBe(0);
    expect(exitCodeFor(new Error('unexpected'))).toBe(1);
  });

  test('exitCodeFor() gives 128 + the signal number for a run stopped by a signal', () => {
    expect(exitCodeFor(new InterruptedError('SIGINT'))).toBe(130);
    expect(exitCodeFor(new InterruptedError('SIGTERM'))).toBe(143);
    expect(new InterruptedError('SIGTERM').message).toBe('The run was cancelled: terminated (SIGTERM)');
  });

  test('exitCodeFor() gives 2 for a Redis that refuses the credentials, as a bad --redis, and 1 for a stage that failed on it', () => {
    const refused = new RedisUnavailableError('redis://h:6379', 0, new Error('WRONGPASS invalid password'));
    expect(exitCodeFor(refused)).toBe(2);
    expect(exitCodeFor(new StageFailedError('a', 1, refused))).toBe(1);
  });
});
