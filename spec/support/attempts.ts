import type { Stage } from 'tsdags';
import type { Attempt } from '../../lib/executors/executor.js';
import { defaultRetryPolicy } from '../../lib/run/retry.js';
import { deferred } from './schedule.js';

/** An attempt as the engine hands it to an executor; `started` resolves when the executor says it began. */
export function attemptOf(
  s: Stage,
  signal = new AbortController().signal,
): Attempt & { started: Promise<number> } {
  const started = deferred<number>();
  return {
    stage: s,
    name: s.name,
    args: [...s.args],
    attempt: 1,
    signal,
    context: () => {
      throw new Error('function stages have no context');
    },
    begin: (threadId) => started.resolve(threadId),
    retry: defaultRetryPolicy,
    retried: () => {
      throw new Error('this executor does not retry');
    },
    started: started.promise,
  };
}
