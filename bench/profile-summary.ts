/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time by function and by file, so
 * the cost per stage can be traced to the engine's code.
 * `node .bench/profile-summary.js prof/*.cpuprofile [top]` (compiled by `tsc -p bench/tsconfig.json`;
 * several files are merged, e.g. the profiles of worker threads).
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const args = process.argv.slice(2);
const files = args.filter((a) => a.endsWith('.cpuprofile'));
const top = Number(args.find((a) => /^\d+$/.test(a)) ?? 30);
if (files.length === 0) throw new Error('Expected .cpuprofile files: bench/profile-summary.ts <files> [top]');

function where(url: string): string {
  const short = url.replace(/^file:\/\/.*?\/(lib|bench|dist|node_modules\/[^/]+)\//, '$1/');
  return short || '(native)';
}

function add(map: Map<string, number>, key: string, us: number): void {
  map.set(key, (map.get(key) ?? 0) + us);
}

function label(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  return `${functionName || '(anonymous)'} ${where(url)}:${lineNumber + 1}`;
}

const byFunction = new Map<string, number>();
const byFile = new Map<string, number>();
// Inclusive: each sample counts once for every distinct function on its stack.
const inclusive = new Map<string, number>();
let total = 0;
for (const file of files) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  profile.samples.forEach((id, k) => {
    const us = profile.timeDeltas[k] ?? 0;
    const node = byId.get(id)!;
    add(byFunction, label(node), us);
    add(byFile, where(node.callFrame.url), us);
    total += us;
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const key = label(byId.get(at)!);
      if (!seen.has(key)) {
        seen.add(key);
        add(inclusive, key, us);
      }
    }
  });
}

function print(title: string, map: Map<string, number>): void {
  console.log(`\n${title}`);
  const rows = [...map].sort((a, b) => b[1] - a[1]).slice(0, top);
  for (const [key, us] of rows) {
    console.log(
      `${((us / total) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${key}`,
    );
  }
}

console.log(`${files.join(', ')}: ${(total / 1000).toFixed(0)} ms sampled`);
print('self time by function', byFunction);
print('self time by file', byFile);
print('inclusive time by function', inclusive);
