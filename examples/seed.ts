/**
 * The seed's six-stage pipeline, as pydags' README writes it: stages 1 and 2 start together,
 * 3 and 4 run after 2, 5 after 1, and 6 after 3, 4 and 5.
 *
 *   stage_1   stage_2
 *      |      /     \
 *   stage_5 stage_3 stage_4
 *       \      |     /
 *          stage_6
 *
 * Run it with `npm run seed`.
 */
import { Pipeline, stage } from 'tsdags';

const stage_1 = stage(function stage_1() {
  console.log('Running stage 1');
});

const stage_2 = stage(function stage_2() {
  console.log('Running stage 2');
});

const stage_3 = stage(function stage_3() {
  console.log('Running stage 3');
});

const stage_4 = stage(function stage_4() {
  console.log('Running stage 4');
});

const stage_5 = stage(function stage_5() {
  console.log('Running stage 5');
});

const stage_6 = stage(function stage_6() {
  console.log('Running stage 6');
});

function buildPipeline(): Pipeline {
  const stage1 = stage_1();
  const stage2 = stage_2();
  const stage3 = stage_3().after(stage2);
  const stage4 = stage_4().after(stage2);
  const stage5 = stage_5().after(stage1);
  const stage6 = stage_6().after(stage3).after(stage4).after(stage5);

  const pipeline = new Pipeline();

  pipeline.addStages([stage1, stage2, stage3, stage4, stage5, stage6]);

  return pipeline;
}

const pipeline = buildPipeline();

// pydags opens a window; tsdags writes the picture: open seed-pipeline.svg in a browser.
await pipeline.visualize('seed-pipeline.svg');

await pipeline.start();
