import { stage } from 'tsdags';
import { RunTimes } from '../../lib/executors/run-times.js';

const tiny = stage(function tiny() {
  return 1;
});
const limited = stage({ resourceLimits: { maxOldGenerationSizeMb: 64 } }, function limited() {
  return 1;
});

describe('run times: which worker stages are short, and how many a lane holds', () => {
  test('a definition not run yet is not short', () => {
    expect(new RunTimes(2).depthOf(tiny())).toBe(0);
  });

  test('a short definition: as many as make queuedMs of work, at least 2 and at most 32', () => {
    const times = new RunTimes(2);
    const s = tiny();
    times.ran(s.definition, 0.1);
    expect(times.depthOf(s)).toBe(20);
    times.ran(s.definition, 0.9);
    expect(times.depthOf(s)).toBe(2);

    const fast = new RunTimes(2);
    fast.ran(s.definition, 0.001);
    expect(fast.depthOf(s)).toBe(32);
  });

  test('one long run makes a definition long until enough short runs have made it forget', () => {
    const times = new RunTimes(2);
    const s = tiny();
    times.ran(s.definition, 5);
    expect(times.depthOf(s)).toBe(0);
    // 5 ms × 0.9^15 is still over 1 ms; × 0.9^16 is not.
    for (let k = 0; k < 15; k++) times.ran(s.definition, 0.01);
    expect(times.depthOf(s)).toBe(0);
    times.ran(s.definition, 0.01);
    expect(times.depthOf(s)).toBe(2);
  });

  test('stages with resourceLimits are never short: each has a thread of its own', () => {
    const times = new RunTimes(2);
    const s = limited();
    times.ran(s.definition, 0.01);
    expect(times.depthOf(s)).toBe(0);
  });
});
