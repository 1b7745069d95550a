// Stages the benchmark runs in tsdags' worker threads: a worker imports this module and finds
// them by name. Plain .mjs, so a worker loads it without a TypeScript loader.
import { stage } from 'tsdags';
import spinFor from './task.mjs';

/** Spins the CPU for `ms` milliseconds of wall time. */
export const spin = stage(function spin(ms) {
  spinFor(ms);
});

/** Does nothing: the cost of the engine and of a worker round trip alone. */
export const noop = stage(function noop() {});
