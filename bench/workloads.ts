import { dagFromLists, type Dag } from './dag.js';
import { Random } from './random.js';

// One seed for every generated workload: the same graphs and spins on every run and machine.
const seed = 20250611;

/** `chain:n`: a line of n stages. */
export function chain(n: number): Dag {
  const lists: number[][] = [[]];
  for (let i = 1; i < n; i++) lists.push([i - 1]);
  return dagFromLists(`chain:${n}`, lists);
}

/** `fan:n`: one root, n independent stages after it, one sink after them all (n + 2 stages). */
export function fan(n: number): Dag {
  const lists: number[][] = [[]];
  for (let i = 0; i < n; i++) lists.push([0]);
  lists.push(Array.from({ length: n }, (_, k) => k + 1));
  return dagFromLists(`fan:${n}`, lists);
}

/**
 * Random layers of `minWidth` to `maxWidth` stages, each stage (past the first layer) with
 * `parentCount` distinct parents drawn from the previous three layers.
 */
function layers(name: string, n: number, minWidth: number, maxWidth: number, random: Random): number[][] {
  const parentCount = 3;
  const lists: number[][] = [];
  const starts: number[] = [];
  while (lists.length < n) {
    const width = Math.min(random.int(minWidth, maxWidth), n - lists.length);
    const layer = starts.length;
    starts.push(lists.length);
    // The previous three layers are one contiguous range of indexes.
    const from = starts[Math.max(0, layer - 3)]!;
    const to = lists.length - 1;
    for (let k = 0; k < width; k++) {
      lists.push(layer === 0 ? [] : random.distinct(from, to, parentCount).sort((a, b) => a - b));
    }
  }
  if (lists.length !== n) throw new Error(`Expected ${n} stages in ${name}, got ${lists.length}`);
  return lists;
}

/** `layered:n`: random layers of 50 to 150 stages, 3 parents each from the previous three layers. */
export function layered(n: number): Dag {
  const name = `layered:${n}`;
  return dagFromLists(name, layers(name, n, 50, 150, new Random(seed)));
}

/**
 * `cpu:n`: random layers of 2 to 18 stages, 3 parents each from the previous three layers, each
 * stage spinning the CPU for a seeded 5 to 40 ms.
 */
export function cpu(n: number): Dag {
  const name = `cpu:${n}`;
  const random = new Random(seed + 1);
  const lists = layers(name, n, 2, 18, random);
  const work = new Float64Array(n);
  for (let i = 0; i < n; i++) work[i] = 5 + Math.round(random.next() * 350) / 10;
  return dagFromLists(name, lists, work);
}

/** A generated workload by its name, e.g. `layered:10000`. */
export function workload(name: string): Dag {
  const [shape, count] = name.split(':');
  const n = Number(count);
  if (!Number.isInteger(n) || n < 1) throw new Error(`Expected a workload like chain:10000, got "${name}"`);
  switch (shape) {
    case 'chain':
      return chain(n);
    case 'fan':
      return fan(n);
    case 'layered':
      return layered(n);
    case 'cpu':
      return cpu(n);
    default:
      throw new Error(`Expected a workload shape chain, fan, layered or cpu, got "${shape}" in "${name}"`);
  }
}
