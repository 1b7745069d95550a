// Runs the built CLI (dist/cli/bin.js, so `npm run build` first) as a child process.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunEvent } from 'tsdags';

/** The repository's root: the child's working directory. */
export const root = fileURLToPath(new URL('../../', import.meta.url));

export interface Exited {
  code: number | null;
  /** The signal that ended the child, when one did. */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * `tsdags ...args`; `onLine` sees each stdout line as it comes, with the child (to signal it);
 * `extraEnv` is added to the child's environment; `cwd` is the repository's root unless given
 * (relative paths in `args` are then relative to it).
 */
export function tsdags(
  args: string[],
  onLine?: (line: string, child: ChildProcess) => void,
  extraEnv: NodeJS.ProcessEnv = {},
  cwd = root,
): Promise<Exited> {
  return node([join(root, 'dist/cli/bin.js'), ...args], onLine, extraEnv, cwd);
}

/** `node ...args` in the repository's root (or `cwd`), without colours. */
export function node(
  args: string[],
  onLine?: (line: string, child: ChildProcess) => void,
  extraEnv: NodeJS.ProcessEnv = {},
  cwd = root,
): Promise<Exited> {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...extraEnv };
  delete env.FORCE_COLOR;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, env });
    let stdout = '';
    let stderr = '';
    let partial = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      partial += chunk;
      for (let end = partial.indexOf('\n'); end >= 0; end = partial.indexOf('\n')) {
        const line = partial.slice(0, end);
        partial = partial.slice(end + 1);
        onLine?.(line, child);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Every stdout line as JSON: throws on a line that is not. */
export function events(stdout: string): RunEvent[] {
  return stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as RunEvent);
}

/** A stack frame, as Node prints them. */
export const stackFrame = /^\s+at /m;
