/**
 * Fan-out, fan-in: one `count` stage per text file in examples/data/ (they run in parallel, each
 * in a worker thread), and one `total` stage that merges their counts.
 *
 *   count-a-tale-of-two-cities   count-moby-dick   count-pride-and-prejudice
 *                   \                  |                  /
 *                                    total
 *
 * Run it with `npx tsx examples/wordcount.ts`, or `npx tsdags run examples/wordcount.ts`.
 */
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Pipeline, stage } from 'tsdags';

/** How often each word occurs. */
type Counts = Record<string, number>;

export const count = stage(async function count(path: string): Promise<Counts> {
  const text = await readFile(path, 'utf8');
  const counts: Counts = {};
  for (const word of text.toLowerCase().match(/[a-z]+(?:'[a-z]+)*/g) ?? []) {
    counts[word] = (counts[word] ?? 0) + 1;
  }
  return counts;
});

export const total = stage(function total(perFile: Counts[]): { words: number; distinct: number } {
  const all: Counts = {};
  for (const counts of perFile) {
    for (const [word, n] of Object.entries(counts)) all[word] = (all[word] ?? 0) + n;
  }
  const words = Object.values(all).reduce((sum, n) => sum + n, 0);
  const top = Object.entries(all)
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
    .slice(0, 5);
  console.log(`${words} words (${Object.keys(all).length} distinct) in ${perFile.length} files`);
  console.log(`Most frequent: ${top.map(([word, n]) => `${word} ${n}`).join(', ')}`);
  return { words, distinct: Object.keys(all).length };
});

function buildPipeline(): Pipeline {
  const folder = new URL('data/', import.meta.url);
  const files = readdirSync(folder)
    .filter((name) => name.endsWith('.txt'))
    .sort();
  const counts = files.map((name) =>
    count(fileURLToPath(new URL(name, folder))).named(`count-${basename(name, '.txt')}`),
  );

  const pipeline = new Pipeline({ name: 'wordcount' });
  pipeline.addStage(total(counts));
  return pipeline;
}

const pipeline = buildPipeline();
export default pipeline;

// Started by `npx tsx examples/wordcount.ts`; `tsdags run` imports the default export instead.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await pipeline.start();
}
