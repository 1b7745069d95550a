/**
 * Class-defined stages, pydags' second way: a class extends `Stage` and implements `run(ctx)`.
 * The context gives the results of the upstream stages by name (`ctx.inputs`), a logger whose
 * lines carry the stage's name (`ctx.log`) and an AbortSignal that fires when the run is cancelled
 * (`ctx.signal`). Class stages run on the main thread.
 *
 *   measure-north   measure-south
 *            \        /
 *            Summarise
 *                |
 *              Report
 *
 * Run it with `npx tsx examples/classes.ts`, or `npx tsdags run examples/classes.ts`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { Pipeline, Stage, type StageContext } from 'tsdags';

interface Summary {
  sensor: string;
  readings: number;
  mean: number;
  min: number;
  max: number;
}

/** Polls a (simulated) temperature sensor `samples` times; it reads around `base` °C. */
class Measure extends Stage<number[]> {
  readonly #sensor: string;
  readonly #base: number;
  readonly #samples: number;

  constructor(sensor: string, base: number, samples: number) {
    super({ name: `measure-${sensor}` });
    this.#sensor = sensor;
    this.#base = base;
    this.#samples = samples;
  }

  async run(ctx: StageContext): Promise<number[]> {
    const readings: number[] = [];
    for (let i = 0; i < this.#samples; i++) {
      // Waiting with the run's signal: when the run is cancelled (Ctrl-C), this stops at once.
      await sleep(2, undefined, { signal: ctx.signal });
      readings.push(Math.round((this.#base + 3 * Math.sin(i / 3)) * 10) / 10);
    }
    ctx.log.info(`${readings.length} readings from ${this.#sensor}`);
    return readings;
  }
}

/** Reads every upstream sensor's readings from ctx.inputs, by stage name. */
class Summarise extends Stage<Summary[]> {
  run(ctx: StageContext): Summary[] {
    return Object.entries(ctx.inputs).map(([name, value]) => {
      const readings = value as number[];
      const mean = readings.reduce((sum, x) => sum + x, 0) / readings.length;
      return {
        sensor: name.replace(/^measure-/, ''),
        readings: readings.length,
        mean: Math.round(mean * 100) / 100,
        min: Math.min(...readings),
        max: Math.max(...readings),
      };
    });
  }
}

class Report extends Stage<void> {
  run(ctx: StageContext): void {
    const summaries = ctx.inputs.Summarise as Summary[];
    for (const s of summaries) {
      ctx.log.info(`${s.sensor}: mean ${s.mean} °C over ${s.readings} readings (min ${s.min}, max ${s.max})`);
    }
  }
}

function buildPipeline(): Pipeline {
  const north = new Measure('north', 11.5, 12);
  const south = new Measure('south', 19, 12);
  const summarise = new Summarise().after(north, south);
  const report = new Report().after(summarise);

  const pipeline = new Pipeline({ name: 'sensors' });
  pipeline.addStages([north, south, summarise, report]);
  return pipeline;
}

const pipeline = buildPipeline();
export default pipeline;

// Started by `npx tsx examples/classes.ts`; `tsdags run` imports the default export instead.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await pipeline.start();
}
