import { stopOnSignals } from '../../lib/cli/stop-on-signals.js';

function watch() {
  const cancels: unknown[] = [];
  const notes: string[] = [];
  const exits: number[] = [];
  const watcher = stopOnSignals(
    { cancel: (reason) => cancels.push(reason) },
    (message) => notes.push(message),
    (code) => exits.push(code),
  );
  return { watcher, cancels, notes, exits };
}

describe('stopOnSignals()', () => {
  test('stopOnSignals(): the first SIGTERM cancels the run, the second exits at once with 143', () => {
    const { watcher, cancels, notes, exits } = watch();
    try {
      process.emit('SIGTERM', 'SIGTERM');
      expect(cancels).toEqual(['terminated (SIGTERM)']);
      expect(notes).toEqual(['Stopping the run (send SIGTERM again to quit at once)…']);
      expect(exits).toEqual([]);
      expect(watcher.signal()).toBe('SIGTERM');

      process.emit('SIGTERM', 'SIGTERM');
      expect(exits).toEqual([143]);
      expect(cancels).toHaveLength(1);
    } finally {
      watcher.off();
    }
  });

  test('stopOnSignals(): Ctrl-C then SIGTERM exits with the code of the second signal', () => {
    const { watcher, cancels, exits } = watch();
    try {
      process.emit('SIGINT', 'SIGINT');
      expect(cancels).toEqual(['interrupted (SIGINT)']);
      process.emit('SIGTERM', 'SIGTERM');
      expect(exits).toEqual([143]);
      expect(watcher.signal()).toBe('SIGINT');
    } finally {
      watcher.off();
    }
  });

  test('stopOnSignals().off() stops listening', () => {
    const before = [process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')];
    const { watcher } = watch();
    expect([process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')]).toEqual(
      before.map((n) => n + 1),
    );
    watcher.off();
    expect([process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')]).toEqual(before);
  });
});
