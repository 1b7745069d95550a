import { defer, EMPTY, of, Subject, throwError } from 'rxjs';
import { EmptyInputError, Pipeline, Stage, StageFailedError, stage, type StageContext } from 'tsdags';

const identity = stage({ thread: 'main' }, function identity(value: number): number {
  return value;
});
const list = stage({ thread: 'main' }, function list(...values: number[]): number[] {
  return values;
});

describe('stage()', () => {
  test('names stages after the function, then name-2, name-3 in creation order', () => {
    const fresh = stage(function fresh() {});
    expect([fresh().name, fresh().name, fresh().name]).toEqual(['fresh', 'fresh-2', 'fresh-3']);
    expect(fresh.stageName).toBe('fresh');
  });

  test('uses options.name over the function name', () => {
    const factory = stage({ name: 'load_csv' }, function load() {});
    expect(factory().name).toBe('load_csv');
  });

  test('.named() names one stage explicitly', () => {
    expect(identity(1).named('one').name).toBe('one');
  });

  test('creating a stage runs nothing', () => {
    const calls: number[] = [];
    const factory = stage({ thread: 'main' }, function counted() {
      calls.push(1);
    });
    factory();
    expect(calls).toEqual([]);
  });

  test.each([
    [() => stage(42 as never), 'Expected a function in stage(), got 42 (number).'],
    [() => stage(null as never, () => 1), 'Expected stage(options, fn) with an options object, got null.'],
    [() => stage(() => 1), 'Expected a named function in stage(), got an anonymous one.'],
    [
      () => (stage as (...args: unknown[]) => unknown)(function late() {}, { thread: 'main' }),
      'Expected stage(fn) or stage(options, fn), got a function then an object (Object). ' +
        'Put the options first',
    ],
    [() => identity(1).named(''), 'Expected a non-empty string for .named(), got "" (string).'],
  ])('rejects bad definitions (%#)', (make, message) => {
    expect(make).toThrow(message);
  });

  test('.after() refuses what is not a stage, naming what it got', () => {
    const s = identity(1).named('report');
    expect(() => s.after(identity(2), 'clean' as never)).toThrow(
      new TypeError(
        'Expected stages or arrays of stages in report.after(), got "clean" (string) at argument 2. ' +
          'Pass the stage objects that stage factories return, e.g. report().after(clean(rows)).',
      ),
    );
    expect(() => s.after([identity(3), undefined as never])).toThrow(/got undefined at argument 1/);
  });

  test('.after() takes stages and arrays of stages and chains', async () => {
    const order: string[] = [];
    const mark = stage({ thread: 'main' }, function mark(label: string) {
      order.push(label);
    });
    const a = mark('a');
    const b = mark('b');
    const c = mark('c');
    const last = mark('last').after(a).after([b, c]);
    await new Pipeline().addStage(last).start({ cores: 1 });

    expect(order.at(-1)).toBe('last');
    expect(order.sort()).toEqual(['a', 'b', 'c', 'last']);
  });

  test('replaces stages inside arrays and plain objects one level deep with their results', async () => {
    const shape = stage({ thread: 'main' }, function shape(list: number[], record: { x: number; y: string }) {
      return { list, record };
    });
    const s = shape([identity(1), 2, identity(3)], { x: identity(4), y: 'plain' });
    const result = await new Pipeline().addStage(s).start();

    expect(result.output(s)).toEqual({ list: [1, 2, 3], record: { x: 4, y: 'plain' } });
  });
});

describe('Observable and Promise arguments', () => {
  const count = stage({ thread: 'main' }, function count(rows: number[], extra: number) {
    return rows.length + extra;
  });

  test("wait like an upstream stage and pass the Observable's last value", async () => {
    const source = new Subject<number[]>();
    const s = count(source, Promise.resolve(10));
    const run = new Pipeline().addStage(s).run();
    source.next([1]);
    source.next([1, 2, 3]);
    source.complete();
    const result = await run.done;

    expect(result.output(s)).toBe(13);
  });

  test("feed a stage from another run's output()", async () => {
    const first = list(5, 6);
    const upstreamRun = new Pipeline().addStage(first).run();
    const s = count(upstreamRun.output(first), 0);
    const result = await new Pipeline().addStage(s).start();

    expect(result.output(s)).toBe(2);
  });

  test('an Observable that errors fails the stage', async () => {
    const s = count(
      throwError(() => new Error('feed down')),
      0,
    ).named('fed');
    const error: unknown = await new Pipeline()
      .addStage(s)
      .start()
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(StageFailedError);
    expect((error as StageFailedError).stage).toBe('fed');
    expect((error as StageFailedError).message).toContain('feed down');
  });

  test('an Observable that completes empty is an EmptyInputError naming the argument', async () => {
    const s = count(of([1]), EMPTY as never).named('starved');
    const result = await new Pipeline().addStage(s).run().done;
    const cause = result.stages['starved']!.error!.cause;

    expect(cause).toBeInstanceOf(EmptyInputError);
    expect((cause as EmptyInputError).message).toBe(
      'Stage "starved" waited on an Observable (argument 2 of its Observable and Promise arguments) that ' +
        'completed without emitting a value. Make it emit at least once, or pass a default with defaultIfEmpty().',
    );
  });

  test('subscribes to a cold Observable argument once', async () => {
    let subscriptions = 0;
    const source = defer(() => {
      subscriptions++;
      return of([1, 2]);
    });
    const s = count(source, 0);
    await new Pipeline().addStage(s).start();

    expect(subscriptions).toBe(1);
  });
});

describe('class stages', () => {
  class Total extends Stage<number> {
    run(ctx: StageContext): number {
      const a = ctx.inputs['a'] as number;
      const b = ctx.inputs['b'] as number;
      return a + b;
    }
  }

  test('run(ctx) gets upstream results by name, the attempt, a signal and a logger', async () => {
    const seen: Partial<StageContext>[] = [];
    class Inspect extends Stage<string> {
      run(ctx: StageContext): string {
        seen.push({ name: ctx.name, attempt: ctx.attempt });
        expect(ctx.signal).toBeInstanceOf(AbortSignal);
        expect(typeof ctx.log.info).toBe('function');
        return 'ok';
      }
    }
    const a = identity(2).named('a');
    const b = identity(40).named('b');
    const total = new Total().after(a, b);
    const inspect = new Inspect().after(total);
    const result = await new Pipeline().addStage(inspect).start();

    expect(result.output(total)).toBe(42);
    expect(seen).toEqual([{ name: 'Inspect', attempt: 1 }]);
  });

  test('named by class, then Class-2, or by options.name', () => {
    class Fit extends Stage<void> {
      run(): void {}
    }
    expect([new Fit().name, new Fit().name, new Fit({ name: 'fit_svm' }).name]).toEqual([
      'Fit',
      'Fit-2',
      'fit_svm',
    ]);
  });

  test('run on the main thread by default', async () => {
    class WhereAmI extends Stage<number> {
      async run(): Promise<number> {
        return (await import('node:worker_threads')).threadId;
      }
    }
    const s = new WhereAmI();
    const result = await new Pipeline().addStage(s).start();
    expect(result.output(s)).toBe(0);
  });
});
