import {
  Pipeline,
  StageFailedError,
  StageNotFoundError,
  UncloneableValueError,
  type RunResult,
} from 'tsdags';
import { add, bytes, crashes, echo, exits, makeHidden, returnsFunction } from '../fixtures/stages.mjs';

async function runAlone(...stages: Parameters<Pipeline['addStages']>[0]): Promise<RunResult> {
  return new Pipeline().addStages(stages).run({ cores: 2, onError: 'continue' }).done;
}

function causeOf(result: RunResult, name: string): unknown {
  const error = result.stages[name]!.error;
  expect(error).toBeInstanceOf(StageFailedError);
  return error!.cause;
}

describe('the worker-thread executor', () => {
  test('fails a stage that calls process.exit() and keeps serving others', async () => {
    const exit = exits().named('exit');
    const next = add(1, 2).after(exit).named('after_exit');
    const beside = add(3, 4).named('beside');
    const result = await runAlone(exit, next, beside);

    expect(result.stages['exit']!.status).toBe('failed');
    expect((causeOf(result, 'exit') as Error).message).toContain('process.exit(3) was called by a stage');
    expect(result.stages['after_exit']!.status).toBe('skipped');
    expect(result.output(beside)).toBe(7);
  });

  test('fails a stage whose worker dies of an uncaught error, and replaces the worker', async () => {
    const crash = crashes().named('crash');
    const later = add(5, 5).after(crash).named('later');
    const afterCrash = add(1, 1).named('independent');
    const result = await new Pipeline()
      .addStages([crash, afterCrash, later])
      .run({ cores: 1, onError: 'continue' }).done;

    expect(result.stages['crash']!.status).toBe('failed');
    expect((causeOf(result, 'crash') as Error).message).toContain('uncaught in a callback');
    expect(result.output(afterCrash)).toBe(2);
  });

  test('fails a stage whose result cannot be cloned, naming the stage and the value', async () => {
    const result = await runAlone(returnsFunction().named('gives_function'));
    const cause = causeOf(result, 'gives_function');

    expect(cause).toBeInstanceOf(UncloneableValueError);
    expect((cause as UncloneableValueError).stage).toBe('gives_function');
    expect((cause as Error).message).toMatch(/Stage "gives_function" has a result that cannot be passed/);
    expect((cause as Error).message).toContain("{ thread: 'main' }");
  });

  test('fails a stage whose argument cannot be cloned, and runs nothing for it', async () => {
    const result = await runAlone(echo({ handler: () => 1 }).named('takes_function'));
    const cause = causeOf(result, 'takes_function');

    expect(cause).toBeInstanceOf(UncloneableValueError);
    expect((cause as Error).message).toMatch(/Stage "takes_function" has an argument that cannot be passed/);
  });

  test('fails a stage it cannot find in its module, saying how to fix it', async () => {
    const hidden = makeHidden()();
    const result = await runAlone(hidden);
    const cause = causeOf(result, 'hidden');

    expect(cause).toBeInstanceOf(StageNotFoundError);
    expect((cause as StageNotFoundError).module).toMatch(/fixtures\/stages\.mjs$/);
    expect((cause as Error).message).toContain('defines no stage() named "hidden"');
    expect((cause as Error).message).toContain("{ thread: 'main' }");
  });

  test('moves typed arrays back from the worker', async () => {
    const s = bytes(1024);
    const result = await runAlone(s);

    expect(result.output(s)).toBeInstanceOf(Uint8Array);
    expect((result.output(s) as Uint8Array).every((b) => b === 7)).toBe(true);
  });

  test('runs a module once per thread, and importing it there does not start its pipeline', async () => {
    // seed-stages.mjs defines stages only; fixtures/self-starting.mjs starts a pipeline at top level.
    const { makeCounter, counted } = await import('../fixtures/self-starting.mjs');
    const result = await new Pipeline().addStages([counted(1), counted(2)]).start({ cores: 1 });

    // Inside the worker the module's own start() was inert: each stage ran exactly once.
    expect(makeCounter).toBeDefined();
    expect(Object.values(result.stages).every((s) => s.attempts === 1)).toBe(true);
    expect(result.events.filter((e) => e.type === 'stage:start')).toHaveLength(2);
  });
});
