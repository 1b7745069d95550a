/**
 * Regenerates the pictures in docs/images/ (`npm run docs:images`):
 *
 * - pipeline.svg: the seed's six stages (examples/seed.ts): 3 and 4 after 2, 5 after 1, 6 after 3, 4, 5;
 * - run.svg: the same pipeline after a run in which stage_4 fails;
 * - timeline.svg: that run's timeline.
 *
 * The stages wait on timers, like I/O-bound stages, on the main thread (two at a time), so that
 * the timeline shows the times written here. Worker-thread stages would show more: today the
 * first attempt on each worker thread also counts the thread's start and module loading (about
 * 2 s on a loaded machine), because `stage:start` is stamped when the stage is handed to the
 * thread. Each regeneration differs only in the run id and the exact times.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Pipeline, stage } from '../lib/index.js';
import { pipelineSvg } from '../lib/viz/pipeline-svg.js';
import { runSvg } from '../lib/viz/run-svg.js';
import { timelineSvg } from '../lib/viz/timeline-svg.js';
import { writeSvg } from '../lib/viz/write-svg.js';

const stage_1 = stage({ thread: 'main' }, async function stage_1() {
  await sleep(300);
});
const stage_2 = stage({ thread: 'main' }, async function stage_2() {
  await sleep(150);
});
const stage_3 = stage({ thread: 'main' }, async function stage_3() {
  await sleep(250);
});
const stage_4 = stage({ thread: 'main' }, async function stage_4() {
  await sleep(120);
  throw new Error('could not reach the database (connection refused)');
});
const stage_5 = stage({ thread: 'main' }, async function stage_5() {
  await sleep(200);
});
const stage_6 = stage({ thread: 'main' }, async function stage_6() {
  await sleep(100);
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
const result = await pipeline.run({ cores: 2, onError: 'continue', storeDir: false }).done;

const images = fileURLToPath(new URL('../docs/images/', import.meta.url));
await writeSvg(`${images}pipeline.svg`, pipelineSvg(pipeline.graph(), { name: pipeline.name }));
await writeSvg(`${images}run.svg`, runSvg(result, { name: pipeline.name }));
await writeSvg(`${images}timeline.svg`, timelineSvg(result, { name: pipeline.name }));
console.log(
  `wrote pipeline.svg, run.svg and timeline.svg in ${images} (run ${result.runId}: ${result.status})`,
);
