import { describeValue } from '../errors.js';
import { callerOutsideLibrary } from './call-site.js';
import { checkStageOptions } from './check-options.js';
import { scanInputs, type StageRef } from './inputs.js';

/** Where a stage runs: a tinypool worker thread, or the main thread (I/O-bound or closure-holding stages). */
export type Thread = 'worker' | 'main';

/** Options of a stage factory, a stage class or one stage. */
export interface StageOptions {
  /** The stage's name; defaults to the function's or class's name. */
  name?: string;
  /** Where it runs; function stages default to `'worker'`, class stages to `'main'`. */
  thread?: Thread;
  /** Higher runs first among ready stages; default 0. */
  priority?: number;
  /** The module that defines the stage, when the call site cannot tell (bundled code): `import.meta.url`. */
  module?: string;
  /** Attempts after a failed first one; default 0. */
  retries?: number;
  /** The first back-off before a retry, in ms, doubled on each retry (with jitter); default 1000. */
  retryDelay?: number;
  /** The longest back-off, in ms; default 30,000. */
  maxRetryDelay?: number;
  /** Fails an attempt that runs longer than this, in ms; a worker stage's thread is terminated. */
  timeout?: number;
  /** Reuse the stored result when the stage, its arguments and its upstream results are unchanged. */
  cache?: boolean;
  /** Limits of a worker stage's thread (tinypool/worker_threads `resourceLimits`); it runs in a thread of its own. */
  resourceLimits?: ResourceLimits;
}

/** Memory limits of a worker thread, as `worker_threads` takes them. */
export interface ResourceLimits {
  maxOldGenerationSizeMb?: number;
  maxYoungGenerationSizeMb?: number;
  codeRangeSizeMb?: number;
  stackSizeMb?: number;
}

/** What a stage sees while it runs. */
export interface StageContext {
  /** The stage's name in its pipeline. */
  readonly name: string;
  /** The results of its upstream stages (data and order dependencies), by stage name. */
  readonly inputs: Readonly<Record<string, unknown>>;
  /** Aborted when the run is cancelled. */
  readonly signal: AbortSignal;
  /** The attempt number, from 1. */
  readonly attempt: number;
  /** A logger whose lines carry the stage name. */
  readonly log: StageLogger;
  /** A key-value store shared by the stages of every run (pydags' RedisStage and DiskCacheStage). */
  readonly store: KeyValueStore;
}

/** A key-value store: values are anything structured clone can copy. */
export interface KeyValueStore {
  get<T = unknown>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown): Promise<void>;
  /** Resolves true when the key existed. */
  delete(key: string): Promise<boolean>;
}

export interface StageLogger {
  info(...values: unknown[]): void;
  warn(...values: unknown[]): void;
  error(...values: unknown[]): void;
}

/** @internal What a stage factory or stage class was defined as; shared by its stages. */
export interface StageDefinition {
  readonly name: string;
  readonly module: string;
  readonly location: string;
  readonly kind: 'function' | 'class';
  readonly options: StageOptions;
  readonly fn: ((...args: unknown[]) => unknown) | undefined;
  instances: number;
}

const classDefinitions = new WeakMap<Function, Map<string, StageDefinition>>();

/** @internal Passed by `stage()` factories in place of options: a function stage's definition and arguments. */
export const functionStageInit: unique symbol = Symbol('tsdags.functionStage');
/** @internal */
export interface FunctionStageInit {
  readonly [functionStageInit]: true;
  readonly definition: StageDefinition;
  readonly args: unknown[];
}

/**
 * A node of a pipeline. Function stages come from `stage(fn)` factories; class stages extend this
 * class and implement `run(ctx)`.
 *
 * @example
 * class Train extends Stage<Model> {
 *   async run(ctx: StageContext) {
 *     return fit(ctx.inputs.preprocess as Row[]);
 *   }
 * }
 * const train = new Train().after(preprocess);
 */
export abstract class Stage<Out = unknown> {
  /** Phantom: carries the result type so that `Stage<string>` is not a `Stage<Row[]>`. */
  declare readonly __out?: Out;

