import { childrenOf, type Dag } from '../dag.js';
import { isPromiseLike, type Scheduler, type Task } from './scheduler.js';

/**
 * A plain first-come-first-served list scheduler: indegree counting, a FIFO queue of ready stages,
 * at most `cores` running. Tasks that return at once complete in the same loop, without a
 * promise: the floor for in-process overhead.
 */
export const greedy: Scheduler = {
  name: 'greedy (FCFS)',
  schedule(dag: Dag, task: Task, cores: number): Promise<void> {
    const n = dag.size;
    const { childStart, children } = childrenOf(dag);
    const waiting = new Int32Array(n);
    const queue = new Int32Array(n);
    let head = 0;
    let tail = 0;
    for (let i = 0; i < n; i++) {
      waiting[i] = dag.parentStart[i + 1]! - dag.parentStart[i]!;
      if (waiting[i] === 0) queue[tail++] = i;
    }
    let running = 0;
    let done = 0;
    return new Promise<void>((resolve, reject) => {
      let failed = false;
      const complete = (i: number): void => {
        done++;
        for (let e = childStart[i]!; e < childStart[i + 1]!; e++) {
          const c = children[e]!;
          if (--waiting[c]! === 0) queue[tail++] = c;
        }
      };
      const fail = (error: unknown): void => {
        failed = true;
        reject(error);
      };
      const pump = (): void => {
        if (failed) return;
        while (head < tail && running < cores) {
          const i = queue[head++]!;
          running++;
          let result: unknown;
          try {
            result = task(i);
          } catch (error) {
            fail(error);
            return;
          }
          if (isPromiseLike(result)) {
            result.then(() => {
              running--;
              complete(i);
              pump();
            }, fail);
          } else {
            running--;
            complete(i);
          }
        }
        if (done === n) resolve();
      };
      pump();
    });
  },
};
