import { readFileSync } from 'node:fs';
import type { Contender, Samples } from '../measure.js';

// Linux's USER_HZ: /proc reports CPU time in these ticks (`getconf CLK_TCK`, 100 on Linux).
const ticksPerSecond = 100;

/**
 * The CPU time (user + system, ms) that other processes have used so far, read from
 * /proc/<pid>/stat; NaN where /proc is not there (not Linux) or a process has gone. Its
 * resolution is one tick (10 ms), so a figure is only meaningful over runs of a second or so.
 */
export function processCpuMs(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      return NaN;
    }
    // The command name (field 2) may hold spaces: count fields from the ')' that closes it.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 past the name.
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return (ticks * 1000) / ticksPerSecond;
}

/**
 * The contender, also recording into `samples` (under its name) the CPU ms that the processes
 * `pids` used during each of its runs, warm-ups included (sideBySide's first round).
 */
export function withCpuOf(pids: readonly number[], samples: Samples, contender: Contender): Contender {
  const mine: number[] = [];
  samples.set(contender.name, mine);
  return {
    name: contender.name,
    run: async () => {
      const before = processCpuMs(pids);
      await contender.run();
      mine.push(processCpuMs(pids) - before);
    },
  };
}
