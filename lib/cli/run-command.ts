import type { Command } from 'commander';
import { CancelledError, RunFailedError, TsdagsError } from '../errors.js';
import type { Pipeline, RunOptions } from '../pipeline.js';
import type { Run } from '../run/run.js';
import type { RunResult } from '../run/run-result.js';
import { JsonReporter } from './json-reporter.js';
import { loadPipeline } from './load-pipeline.js';
import { checkRunPictures, drawRun, drawTimeline } from './pictures.js';
import { PlainReporter } from './plain-reporter.js';
import { ProgressDisplay } from './progress-display.js';
import type { Reporter } from './reporter.js';
import { toRunOptions, type RunFlags } from './run-options.js';

/** `tsdags run <file>`: runs a pipeline file and reports its progress. */
export function addRunCommand(program: Command): void {
  program
    .command('run')
    .summary('run a pipeline file')
    .description('Run the pipeline that a module default-exports (a Pipeline, or a function returning one).')
    .addHelpText(
      'after',
      '\nExit codes: 0 every stage succeeded, 1 a stage failed, 2 bad usage or a bad pipeline file,\n' +
        '130 interrupted (Ctrl-C stops the run; a second Ctrl-C quits at once).\n' +
        'Progress goes to stderr (live on a terminal, one line per change elsewhere); stdout keeps what\n' +
        'the stages print, or, with --json, the events and nothing else.',
    )
    .argument('<file>', 'a .ts or .js module; TypeScript loads without a build step')
    .option('--cores <n>', "run at most n stages at once (default: the machine's cores)")
    .option(
      '--on-error <mode>',
      'after a stage fails: "stop" starting stages, or "continue" with the rest (default: stop)',
    )
    .option(
      '--thread <thread>',
      'where function stages run unless they say: "worker" or "main" (default: worker)',
    )
    .option('--svg <file>', 'after the run, draw the pipeline with its stages coloured by state')
    .option('--timeline <file>', 'after the run, draw which stage ran when, on which thread')
    .option('--json', 'print one JSON event per line on stdout, and nothing else there')
    .option('--verbose', 'show stack traces')
    .action(runFile);
}

async function runFile(file: string, flags: RunFlags): Promise<void> {
  const options = toRunOptions(flags);
  checkRunPictures(flags);
  // Under --json, stdout is kept for the events before the module loads: its top level may print.
  const json = flags.json ? new JsonReporter() : undefined;
  const pipeline = await loadPipeline(file);
  // The reporter exists before the run: main-thread stages can start (and print) inside run().
  const reporter = json ?? createReporter(flags, pipeline.name);
  let run: Run;
  try {
    run = startRun(pipeline, options);
  } catch (error) {
    reporter.close();
    throw error;
  }
  const stopOnInterrupt = interruptible(run, reporter);
  let result: RunResult;
  try {
    run.events.subscribe({ next: (event) => reporter.event(event) });
    result = await run.done;
    reporter.finish(result);
    if (flags.svg !== undefined) {
      await drawRun(result, flags.svg);
      reporter.note(`wrote ${flags.svg}`);
    }
    if (flags.timeline !== undefined) {
      await drawTimeline(result, flags.timeline);
      reporter.note(`wrote ${flags.timeline}`);
    }
  } finally {
    stopOnInterrupt();
    reporter.close();
  }
  if (result.status === 'cancelled') throw new CancelledError('interrupted');
  if (result.status === 'failed') {
    const errors = result.errors;
    throw errors.length === 1 ? errors[0]! : new RunFailedError(errors);
  }
}

// pipeline.run() throws before any stage runs when the pipeline or the options are wrong (a
// CycleError, a DuplicateStageError, a TypeError): bad usage, whatever the class.
function startRun(pipeline: Pipeline, options: RunOptions): Run {
  try {
    return pipeline.run(options);
  } catch (error) {
    if (error instanceof TsdagsError || !(error instanceof TypeError)) throw error;
    throw new TsdagsError('BAD_USAGE', error.message, { cause: error });
  }
}

function createReporter(flags: RunFlags, name: string): Reporter {
  const verbose = flags.verbose ?? false;
  if (process.stderr.isTTY) return new ProgressDisplay(process.stderr, { name, verbose });
  return new PlainReporter(process.stderr, { verbose });
}

// Ctrl-C cancels the run (stages in flight are stopped, the run ends "cancelled", exit 130); a
// second Ctrl-C does not wait for that.
function interruptible(run: Run, reporter: Reporter): () => void {
  let interrupted = false;
  const onSignal = (): void => {
    if (interrupted) process.exit(130);
    interrupted = true;
    reporter.note('Stopping the run (press Ctrl-C again to quit at once)…');
    run.cancel('interrupted');
  };
  process.on('SIGINT', onSignal);
  return () => process.off('SIGINT', onSignal);
}
