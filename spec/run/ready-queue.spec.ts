import { ReadyQueue } from '../../lib/run/ready-queue.js';

function drain(queue: ReadyQueue): number[] {
  const out: number[] = [];
  while (queue.size > 0) out.push(queue.pop());
  return out;
}

describe('ReadyQueue', () => {
  test('pops the highest rank first, ties by the lower index', () => {
    const rank = new Float64Array([1, 5, 5, 0, 9, 1]);
    const queue = new ReadyQueue(rank.length, rank);
    for (const i of [3, 5, 0, 2, 1, 4]) queue.push(i);

    expect(drain(queue)).toEqual([4, 1, 2, 0, 5, 3]);
  });

  test('pop() on an empty queue returns -1', () => {
    const queue = new ReadyQueue(2, new Float64Array(2));
    expect(queue.pop()).toBe(-1);
    queue.push(1);
    expect(queue.pop()).toBe(1);
    expect(queue.pop()).toBe(-1);
    expect(queue.size).toBe(0);
  });

  test('matches a sorted order on random ranks with pushes and pops interleaved', () => {
    // A seeded generator: the same sequence on every run.
    let seed = 12345;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const n = 2000;
    const rank = Float64Array.from({ length: n }, () => Math.floor(random() * 50));
    const queue = new ReadyQueue(n, rank);
    const reference: number[] = [];
    const byRank = (a: number, b: number) => rank[b]! - rank[a]! || a - b;
    const popped: number[] = [];
    const expected: number[] = [];
    for (let i = 0; i < n; i++) {
      queue.push(i);
      reference.push(i);
      if (random() < 0.3) {
        reference.sort(byRank);
        expected.push(reference.shift()!);
        popped.push(queue.pop());
      }
    }
    reference.sort(byRank);

    expect(popped).toEqual(expected);
    expect(drain(queue)).toEqual(reference);
  });
});
