import { Pipeline } from 'tsdags';
import { stage_1, stage_2 } from './fixtures/seed-stages.mjs';

test('smoke', async () => {
  const p = new Pipeline().addStages([stage_1(), stage_2()]);
  const result = await p.start({ cores: 2 });
  expect(result.status).toBe('succeeded');
});
