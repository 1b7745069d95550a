/**
 * pydags' machine-learning example (ingest, preprocess, train) with the data passed between the
 * stages as return values rather than through Redis. It classifies the iris flowers in
 * data/iris.csv (Fisher, 1936; 150 rows, public domain) with k-nearest neighbours.
 *
 *   ingest -> preprocess -> train
 *
 * Run it with `npx tsx examples/ml.ts`, or `npx tsdags run examples/ml.ts` (after `npm run build`).
 * Each stage runs in a worker thread.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Pipeline, stage } from 'tsdags';

interface Dataset {
  features: number[][];
  labels: string[];
}

interface Split {
  train: Dataset;
  test: Dataset;
}

/** Reads the CSV file: four measurements in centimetres, then the species. */
export const ingest = stage(async function ingest(path: string): Promise<Dataset> {
  const [, ...rows] = (await readFile(path, 'utf8')).trim().split(/\r?\n/);
  const data: Dataset = { features: [], labels: [] };
  for (const row of rows) {
    const cells = row.split(',');
    data.features.push(cells.slice(0, 4).map(Number));
    data.labels.push(cells[4]!);
  }
  console.log(`Ingested ${data.labels.length} flowers`);
  return data;
});

/**
 * Shuffles with a seeded generator (the same split every run), holds out `testShare` of the rows,
 * and scales each feature to [0, 1] with the training rows' minima and maxima, so that nothing of
 * the test rows leaks into training.
 */
export const preprocess = stage(function preprocess(data: Dataset, testShare: number, seed: number): Split {
  const order = shuffle(
    data.labels.map((_, i) => i),
    mulberry32(seed),
  );
  const testSize = Math.round(data.labels.length * testShare);
  const test = pick(data, order.slice(0, testSize));
  const train = pick(data, order.slice(testSize));

  const columns = train.features[0]!.length;
  const min = Array.from({ length: columns }, (_, j) => Math.min(...train.features.map((row) => row[j]!)));
  const max = Array.from({ length: columns }, (_, j) => Math.max(...train.features.map((row) => row[j]!)));
  const scale = (row: number[]) => row.map((x, j) => (x - min[j]!) / (max[j]! - min[j]! || 1));
  console.log(`Split into ${train.labels.length} training and ${test.labels.length} test flowers`);
  return {
    train: { features: train.features.map(scale), labels: train.labels },
    test: { features: test.features.map(scale), labels: test.labels },
  };
});

/** k-nearest neighbours: "training" keeps the training rows; the test rows measure it. */
export const train = stage(function train(split: Split, k: number): { k: number; accuracy: number } {
  const { features, labels } = split.test;
  let correct = 0;
  features.forEach((row, i) => {
    if (classify(split.train, row, k) === labels[i]) correct++;
  });
  const accuracy = correct / labels.length;
  console.log(`Test accuracy: ${(accuracy * 100).toFixed(1)}% (${correct}/${labels.length}, k = ${k})`);
  return { k, accuracy };
});

/** The most common label among the k training rows nearest to `row` (Euclidean distance). */
function classify(train: Dataset, row: number[], k: number): string {
  const nearest = train.features
    .map((other, i) => ({ distance: distance(row, other), label: train.labels[i]! }))
    .sort((a, b) => a.distance - b.distance)
    .slice(0, k);
  const votes = new Map<string, number>();
  for (const { label } of nearest) votes.set(label, (votes.get(label) ?? 0) + 1);
  // Ties go to the label of the nearest row among the tied ones: `nearest` is sorted.
  let best = nearest[0]!.label;
  for (const { label } of nearest) if (votes.get(label)! > votes.get(best)!) best = label;
  return best;
}

function distance(a: number[], b: number[]): number {
  let sum = 0;
  for (let j = 0; j < a.length; j++) sum += (a[j]! - b[j]!) ** 2;
  return Math.sqrt(sum);
}

function pick(data: Dataset, rows: number[]): Dataset {
  return { features: rows.map((i) => data.features[i]!), labels: rows.map((i) => data.labels[i]!) };
}

/** Fisher-Yates, in place. */
function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/** A small seeded random number generator (mulberry32): numbers in [0, 1). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function buildPipeline(): Pipeline {
  const data = ingest(fileURLToPath(new URL('data/iris.csv', import.meta.url)));
  const split = preprocess(data, 0.3, 42);
  const model = train(split, 5);

  const pipeline = new Pipeline({ name: 'iris' });
  pipeline.addStages([data, split, model]);
  return pipeline;
}

const pipeline = buildPipeline();
export default pipeline;

// Started by `npx tsx examples/ml.ts`; `tsdags run` imports the default export and runs it itself.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await pipeline.start();
}
