import { childrenOf, dagFromLists, lowerBound, type Dag } from '../../bench/dag.js';
import { forcedIdleBound } from '../../bench/forced-idle.js';

const dag = (lists: number[][], work: number[]): Dag => dagFromLists('test', lists, Float64Array.from(work));

// The shortest makespan of any list schedule on `cores` cores, over every priority order of the
// stages (exhaustive: small DAGs only). A list schedule starts a ready stage whenever a core is free.
function bestListSchedule(d: Dag, cores: number): number {
  const { childStart, children } = childrenOf(d);
  let best = Infinity;
  const order = [...d.work.keys()];
  const schedule = (rank: number[]): number => {
    const waiting = Int32Array.from(d.work.keys(), (i) => d.parentStart[i + 1]! - d.parentStart[i]!);
    const ready = order.filter((i) => waiting[i] === 0);
    const running: [number, number][] = [];
    let time = 0;
    for (let done = 0; done < d.size; done++) {
      ready.sort((a, b) => rank[a]! - rank[b]!);
      while (ready.length > 0 && running.length < cores) {
        const i = ready.shift()!;
        running.push([time + d.work[i]!, i]);
      }
      running.sort((a, b) => a[0] - b[0]);
      const [end, i] = running.shift()!;
      time = end;
      for (let e = childStart[i]!; e < childStart[i + 1]!; e++)
        if (--waiting[children[e]!]! === 0) ready.push(children[e]!);
    }
    return time;
  };
  const permute = (k: number): void => {
    if (k === order.length) {
      best = Math.min(best, schedule(order));
      return;
    }
    for (let j = k; j < order.length; j++) {
      [order[k], order[j]] = [order[j]!, order[k]!];
      permute(k + 1);
      [order[k], order[j]] = [order[j]!, order[k]!];
    }
  };
  permute(0);
  return best;
}

describe('forcedIdleBound()', () => {
  /**
   *        ┌─> 1 ─┐
   *   0 ───┼─> 2 ─┼──> 4      0 and 4 run alone: the other core idles 30 + 20 ms
   *        └─> 3 ─┘
   */
  test('counts the idle time of a stage every other stage waits for, and of one that waits for all', () => {
    const fan = dag([[], [0], [0], [0], [1, 2, 3]], [30, 10, 10, 10, 20]);

    expect(lowerBound(fan, 2)).toBe(60);
    expect(forcedIdleBound(fan, 2)).toBe(65);
    expect(bestListSchedule(fan, 2)).toBe(70);
  });

  test('is max(CP, W / cores) when nothing forces a core to idle', () => {
    const independent = dag([[], [], [], []], [10, 10, 10, 10]);
    const chain = dag([[], [0], [1]], [5, 7, 9]);

    expect(forcedIdleBound(independent, 2)).toBe(20);
    expect(forcedIdleBound(chain, 2)).toBe(21);
    expect(forcedIdleBound(chain, 3)).toBe(21);
  });

  test('a stage that runs beside a long one leaves less idle time', () => {
    // 0 (40 ms) can run beside 1 (30 ms): at least 10 ms idle on 2 cores.
    const pair = dag([[], [], [0, 1]], [40, 30, 0]);

    expect(forcedIdleBound(pair, 2)).toBe(40);
    expect(bestListSchedule(pair, 2)).toBe(40);
  });

  test('never exceeds the best schedule, on random small DAGs', () => {
    let seed = 7;
    const random = (): number => (seed = (seed * 16807) % 2147483647) / 2147483647;
    for (let trial = 0; trial < 40; trial++) {
      const n = 4 + Math.floor(random() * 4);
      const lists = Array.from({ length: n }, (_, i) => [...Array(i).keys()].filter(() => random() < 0.3));
      const d = dag(
        lists,
        lists.map(() => 1 + Math.floor(random() * 20)),
      );
      for (const cores of [2, 3]) {
        const bound = forcedIdleBound(d, cores);
        expect(bound).toBeGreaterThanOrEqual(lowerBound(d, cores));
        expect(bound).toBeLessThanOrEqual(bestListSchedule(d, cores));
      }
    }
  });
});
