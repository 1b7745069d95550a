/**
 * The engine's queue of ready stages: a binary max-heap of stage indexes on a numeric rank, ties
 * broken by the lower index (first come, first served). Push and pop are O(log n) with no
 * allocation after construction; a capped mergeMap's own buffer would be an O(n) `shift()` per
 * stage on a wide fan (DESIGN.md, trap 5).
 */
export class ReadyQueue {
  readonly #heap: Int32Array;
  readonly #rank: Float64Array;
  #size = 0;

  /** `rank[i]` is stage i's priority: higher pops first. */
  constructor(capacity: number, rank: Float64Array) {
    this.#heap = new Int32Array(capacity);
    this.#rank = rank;
  }

  get size(): number {
    return this.#size;
  }

  push(stage: number): void {
    const heap = this.#heap;
    let i = this.#size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#before(stage, heap[parent]!)) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = stage;
  }

  /** The highest-ranked stage, left in the queue; -1 when empty. */
  peek(): number {
    return this.#size === 0 ? -1 : this.#heap[0]!;
  }

  /** The highest-ranked stage, or -1 when empty. */
  pop(): number {
    if (this.#size === 0) return -1;
    const heap = this.#heap;
    const top = heap[0]!;
    const last = heap[--this.#size]!;
    const size = this.#size;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= size) break;
      if (child + 1 < size && this.#before(heap[child + 1]!, heap[child]!)) child++;
      if (!this.#before(heap[child]!, last)) break;
      heap[i] = heap[child]!;
      i = child;
    }
    if (size > 0) heap[i] = last;
    return top;
  }

  #before(a: number, b: number): boolean {
    const ra = this.#rank[a]!;
    const rb = this.#rank[b]!;
    return ra > rb || (ra === rb && a < b);
  }
}
