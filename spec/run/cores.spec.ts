import { stage } from 'tsdags';
import type { Executor } from '../../lib/executors/executor.js';
import { buildGraph } from '../../lib/graph/graph.js';
import { Cores } from '../../lib/run/cores.js';

// Four independent stages: 0 and 1 run on the main thread, 2 and 3 on worker threads.
const onMain = stage({ thread: 'main' }, function onMain() {});
const onWorker = stage({ thread: 'worker' }, function onWorker() {});
const graph = buildGraph([onMain(), onMain(), onWorker(), onWorker()]);
const [main0, main1, worker0, worker1] = [0, 1, 2, 3] as const;

function executor(extra: Partial<Executor> = {}): Executor {
  return { run: () => undefined, cancel: async () => {}, close: async () => {}, ...extra };
}

describe('Cores', () => {
  test('mayDispatch() lets any stage go below `cores`, and none at `cores` without an executor that queues', () => {
    const cores = new Cores(graph, 2, { main: executor(), worker: executor() });
    expect(cores.slots).toBe(4);
    expect(cores.mayDispatch(main0)).toBe(true);
    cores.dispatched(main0);
    cores.dispatched(worker0);
    expect(cores.inFlight).toBe(2);
    expect(cores.mayDispatch(main1)).toBe(false);
    expect(cores.mayDispatch(worker1)).toBe(false);
    cores.over(main0);
    expect(cores.mayDispatch(main1)).toBe(true);
  });

  test('an executor that queues ahead takes up to queueAhead more, only while every attempt in flight is its own', () => {
    const asked: string[] = [];
    const worker = executor({
      queueAhead: 1,
      canQueue: (s) => {
        asked.push(s.name);
        return true;
      },
    });
    const cores = new Cores(graph, 1, { main: executor(), worker }, 'worker');
    expect(cores.slots).toBe(3);
    cores.dispatched(worker0);
    expect(cores.mayDispatch(main0)).toBe(false); // the main executor does not queue
    expect(cores.mayDispatch(worker1)).toBe(true);
    expect(asked).toEqual([graph.stages[worker1]!.name]);
    cores.dispatched(worker1);
    expect(cores.mayDispatch(worker0)).toBe(false); // queueAhead used up
    cores.over(worker0);
    cores.over(worker1);
    cores.dispatched(main0);
    expect(cores.mayDispatch(worker1)).toBe(false); // a main-thread stage holds the core
  });

  test('an attempt waiting out its back-off holds no core, within `slots` in all', () => {
    const cores = new Cores(graph, 1, { main: executor(), worker: executor() });
    expect(cores.slots).toBe(2);
    cores.dispatched(worker0);
    expect(cores.mayDispatch(worker1)).toBe(false);
    cores.backingOff();
    expect(cores.mayDispatch(worker1)).toBe(true);
    cores.dispatched(worker1);
    cores.backingOff();
    expect(cores.mayDispatch(main0)).toBe(false); // slots full, though no core is held
    cores.backOffOver();
    cores.backOffOver(); // both run again
    cores.over(worker1);
    expect(cores.mayDispatch(main0)).toBe(false); // worker0 holds the core
  });

  test('executorOf() follows the stage option, then the run default, then worker', () => {
    const main = executor();
    const worker = executor();
    const byDefault = stage(function byDefault() {});
    const mixed = buildGraph([onMain(), byDefault()]);
    expect(new Cores(mixed, 1, { main, worker }).executorOf(1)).toBe(worker);
    expect(new Cores(mixed, 1, { main, worker }, 'main').executorOf(1)).toBe(main);
    expect(new Cores(mixed, 1, { main, worker }, 'worker').executorOf(0)).toBe(main);
  });

  test('withdraw() asks each executor that can take attempts back', () => {
    const withdrawn: string[] = [];
    const cores = new Cores(graph, 1, {
      main: executor(),
      worker: executor({ withdraw: () => withdrawn.push('worker') }),
    });
    cores.withdraw();
    expect(withdrawn).toEqual(['worker']);
  });
});
