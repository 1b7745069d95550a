import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dagFromLists, workAndCriticalPath, type Dag } from './dag.js';

/** Where the real workflow DAGs live (see its README for the format and the bounds). */
export const wfcommonsFolder = fileURLToPath(new URL('../../shared/workloads/wfcommons/', import.meta.url));

interface WfTask {
  readonly id: string;
  readonly runtime: number;
  readonly parents: readonly string[];
}

interface WfFile {
  readonly name: string;
  readonly tasks: readonly WfTask[];
}

/** A real workflow, its runtimes scaled to milliseconds of spin. */
export interface Workflow {
  readonly dag: Dag;
  /** Milliseconds of spin per second of the original trace. */
  readonly scale: number;
  /** Its original total work, in seconds. */
  readonly originalWork: number;
}

/** The instance names, smallest first (file order of tasks is topological, as the README says). */
export function workflowNames(): string[] {
  const names = readdirSync(wfcommonsFolder)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length));
  const sizes = new Map(names.map((n) => [n, readWorkflow(n).tasks.length]));
  return names.sort((a, b) => sizes.get(a)! - sizes.get(b)! || a.localeCompare(b));
}

function readWorkflow(name: string): WfFile {
  return JSON.parse(readFileSync(`${wfcommonsFolder}${name}.json`, 'utf8')) as WfFile;
}

/**
 * Loads a workflow with every runtime scaled by one factor, chosen so that its makespan lower
 * bound on `cores` cores, max(CP, W / cores), is `targetMs`: every bound scales with it.
 */
export function loadWorkflow(name: string, cores: number, targetMs: number): Workflow {
  const file = readWorkflow(name);
  const index = new Map<string, number>();
  const lists: number[][] = [];
  const seconds = new Float64Array(file.tasks.length);
  file.tasks.forEach((task, i) => {
    if (index.has(task.id)) throw new Error(`Expected unique task ids in ${name}, got "${task.id}" twice`);
    index.set(task.id, i);
    seconds[i] = task.runtime;
    lists.push(
      task.parents.map((p) => {
        const k = index.get(p);
        if (k === undefined)
          throw new Error(`Expected the parent "${p}" of "${task.id}" before it in ${name}`);
        return k;
      }),
    );
  });
  const original = dagFromLists(name, lists, seconds);
  const { work, criticalPath } = workAndCriticalPath(original);
  const scale = targetMs / Math.max(criticalPath, work / cores);
  const ms = seconds.map((s) => s * scale);
  return { dag: { ...original, work: ms }, scale, originalWork: work };
}
