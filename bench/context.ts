/** What every suite is given: the flags, the core count, and where to report progress. */
export interface BenchContext {
  /** `--quick`: fewer sizes and runs, for fast iterations. */
  readonly quick: boolean;
  /** Worker threads and p-graph concurrency: os.availableParallelism(). */
  readonly cores: number;
  /** Whether `--only` lets this suite's item run (see `matches`). */
  selected(suite: string, item: string): boolean;
  /** A fresh temporary directory for tsdags' run store, removed when the benchmark ends. */
  readonly storeDir: string;
  /** A progress line on stderr (the tables go to stdout). */
  progress(line: string): void;
}

/**
 * Whether `--only <only>` selects an item: it names the suite, a workload of the item exactly
 * (`fan:10000`), a shape (`fan` selects fan:10000 and fan:100000), or part of a name without a
 * size (`montage`). `chain:10000` does not select chain:100000.
 */
export function matches(only: string | undefined, suite: string, item: string): boolean {
  if (only === undefined || only === suite) return true;
  return item
    .split(' ')
    .some(
      (word) => word === only || word.startsWith(`${only}:`) || (!only.includes(':') && word.includes(only)),
    );
}
