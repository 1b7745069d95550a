import { parseCores, toRunOptions } from '../../lib/cli/run-options.js';

describe('toRunOptions()', () => {
  test('toRunOptions() maps the flags onto the options pipeline.run() takes', () => {
    expect(toRunOptions({})).toEqual({});
    expect(toRunOptions({ cores: '4', onError: 'continue', thread: 'main', json: true })).toEqual({
      cores: 4,
      onError: 'continue',
      thread: 'main',
    });
  });

  test.each(['0', '-1', 'abc', '1.5', '', '1e3', '0x10'])('parseCores() refuses "%s"', (text) => {
    expect(() => parseCores(text)).toThrow(`Expected --cores to be a whole number from 1 up, got "${text}"`);
  });

  test('toRunOptions() refuses an unknown --on-error or --thread', () => {
    expect(() => toRunOptions({ onError: 'ignore' })).toThrow(
      'Expected --on-error to be "stop" or "continue", got "ignore".',
    );
    expect(() => toRunOptions({ thread: 'gpu' })).toThrow(
      'Expected --thread to be "worker" or "main", got "gpu".',
    );
  });
});
