import { secondsLabel, ticks } from '../../lib/viz/time-axis.js';

describe('ticks() and secondsLabel()', () => {
  test('steps by 1, 2 or 5 times a power of ten, from 0 to the span', () => {
    expect(ticks(0.284)).toEqual({ values: [0, 0.05, 0.1, 0.15000000000000002, 0.2, 0.25], step: 0.05 });
    expect(ticks(12).step).toBe(2);
    expect(ticks(12).values.at(-1)).toBe(12);
    expect(ticks(70).step).toBe(10);
    expect(ticks(0)).toEqual({ values: [0], step: 1 });
  });

  test('labels with as many decimals as the step needs', () => {
    expect(secondsLabel(0.15000000000000002, 0.05)).toBe('0.15 s');
    expect(secondsLabel(4, 2)).toBe('4 s');
    expect(secondsLabel(0.4, 0.2)).toBe('0.4 s');
    expect(secondsLabel(30, 10)).toBe('30 s');
  });
});
