// Stages the benchmark runs in tsdags' worker threads: a worker imports this module and finds
// them by name. Plain .mjs, so a worker loads it without a TypeScript loader.
import { stage } from 'tsdags';
import spinFor from './task.mjs';

/** Spins the CPU for `ms` ms; its result is when it started and ended ([start, end], ms since the epoch). */
export const spin = stage(function spin(ms) {
  return spinFor(ms);
});

/** Does nothing: the cost of the engine and of a worker round trip alone. */
export const noop = stage(function noop() {});
