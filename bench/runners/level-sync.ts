import { levelsOf, type Dag } from '../dag.js';
import type { Scheduler, Task } from './scheduler.js';

/**
 * pydags' strategy: run each topological level with Promise.all and wait for the whole level
 * before starting the next. No cap of its own: a worker pool of `cores` threads queues the rest.
 */
export const levelSync: Scheduler = {
  name: 'level-sync (pydags)',
  async schedule(dag: Dag, task: Task): Promise<void> {
    for (const level of levelsOf(dag)) await Promise.all(level.map(task));
  },
};
