import { execFileSync } from 'node:child_process';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The facts a reader needs to judge the numbers: where and when they were taken. */
export function machineFacts(): string[] {
  const model = cpus()[0]?.model ?? 'unknown CPU';
  return [
    `Node ${process.version} on ${process.platform}/${process.arch}`,
    `${availableParallelism()} cores (os.availableParallelism), ${model}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM`,
    `tsdags commit ${commit()}`,
  ];
}

/** The 1-minute load average: above the core count, other processes were competing for the CPU. */
export function load(): string {
  return loadavg()[0]!.toFixed(2);
}

function commit(): string {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'lib'], {
      cwd: root,
      encoding: 'utf8',
    }).trim();
    return dirty ? `${sha} (lib/ modified)` : sha;
  } catch {
    return 'unknown';
  }
}
