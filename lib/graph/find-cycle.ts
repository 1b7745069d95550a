import { InternalError } from '../errors.js';

/**
 * A cycle among the stages that a topological sort could not order, as stage indexes in
 * dependency direction with the first repeated last: [a, b, c, a] for a -> b -> c -> a.
 * Every unordered stage has an unordered parent, so walking parents from one must repeat.
 */
export function findCycle(
  ordered: Int32Array,
  n: number,
  parentStart: Int32Array,
  parents: Int32Array,
): number[] {
  const isOrdered = new Uint8Array(n);
  for (const i of ordered) isOrdered[i] = 1;
  const start = isOrdered.indexOf(0);
  if (start < 0) throw new InternalError('findCycle() called on an acyclic graph');
  const seenAt = new Int32Array(n).fill(-1);
  const walk: number[] = [];
  let v = start;
  while (seenAt[v] === -1) {
    seenAt[v] = walk.length;
    walk.push(v);
    let next = -1;
    for (let e = parentStart[v]!; e < parentStart[v + 1]!; e++) {
      if (!isOrdered[parents[e]!]) {
        next = parents[e]!;
        break;
      }
    }
    if (next < 0) throw new InternalError('an unordered stage has no unordered parent');
    v = next;
  }
  // walk[seenAt[v]..] runs child -> parent; reverse it to read upstream -> downstream.
  const cycle = walk.slice(seenAt[v]).reverse();
  cycle.push(cycle[0]!);
  return cycle;
}