  /** @internal What the stage was defined as, shared by the stages of one factory or class. */
  readonly definition: StageDefinition;
  /** @internal This stage's options: the definition's, with the instance's on top. */
  readonly options: StageOptions;
  /** @internal The raw arguments of a function stage. */
  readonly args: readonly unknown[];
  /** @internal Inputs passed as arguments (stages, Observables, Promises), in argument order. */
  readonly refs: readonly StageRef[];
  /** @internal Order-only dependencies from `.after()`. */
  readonly orderDeps: Stage[] = [];
  // Computed when read: each graph built with the stage numbers it again (numberStages).
  #name: string | undefined;
  // Its place among its definition's stages, in creation order.
  readonly #created: number;
  // The number in its name: #created until a graph numbers it.
  #number: number;
  #explicit = false;
  // Runs in progress with this stage: its name holds still while they last.
  #running = 0;

  constructor(options?: StageOptions) {
    if (isFunctionStageInit(options)) {
      this.definition = options.definition;
      this.options = options.definition.options;
      this.args = options.args;
      this.refs = scanInputs(options.args);
    } else {
      if (options) checkStageOptions(options, `new ${new.target.name}()`);
      this.definition = classDefinition(new.target, options?.name);
      this.options = options ? { ...this.definition.options, ...options } : this.definition.options;
      this.args = noArgs;
      this.refs = noArgs as StageRef[];
    }
    this.#created = this.#number = ++this.definition.instances;
  }

  /**
   * The stage's name: unique in its pipeline. A name not given with `.named()` is the definition's,
   * numbered among the pipeline's stages of that definition in creation order (`clean`,
   * `clean-2`, ...) each time a pipeline builds its graph, so it depends on the pipeline only.
   * Before any build it counts every stage of the definition made so far.
   */
  get name(): string {
    return (this.#name ??= numbered(this.definition.name, this.#number));
  }

  /**
   * @internal Its place among its definition's stages in creation order, for a graph to number it
   * (numberStages); 0 when its name holds: given with `.named()`, or in a run that is not over.
   */
  get creationOrder(): number {
    return this.#explicit || this.#running > 0 ? 0 : this.#created;
  }

  /** @internal Its definition's n-th stage in the graph being built. */
  numberAs(n: number): void {
    if (n === this.#number) return;
    this.#number = n;
    this.#name = undefined;
  }

  /** @internal A run with this stage started (+1) or ended (-1): its name holds still meanwhile. */
  hold(delta: 1 | -1): void {
    this.#running += delta;
  }

  /** @internal True when the name was given with `.named()`. */
  get explicitName(): boolean {
    return this.#explicit;
  }

  /** Names this stage explicitly. */
  named(name: string): this {
    if (typeof name !== 'string' || name.length === 0) {
      throw new TypeError(`Expected a non-empty string for .named(), got ${describeValue(name)}.`);
    }
    this.#name = name;
    this.#explicit = true;
    return this;
  }

  /**
   * Adds order-only dependencies: this stage starts after all of them finished. Returns the stage,
   * so calls chain: `stage6().after(s3).after(s4, s5)`.
   */
  after(...stages: (Stage | readonly Stage[])[]): this {
    stages.forEach((item, position) => {
      const list = Array.isArray(item) ? item : [item];
      for (const dependency of list) {
        if (!(dependency instanceof Stage)) {
          throw new TypeError(
            `Expected stages or arrays of stages in ${this.#explicit ? this.name : this.definition.name}.after(), ` +
              `got ${describeValue(dependency)} ` +
              `at argument ${position + 1}. Pass the stage objects that stage factories return, e.g. ` +
              `report().after(clean(rows)).`,
          );
        }
        this.orderDeps.push(dependency);
      }
    });
    return this;
  }

  /** The stage's work. Function stages run their function instead. */
  abstract run(ctx: StageContext): Out | Promise<Out>;
}

const noArgs: readonly unknown[] = Object.freeze([]);

function isFunctionStageInit(options: unknown): options is FunctionStageInit {
  return typeof options === 'object' && options !== null && functionStageInit in options;
}

// One definition per class and name, made at the first `new`; its location is that call site.
function classDefinition(ctor: Function, name: string | undefined): StageDefinition {
  const stageName = name ?? ctor.name;
  let byName = classDefinitions.get(ctor);
  if (!byName) classDefinitions.set(ctor, (byName = new Map()));
  const existing = byName.get(stageName);
  if (existing) return existing;
  const site = callerOutsideLibrary();
  const definition: StageDefinition = {
    name: stageName,
    module: site.module,
    location: site.location,
    kind: 'class',
    options: { thread: 'main' },
    fn: undefined,
    instances: 0,
  };
  byName.set(stageName, definition);
  return definition;
}

/** @internal A definition's n-th stage's name: its own for the first, then name-2, name-3... */
export function numbered(name: string, n: number): string {
  return n === 1 ? name : `${name}-${n}`;
}
