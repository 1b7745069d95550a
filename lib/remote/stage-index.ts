/**
 * The stages a remote worker may run: those that importing its pipeline module defined (with
 * `stage()`, in that module or the modules it imports), by name. Nothing else is ever run.
 */
import { registeredModules } from '../stage/registry.js';
import type { StageDefinition } from '../stage/stage.js';
import { looksLikeModulePath } from './protocol.js';
import { RemoteJobRejectedError } from './remote-errors.js';

export class StageIndex {
  readonly #byName = new Map<string, StageDefinition[]>();
  readonly #module: string;

  /** A snapshot of the function stages registered so far, after importing `module`. */
  constructor(module: string) {
    this.#module = module;
    const modules = registeredModules();
    for (const names of modules.values()) {
      for (const definition of names.values()) {
        if (definition === 'ambiguous' || definition.kind !== 'function' || !definition.fn) continue;
        const list = this.#byName.get(definition.name);
        if (list) list.push(definition);
        else this.#byName.set(definition.name, [definition]);
      }
    }
    // Names defined twice in one module are recorded as 'ambiguous' by the registry.
    for (const [module, names] of modules) {
      for (const [name, definition] of names) {
        if (definition === 'ambiguous')
          this.#byName.set(name, [...(this.#byName.get(name) ?? []), ambiguous(name, module)]);
      }
    }
  }

  /** The stage names this worker runs, sorted. */
  get names(): string[] {
    return [...this.#byName.keys()].sort();
  }

  /** The stage named `name`, or a RemoteJobRejectedError that says why it cannot run here. */
  find(name: string, jobId: string | undefined): StageDefinition {
    const found = this.#byName.get(name);
    if (found?.length === 1 && found[0]!.fn) return found[0]!;
    if (found) {
      throw new RemoteJobRejectedError(
        jobId,
        `more than one stage is named "${name}" (in ${[...new Set(found.map((d) => d.module))].join(', ')}). ` +
          `Give each a unique name with stage({ name })`,
      );
    }
    const known = this.names;
    throw new RemoteJobRejectedError(
      jobId,
      `its stage "${name}" is not defined by ${this.#module}` +
        `${looksLikeModulePath(name) ? ' (it looks like a module path: jobs name stages, never modules)' : ''}. ` +
        `This worker runs ${known.length === 0 ? 'no stages' : `only ${known.map((n) => `"${n}"`).join(', ')}`}; ` +
        `start it with the pipeline file that defines the stage`,
    );
  }
}

function ambiguous(name: string, module: string): StageDefinition {
  return { name, module, location: module, kind: 'function', options: {}, fn: undefined, instances: 0 };
}
