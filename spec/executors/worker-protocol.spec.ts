// The lane's shared memory, both sides played here on one thread: what the main side reads from
// what the worker side wrote.
import {
  claimTask,
  hasStarted,
  isClaimed,
  laneChannelBytes,
  revokeTask,
  signalStarted,
  startStamp,
} from '../../lib/executors/worker-protocol.js';

const lane = () => new SharedArrayBuffer(laneChannelBytes);

describe('worker protocol: a lane between its main side and its thread', () => {
  // Was a bug (false starts): "started" was the highest ticket started, so a ticket a batch handed
  // back unclaimed, or one that failed before its code ran, read as started once a later one did.
  test('a ticket started only if its thread claimed it and stamped its start', () => {
    const channel = lane();
    expect(claimTask(channel, 1)).toBe(true);
    signalStarted(channel, 1);
    expect(claimTask(channel, 2)).toBe(true); // its module would not load: no start
    // Ticket 3 is handed back unclaimed (its batch stopped before it).
    expect(claimTask(channel, 4)).toBe(true);
    signalStarted(channel, 4);

    expect([1, 2, 3, 4].map((t) => hasStarted(channel, t))).toEqual([true, false, false, true]);
    expect(startStamp(channel, 4)).toBeGreaterThan(0);
    expect(isClaimed(channel, 3)).toBe(false);
  });

  test('claim and take-back: whichever comes first wins, for each ticket on its own', () => {
    const channel = lane();
    expect(revokeTask(channel, 2)).toBe(true);
    expect(revokeTask(channel, 3)).toBe(true); // two taken back at once: each keeps its own cell
    expect(claimTask(channel, 1)).toBe(true);
    expect(claimTask(channel, 2)).toBe(false);
    expect(claimTask(channel, 3)).toBe(false);
    expect(claimTask(channel, 4)).toBe(true);
    expect(revokeTask(channel, 4)).toBe(false); // claimed first: it runs
  });
});
