import { CycleError, DuplicateStageError, Pipeline, stage, type Stage } from 'tsdags';

const task = stage({ thread: 'main' }, function task(label: string) {
  return label;
});
const join = stage({ thread: 'main' }, function join(...parts: string[]) {
  return parts.join('');
});

describe('pipeline.graph()', () => {
  /**
   *  a ──> b ──> d
   *   \         ^
   *    └─> c ···┘   (c -> d is .after(): order only)
   */
  test('builds parents, children and a topological order in CSR arrays', () => {
    const a = task('a').named('a');
    const b = join(a).named('b');
    const c = join(a).named('c');
    const d = join(b).named('d').after(c);
    const graph = new Pipeline().addStage(d).graph();
    const name = (i: number) => graph.stages[i]!.name;
    const parentsOf = (s: Stage) => {
      const i = graph.indexOf(s);
      return Array.from(graph.parents.subarray(graph.parentStart[i], graph.parentStart[i + 1]), name).sort();
    };
    const childrenOf = (s: Stage) => {
      const i = graph.indexOf(s);
      return Array.from(graph.children.subarray(graph.childStart[i], graph.childStart[i + 1]), name).sort();
    };

    expect(graph.stages).toHaveLength(4);
    expect(parentsOf(d)).toEqual(['b', 'c']);
    expect(childrenOf(a)).toEqual(['b', 'c']);
    const dStart = graph.parentStart[graph.indexOf(d)]!;
    const kinds = Object.fromEntries(
      [0, 1].map((k) => [name(graph.parents[dStart + k]!), graph.parentIsData[dStart + k]]),
    );
    expect(kinds).toEqual({ b: 1, c: 0 });
    const position = new Map(Array.from(graph.order, (s, k) => [s, k]));
    for (let i = 0; i < graph.stages.length; i++) {
      for (let e = graph.parentStart[i]!; e < graph.parentStart[i + 1]!; e++) {
        expect(position.get(graph.parents[e]!)!).toBeLessThan(position.get(i)!);
      }
    }
    expect(graph.indexOf(task('elsewhere'))).toBe(-1);
  });

  test('counts a stage both passed as an argument and given to .after() once, as data', () => {
    const a = task('a');
    const b = join(a).after(a);
    const graph = new Pipeline().addStage(b).graph();

    expect(graph.parents).toHaveLength(1);
    expect(graph.parentIsData[0]).toBe(1);
  });

  /** a -> b -> c -> a */
  test('throws CycleError with the path of the cycle', () => {
    const a = task('a').named('a');
    const b = join(a).named('b');
    const c = join(b).named('c');
    a.after(c);
    let error: unknown;
    try {
      new Pipeline().addStage(c).graph();
    } catch (e) {
      error = e;
    }

    expect(error).toBeInstanceOf(CycleError);
    const cycle = (error as CycleError).cycle;
    expect(cycle).toHaveLength(4);
    expect(cycle[0]).toBe(cycle[3]);
    // The same cycle, from whichever stage it was found at.
    const rotation = cycle.slice(0, 3);
    const start = rotation.indexOf('a');
    expect([...rotation.slice(start), ...rotation.slice(0, start)]).toEqual(['a', 'b', 'c']);
    expect((error as CycleError).message).toContain(cycle.join(' -> '));
    expect((error as CycleError).code).toBe('CYCLE');
  });

  test('throws CycleError for a stage after itself', () => {
    const a = task('a').named('self');
    a.after(a);

    expect(() => new Pipeline().addStage(a).graph()).toThrow('The pipeline has a cycle: self -> self.');
  });

  test('run() throws the CycleError before any stage runs', () => {
    const ran: string[] = [];
    const mark = stage({ thread: 'main' }, function mark() {
      ran.push('x');
    });
    const a = mark().named('loop_a');
    const b = mark().named('loop_b').after(a);
    a.after(b);
    const root = mark().named('root');

    expect(() => new Pipeline().addStages([root, b]).run()).toThrow(CycleError);
    expect(ran).toEqual([]);
  });

  test('throws DuplicateStageError naming both definitions', () => {
    const one = task('1').named('load');
    const two = join().named('load');
    let error: unknown;
    try {
      new Pipeline().addStages([one, two]).graph();
    } catch (e) {
      error = e;
    }

    expect(error).toBeInstanceOf(DuplicateStageError);
    const duplicate = error as DuplicateStageError;
    expect(duplicate.stage).toBe('load');
    expect(duplicate.code).toBe('DUPLICATE_STAGE');
    expect(duplicate.definitions).toHaveLength(2);
    for (const where of duplicate.definitions) expect(where).toContain('graph.spec.ts');
    expect(duplicate.message).toContain("rename one with .named('other')");
  });

  test('builds a 100,000-stage chain without recursion', () => {
    let last = task('0');
    for (let i = 1; i < 100_000; i++) last = join(last);
    const graph = new Pipeline().addStage(last).graph();

    expect(graph.stages).toHaveLength(100_000);
    expect(graph.order[0]).toBe(graph.stages.length - 1);
  });
});
