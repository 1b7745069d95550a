import { DuplicateStageError, Pipeline, stage, type Stage } from 'tsdags';
import { tempDir } from '../support/temp-dir.js';

// Module-level factories, as a pipeline file has them: every build below makes more stages of them.
const load = stage({ thread: 'main' }, function load(n: number) {
  return n;
});
const double = stage({ thread: 'main' }, function double(n: number) {
  return 2 * n;
});

/**
 *   load ──> double ──> double-2
 */
function build(): { pipeline: Pipeline; stages: Stage[] } {
  const first = load(1);
  const twice = double(first);
  const stages = [first, twice, double(twice)];
  return { pipeline: new Pipeline({ name: 'names' }).addStages(stages), stages };
}

const namesOf = (stages: readonly Stage[]): string[] => stages.map((s) => s.name);

describe('pipeline.graph() stage names', () => {
  test('numbers a factory’s stages per pipeline: a pipeline built again in the process has the same names', () => {
    const one = build();
    one.pipeline.graph();
    const two = build();
    two.pipeline.graph();

    expect(namesOf(one.stages)).toEqual(['load', 'double', 'double-2']);
    expect(namesOf(two.stages)).toEqual(['load', 'double', 'double-2']);
  });

  test('numbers in creation order, whatever order the stages were added in', () => {
    const a = double(1);
    const b = double(2);
    const c = double(3);
    new Pipeline().addStages([c, a, b]).graph();

    expect(namesOf([a, b, c])).toEqual(['double', 'double-2', 'double-3']);
  });

  test('a pipeline built from another one’s stages and new ones numbers them all in creation order', () => {
    const { stages } = build();
    new Pipeline().addStages(stages).graph();
    const shared = stages[2] as Stage<number>;
    const fresh = double(shared);
    new Pipeline().addStage(fresh).graph();

    expect(shared.name).toBe('double-2');
    expect(fresh.name).toBe('double-3');
    expect(namesOf(stages)).toEqual(['load', 'double', 'double-2']);
  });

  test('a pipeline numbers its stages the same way whatever other pipelines were built with them', () => {
    const first = double(1);
    const second = double(2);
    new Pipeline().addStage(second).graph();
    expect(second.name).toBe('double');
    new Pipeline().addStages([first, second]).graph();

    expect(namesOf([first, second])).toEqual(['double', 'double-2']);
  });

  test('a stage’s name holds while a run with it is not over; the next build numbers it again', async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const wait = stage({ thread: 'main' }, function wait() {
      return gate;
    });
    const a = wait();
    const b = wait();
    const run = new Pipeline().addStages([a, b]).run({ storeDir: false });
    const alone = new Pipeline().addStage(b);
    alone.graph();
    expect(b.name).toBe('wait-2');

    open();
    const result = await run.done;
    alone.graph();

    expect(b.name).toBe('wait');
    expect(Object.keys(result.stages).sort()).toEqual(['wait', 'wait-2']);
    expect(result.graph.names).toEqual(['wait', 'wait-2']);
  });

  test('an automatic name yields to the same name given with .named()', () => {
    const auto = double(1);
    const given = load(2).named('double');
    new Pipeline().addStages([auto, given]).graph();

    expect(auto.name).toBe('double-2');
    expect(given.name).toBe('double');
  });

  test('two names given alike still throw DuplicateStageError', () => {
    const a = double(1).named('same');
    const b = load(2).named('same');

    expect(() => new Pipeline().addStages([a, b]).graph()).toThrow(DuplicateStageError);
  });

  test('stage.name before any graph is the creation-order name, and a graph may number it again', () => {
    const factory = stage({ thread: 'main' }, function once() {});
    const early = factory();
    expect(early.name).toBe('once');
    factory(); // made, never added to a pipeline
    const used = factory();
    expect(used.name).toBe('once-3');
    new Pipeline().addStages([early, used]).graph();

    expect(used.name).toBe('once-2');
  });
});

describe('pipeline.run({ resume }) of a pipeline built again in the same process', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => (dir = tempDir()));
  afterEach(() => dir.remove());

  test('finds the finished stages under the same names and re-runs none of them', async () => {
    const ran: string[] = [];
    const record = stage({ thread: 'main' }, function record(label: string, fail: boolean) {
      ran.push(label);
      if (fail) throw new Error(`${label} failed`);
      return label;
    });
    const make = (fail: boolean): Pipeline => {
      const a = record('a', false);
      const b = record('b', false);
      const c = record('c', fail).after(a, b);
      return new Pipeline({ name: 'rebuilt' }).addStage(c);
    };
    const first = await make(true).run({ storeDir: dir.path, cores: 1, onError: 'continue' }).done;
    expect(first.status).toBe('failed');

    ran.length = 0;
    const second = await make(false).run({ storeDir: dir.path, cores: 1, resume: 'last' }).done;

    expect(second.status).toBe('succeeded');
    expect(ran).toEqual(['c']);
  });
});
