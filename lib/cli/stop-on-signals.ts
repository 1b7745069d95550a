import { stopSignals, type StopSignal } from './exit-code.js';

/** What `stopOnSignals` returns: how to stop listening, and which signal came first. */
export interface SignalWatch {
  off(): void;
  signal(): StopSignal | undefined;
}

/**
 * SIGINT (Ctrl-C) and SIGTERM cancel the run: no stage starts, stages in flight are stopped, the
 * run ends "cancelled" and its record is written out (the store flushes at run:done); the command
 * then exits 130 or 143. A second signal does not wait for that: the process exits at once, with
 * the code of that second signal.
 */
export function stopOnSignals(
  run: { cancel(reason?: unknown): void },
  note: (message: string) => void,
  exit: (code: number) => void = (code) => process.exit(code),
): SignalWatch {
  let first: StopSignal | undefined;
  const handlers = (Object.keys(stopSignals) as StopSignal[]).map((signal) => {
    const handler = (): void => {
      if (first !== undefined) {
        exit(stopSignals[signal]);
        return;
      }
      first = signal;
      const again = signal === 'SIGINT' ? 'press Ctrl-C again' : 'send SIGTERM again';
      note(`Stopping the run (${again} to quit at once)…`);
      run.cancel(signal === 'SIGINT' ? 'interrupted (SIGINT)' : 'terminated (SIGTERM)');
    };
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  return {
    off: () => {
      for (const [signal, handler] of handlers) process.off(signal, handler);
    },
    signal: () => first,
  };
}
