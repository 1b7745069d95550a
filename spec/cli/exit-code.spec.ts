import { CommanderError } from 'commander';
import { CancelledError, CycleError, RunFailedError, StageFailedError, TsdagsError } from 'tsdags';
import { exitCodeFor } from '../../lib/cli/exit-code.js';

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
});
