import { Pipeline, stage, type RunEvent, type RunOptions, type RunResult } from 'tsdags';

const task = stage({ thread: 'main' }, function task(n: number) {
  return n;
});
const broken = stage({ thread: 'main' }, function broken(message: string): number {
  throw new Error(message);
});
const sum = stage({ thread: 'main' }, function sum(...values: number[]) {
  return values.reduce((a, b) => a + b, 0);
});

/** Kept nowhere: these runs leave no `.tsdags/` behind. */
export const noStore = { storeDir: false } as RunOptions;

/**
 * The seed's six stages on the main thread; stage_4 throws `failure` when it is given.
 *
 *   stage_1   stage_2
 *      :      :     :        (: order only)
 *   stage_5 stage_3 stage_4
 *       :      |     |       (| data)
 *          stage_6
 */
export function seedPipeline(failure?: string): Pipeline {
  const s1 = task(1).named('stage_1');
  const s2 = task(2).named('stage_2');
  const s3 = task(3).named('stage_3').after(s2);
  const s4 = (failure === undefined ? task(4) : broken(failure)).named('stage_4').after(s2);
  const s5 = task(5).named('stage_5').after(s1);
  const s6 = sum(s3, s4).named('stage_6').after(s5);
  return new Pipeline({ name: 'seed' }).addStages([s1, s2, s3, s4, s5, s6]);
}

/** Runs the seed with `onError: 'continue'`: with a failure, stage_6 is skipped and the others run. */
export function runSeed(failure?: string, cores = 2): Promise<RunResult> {
  return seedPipeline(failure).run({ ...noStore, cores, onError: 'continue' }).done;
}

/** The same result seen through other events: what a run with remote workers or a cache would report. */
export function withEvents(result: RunResult, events: readonly RunEvent[]): RunResult {
  const view = {
    runId: result.runId,
    status: result.status,
    startedAt: result.startedAt,
    finishedAt: result.finishedAt,
    durationMs: result.durationMs,
    events,
    stages: result.stages,
    graph: result.graph,
  };
  return view as unknown as RunResult;
}
