import { PGraph, type DependencyList, type PGraphNode } from 'p-graph';
import type { Dag } from '../dag.js';
import type { Scheduler, Task } from './scheduler.js';

/** microsoft/p-graph, `concurrency` = cores, one shared run function. */
export const pGraph: Scheduler = {
  name: 'p-graph',
  async schedule(dag: Dag, task: Task, cores: number): Promise<void> {
    const nodes = new Map<string, PGraphNode>();
    const dependencies: DependencyList = [];
    for (let i = 0; i < dag.size; i++) {
      const id = String(i);
      nodes.set(id, {});
      for (let e = dag.parentStart[i]!; e < dag.parentStart[i + 1]!; e++) {
        dependencies.push([String(dag.parents[e]!), id]);
      }
    }
    await new PGraph(nodes, dependencies).run({ concurrency: cores, run: (id) => task(Number(id)) });
  },
};
