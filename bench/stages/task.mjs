// The tasks raw tinypool pools run for the comparators (tinypool's default export and `noop`).

/** The time now in ms since the epoch, comparable between threads (performance.now() is per thread). */
export function stamp() {
  return performance.timeOrigin + performance.now();
}

/** Spins the CPU for `ms` ms of wall time; returns when it started and ended, as `stamp()`s. */
export default function spinFor(ms) {
  const start = stamp();
  const end = start + ms;
  let t = start;
  while (t < end) t = stamp();
  return [start, t];
}

/** Does nothing: a worker round trip alone. */
export function noop() {}
