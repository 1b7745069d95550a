import { assignRows, laneName, sortLanes, type AttemptBar } from '../../lib/viz/attempts.js';

const bar = (stage: string, lane: string, start: number, end: number): AttemptBar => ({
  stage,
  attempt: 1,
  lane,
  start,
  end,
  outcome: 'succeeded',
  error: undefined,
});

describe('assignRows()', () => {
  test('puts attempts that overlap in one lane on separate rows, and reuses a row once it is free', () => {
    const bars = [
      bar('a', 'main thread', 0, 10),
      bar('b', 'main thread', 5, 15),
      bar('c', 'main thread', 10, 20),
      bar('d', 'main thread', 12, 14),
      bar('e', 'thread 3', 0, 30),
    ];
    const { row, rowsPerLane } = assignRows(bars);
    expect(row).toEqual([0, 1, 0, 2, 0]);
    expect(Object.fromEntries(rowsPerLane)).toEqual({ 'main thread': 3, 'thread 3': 1 });
  });
});

describe('sortLanes() and laneName()', () => {
  test('orders the main thread first, then threads by number, then remote workers by name', () => {
    expect(sortLanes(['w-b:1', 'thread 12', 'main thread', 'thread 3', 'w-a:9', 'thread 3'])).toEqual([
      'main thread',
      'thread 3',
      'thread 12',
      'w-a:9',
      'w-b:1',
    ]);
  });

  test('names a lane after the remote worker when there is one, else after the thread', () => {
    expect(laneName(0, undefined)).toBe('main thread');
    expect(laneName(4, undefined)).toBe('thread 4');
    expect(laneName(0, 'host:123')).toBe('host:123');
    expect(laneName(4, '')).toBe('thread 4');
  });
});
