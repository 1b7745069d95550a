/**
 * A seeded pseudo-random generator (mulberry32): the same seed gives the same workloads on every
 * machine, so runs of the benchmark compare like with like.
 */
export class Random {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max], both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** `count` distinct integers from [min, max] (all of them when the range is smaller). */
  distinct(min: number, max: number, count: number): number[] {
    const range = max - min + 1;
    if (count >= range) return Array.from({ length: range }, (_, k) => min + k);
    const picked = new Set<number>();
    while (picked.size < count) picked.add(this.int(min, max));
    return [...picked];
  }
}
