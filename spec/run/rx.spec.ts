import { forkJoin, Observable } from 'rxjs';
import { Pipeline } from 'tsdags';
import { bundledRx } from '../../lib/run/rx.js';
import { rxjsBuilds } from '../fixtures/rxjs-in-thread.mjs';

describe('the RxJS tsdags uses', () => {
  test("a worker thread loads RxJS's one-file bundle, not its CommonJS files", async () => {
    const builds = rxjsBuilds();
    const result = await new Pipeline().addStage(builds).run({ storeDir: false }).done;
    expect(result.output(builds)).toEqual({ commonJs: false, bundle: true });
  });

  test('outside worker threads, run.events is an Observable of the rxjs package the user imports', async () => {
    const run = new Pipeline().addStage(rxjsBuilds()).run({ storeDir: false, thread: 'main' });
    expect(run.events).toBeInstanceOf(Observable);
    await run.done;
  });

  test('bundledRx() falls back to the rxjs package when the bundle is not there', async () => {
    const rx = await bundledRx('/nonexistent/rxjs.umd.min.js');
    expect(rx.forkJoin).toBe(forkJoin);
  });
});
