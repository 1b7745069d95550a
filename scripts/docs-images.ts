/**
 * Regenerates the pictures in docs/images/ (`npm run docs:images`, which builds first: the
 * stages run in worker threads, whose entry is compiled):
 *
 * - pipeline.svg: the seed's six stages (examples/seed.ts): 3 and 4 after 2, 5 after 1, 6 after 3, 4, 5;
 * - run.svg: the same pipeline after a run in which stage_4 fails;
 * - timeline.svg: that run's timeline on two worker threads.
 *
 * The stages spin the CPU for fixed times so that the timeline shows them side by side; each
 * regeneration differs only in the run id and the exact times.
 */
import { fileURLToPath } from 'node:url';
import { Pipeline, stage } from '../lib/index.js';
import { pipelineSvg } from '../lib/viz/pipeline-svg.js';
import { runSvg } from '../lib/viz/run-svg.js';
import { timelineSvg } from '../lib/viz/timeline-svg.js';
import { writeSvg } from '../lib/viz/write-svg.js';

function spin(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

export const stage_1 = stage(function stage_1() {
  spin(300);
});
export const stage_2 = stage(function stage_2() {
  spin(150);
});
export const stage_3 = stage(function stage_3() {
  spin(250);
});
export const stage_4 = stage(function stage_4() {
  spin(120);
  throw new Error('could not reach the database (connection refused)');
});
export const stage_5 = stage(function stage_5() {
  spin(200);
});
export const stage_6 = stage(function stage_6() {
  spin(100);
});

function buildPipeline(): Pipeline {
  const s1 = stage_1();
  const s2 = stage_2();
  const s3 = stage_3().after(s2);
  const s4 = stage_4().after(s2);
  const s5 = stage_5().after(s1);
  const s6 = stage_6().after(s3).after(s4).after(s5);
  return new Pipeline({ name: 'seed' }).addStages([s1, s2, s3, s4, s5, s6]);
}

const pipeline = buildPipeline();
// Inside the worker threads that run the stages, run() never starts and this await never ends:
// only the main thread goes on to write the files.
const result = await pipeline.run({ cores: 2, onError: 'continue', storeDir: false }).done;

const images = fileURLToPath(new URL('../docs/images/', import.meta.url));
await writeSvg(`${images}pipeline.svg`, pipelineSvg(pipeline.graph(), { name: pipeline.name }));
await writeSvg(`${images}run.svg`, runSvg(result, { name: pipeline.name }));
await writeSvg(`${images}timeline.svg`, timelineSvg(result, { name: pipeline.name }));
console.log(
  `wrote pipeline.svg, run.svg and timeline.svg in ${images} (run ${result.runId}: ${result.status})`,
);
