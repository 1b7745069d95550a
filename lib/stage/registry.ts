import type { StageDefinition } from './stage.js';

/**
 * Stage definitions by module URL and name, so that a worker thread that imports a module can
 * find the functions its `stage()` calls defined. It lives on `globalThis` under a registered
 * symbol so that two copies of tsdags in one thread (sources and build) share it.
 */
interface Registry {
  modules: Map<string, Map<string, StageDefinition | 'ambiguous'>>;
  inWorker: boolean;
  onStart: (() => void) | undefined;
  capture: ((pipeline: unknown, options: unknown) => void) | undefined;
}

const key = Symbol.for('tsdags.registry');
const holder = globalThis as { [key]?: Registry };
const registry: Registry = (holder[key] ??= {
  modules: new Map(),
  inWorker: false,
  onStart: undefined,
  capture: undefined,
});

/** Records a definition; a second one with the same name in the same module makes the name ambiguous. */
export function register(definition: StageDefinition): void {
  let names = registry.modules.get(definition.module);
  if (!names) registry.modules.set(definition.module, (names = new Map()));
  const existing = names.get(definition.name);
  names.set(definition.name, existing && existing !== definition ? 'ambiguous' : definition);
}

/** Every module's stage definitions, by module URL and name: what a remote worker can run. */
export function registeredModules(): ReadonlyMap<string, ReadonlyMap<string, StageDefinition | 'ambiguous'>> {
  return registry.modules;
}

export function lookup(module: string, name: string): StageDefinition | 'ambiguous' | undefined {
  return registry.modules.get(module)?.get(name);
}

/** True inside a tsdags worker thread or remote worker, where pipelines must not start again. */
export function inWorker(): boolean {
  return registry.inWorker;
}

/** Called by a worker entry before it imports user modules. */
export function enterWorker(onStart: () => void): void {
  registry.inWorker = true;
  registry.onStart = onStart;
}

/** A pipeline's start() inside a worker: tells the worker entry that its module got that far. */
export function reachedStart(): void {
  registry.onStart?.();
}

/**
 * While a tool (the `tsdags` command) imports a pipeline module, `run()` and `start()` in it hand
 * their pipeline and options to `capture` instead of running, so a one-file script that ends with
 * `await pipeline.start()` can be run, drawn or served by the tool with its own options.
 * Returns the function that ends the capture.
 */
export function captureStarts(capture: (pipeline: unknown, options: unknown) => void): () => void {
  registry.capture = capture;
  return () => {
    if (registry.capture === capture) registry.capture = undefined;
  };
}

/** A pipeline's run() while a tool captures starts: hands it over; true when it was captured. */
export function captured(pipeline: unknown, options: unknown): boolean {
  const capture = registry.capture;
  if (!capture) return false;
  capture(pipeline, options);
  return true;
}
