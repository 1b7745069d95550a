/**
 * Worker lanes booted beside the first stage's: their threads import the first stage's module as
 * they boot, while idle, so their first stages start without waiting for it.
 */
import { rmSync } from 'node:fs';
import { Pipeline } from 'tsdags';
import { importsLog as log, waitForImports } from '../fixtures/preload.mjs';

beforeAll(() => rmSync(log, { force: true }));
afterAll(() => rmSync(log, { force: true }));

test("an idle lane's thread imports the first stage's module before any stage is sent to it", async () => {
  // The first stage runs on one lane and ends once both lanes' threads have imported its module:
  // the other lane (booted with the first stage, as a second stage will need it) has no stage
  // yet, so only a thread importing the module as it boots lets the first one end.
  const first = waitForImports(log, 2);
  const second = waitForImports(log, 2).after(first);
  const result = await new Pipeline().addStages([second]).run({ cores: 2, storeDir: false }).done;
  expect(result.output(first)).toBe(2);
  expect(result.output(second)).toBe(2);
});
