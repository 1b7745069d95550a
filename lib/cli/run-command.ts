import { resolve } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { CancelledError, RunFailedError, TsdagsError } from '../errors.js';
import type { Pipeline } from '../pipeline.js';
import type { RunOptions } from '../run-options.js';
import type { Run } from '../run/run.js';
import type { RunResult } from '../run/run-result.js';
import { InterruptedError } from './exit-code.js';
import { JsonReporter } from './json-reporter.js';
import { loadPipeline } from './load-pipeline.js';
import { PlainReporter } from './plain-reporter.js';
import { ProgressDisplay } from './progress-display.js';
import type { Reporter } from './reporter.js';
import { checkRedisCredentials } from './redis-credentials.js';
import { redisEnv } from './remote-flags.js';
import { mergeRunOptions, toRunOptions, type RunFlags } from './run-options.js';
import { checkRunRecord } from './run-record-check.js';
import { stopOnSignals } from './stop-on-signals.js';

/** `tsdags run <file>`: runs a pipeline file and reports its progress. */
export function addRunCommand(program: Command): void {
  program
    .command('run')
    .summary('run a pipeline file')
    .description(
      'Run the pipeline that a module default-exports (a Pipeline, or a function returning one), or the\n' +
        'one it starts itself with `await pipeline.start()`.',
    )
    .addHelpText(
      'after',
      '\nExit codes: 0 every stage succeeded, 1 a stage failed, 2 bad usage or a bad pipeline file (also\n' +
        'a Redis that refuses the password in --redis, a --run-id the store holds, a run to resume it lacks),\n' +
        '130 interrupted by Ctrl-C (SIGINT), 143 by SIGTERM: the run stops and its record is kept; a\n' +
        'second signal quits at once. Progress goes to stderr (live on a terminal, one line per change\n' +
        'elsewhere); stdout keeps what the stages print, or, with --json, the events and nothing else.\n' +
        'Runs are recorded in .tsdags/ (see `tsdags runs`); --resume runs only what did not finish.\n' +
        'With --redis, stages run on `tsdags worker` processes, on any machine that reaches that Redis;\n' +
        'set --cores to their total concurrency; the record is kept in that Redis unless --store-dir is\n' +
        'given (read it with `tsdags runs --redis`). See docs/distributed.md.',
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
    .option('--retries <n>', 'try a failed stage again up to n times, with back-off (default: 0)')
    .option('--timeout <ms>', 'fail an attempt that runs longer than ms milliseconds (default: none)')
    .option('--cache', 'reuse stored results of stages whose code, arguments and inputs are unchanged')
    .addOption(
      new Option(
        '--resume [runId]',
        'resume a run (default: the last one of this pipeline): stages with a stored result do not run again',
      ).argParser(resumeArgument),
    )
    .option('--store-dir <dir>', 'where runs, results and the cache are kept (default: .tsdags)')
    .option('--no-store', 'keep no record of the run (no resume, no cache)')
    .option('--run-id <id>', "the run's id, letters, digits, '_' and '-' (default: a new time-ordered one)")
    .addOption(
      new Option(
        '--redis <url>',
        'run worker stages on remote workers (tsdags worker <file> --redis <url>) through this Redis',
      ).env(redisEnv),
    )
    .option('--queue <name>', 'with --redis: the BullMQ queue the workers take stages from (default: tsdags)')
    .option(
      '--redis-prefix <prefix>',
      'with --redis: keep the run record (and ctx.store) under this Redis key prefix (default: tsdags)',
    )
    .option('--svg <file>', 'after the run, draw the pipeline with its stages coloured by state')
    .option('--timeline <file>', 'after the run, draw which stage ran when, on which thread')
    .option('--json', 'print one JSON event per line on stdout, and nothing else there')
    .option('--verbose', 'show stack traces')
    .action(runFile);
}

async function runFile(file: string, flags: RunFlags, command: Command): Promise<void> {
  const flagOptions = toRunOptions(flags);
  // Under --json, stdout is kept for the events before the module loads: its top level may print.
  const json = flags.json ? new JsonReporter() : undefined;
  const loaded = await loadPipeline(file);
  const { pipeline } = loaded;
  const options = mergeRunOptions(loaded.options, flagOptions, flags.redisPrefix);
  if (options.executor === 'bullmq' && options.redis !== undefined)
    await checkRedisCredentials(options.redis);
  await checkRunRecord(options);
  // The reporter exists before the run: main-thread stages can start (and print) inside run().
  const reporter = json ?? createReporter(flags, pipeline.name);
  let run: Run;
  try {
    run = startRun(pipeline, options);
  } catch (error) {
    reporter.close();
    throw error;
  }
  const stopping = stopOnSignals(run, (message) => reporter.note(message));
  let result: RunResult;
  try {
    run.events.subscribe({ next: (event) => reporter.event(event) });
    result = await run.done;
    reporter.finish(result);
    if (flags.svg !== undefined) {
      await result.visualize(flags.svg);
      reporter.note(`wrote ${flags.svg}`);
    }
    if (flags.timeline !== undefined) {
      await result.timeline(flags.timeline);
      reporter.note(`wrote ${flags.timeline}`);
    }
    if (result.status !== 'succeeded' && options.storeDir !== false) {
      reporter.note(
        `To run only the stages that did not succeed: ${resumeCommand(file, flags, command, result.runId)}`,
      );
    }
  } finally {
    stopping.off();
    reporter.close();
  }
  if (result.status === 'cancelled') {
    const signal = stopping.signal();
    throw signal ? new InterruptedError(signal) : new CancelledError('interrupted');
  }
  if (result.status === 'failed') {
    const errors = result.errors;
    throw errors.length === 1 ? errors[0]! : new RunFailedError(errors);
  }
}

// `tsdags run --resume pipeline.ts` reads the file as the run id (the value is optional):
// say so, rather than that the file argument is missing.
function resumeArgument(value: string): string {
  if (/\.[cm]?[jt]sx?$/i.test(value)) {
    throw new InvalidArgumentError(
      `"${value}" looks like a pipeline file, not a run id: put --resume after the file ` +
        `(tsdags run ${value} --resume), or give a run id as \`tsdags runs\` lists them.`,
    );
  }
  return value;
}

// pipeline.run() throws before any stage runs when the pipeline or the options are wrong (a
// CycleError, a DuplicateStageError, a TypeError): bad usage, whatever the class. It also opens the
// run's record: a store directory that cannot be written is said in one sentence, naming it.
function startRun(pipeline: Pipeline, options: RunOptions): Run {
  try {
    return pipeline.run(options);
  } catch (error) {
    if (error instanceof TsdagsError) throw error;
    if (error instanceof TypeError) throw new TsdagsError('BAD_USAGE', error.message, { cause: error });
    if (error instanceof Error && typeof (error as NodeJS.ErrnoException).syscall === 'string') {
      const dir = resolve(typeof options.storeDir === 'string' ? options.storeDir : '.tsdags');
      throw new TsdagsError(
        'STORE_UNWRITABLE',
        `Could not write the run record in ${dir}: ${error.message}. Point --store-dir at a directory ` +
          'tsdags can write, or pass --no-store.',
        { cause: error },
      );
    }
    throw error;
  }
}

// The command that resumes the run: with the flags that say where its record and its workers are
// (--redis taken from TSDAGS_REDIS is found there again; a password typed in it is not echoed).
function resumeCommand(file: string, flags: RunFlags, command: Command, runId: string): string {
  const words = ['tsdags', 'run', file];
  if (flags.storeDir !== undefined) words.push('--store-dir', flags.storeDir);
  if (flags.redis !== undefined && command.getOptionValueSource('redis') === 'cli') {
    words.push('--redis', /\/\/[^/@]*@/.test(flags.redis) ? '<url>' : flags.redis);
  }
  if (flags.redisPrefix !== undefined) words.push('--redis-prefix', flags.redisPrefix);
  if (flags.queue !== undefined) words.push('--queue', flags.queue);
  return [...words, '--resume', runId].join(' ');
}

function createReporter(flags: RunFlags, name: string): Reporter {
  const verbose = flags.verbose ?? false;
  if (process.stderr.isTTY) return new ProgressDisplay(process.stderr, { name, verbose });
  return new PlainReporter(process.stderr, { verbose });
}
