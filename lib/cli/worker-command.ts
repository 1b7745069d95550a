import { TsdagsError } from '../errors.js';
import { remoteThreads, type RemoteThread } from '../remote/job-runner.js';
import { Option, type Command } from 'commander';
import { workerCommand, type WorkerCommandOptions } from '../remote/worker-command.js';
import { checkPipelineFile } from './load-pipeline.js';
import { parseConcurrency, parseQueueName, parseRedisUrl, redisEnv } from './remote-flags.js';

/** The flags of `tsdags worker`, as commander parsed them. */
export interface WorkerFlags {
  redis: string;
  concurrency?: string;
  queue?: string;
  thread?: string;
  verbose?: boolean;
}

/** `tsdags worker <file> --redis <url>`: runs a pipeline file's stages for orchestrators elsewhere. */
export function addWorkerCommand(program: Command): void {
  program
    .command('worker')
    .summary("run a pipeline file's stages for `tsdags run --redis` on other machines")
    .description(
      'Run the stages that a pipeline file defines, as jobs that orchestrators (`tsdags run <file> --redis ' +
        '<url>`) put on a BullMQ queue in Redis, until SIGTERM or SIGINT. The file is imported once; its ' +
        'own start() or run() calls do nothing here. A job names a stage of this file: a job naming any ' +
        'other stage, or carrying a module path or code, fails and runs nothing.',
    )
    .addHelpText(
      'after',
      '\nThe first SIGTERM or SIGINT lets the running stages finish, then the worker exits 0; a second one\n' +
        'stops them at once and puts their jobs back on the queue for another worker. A worker killed\n' +
        "outright (SIGKILL, a lost machine) has its jobs re-run elsewhere once BullMQ's job lock expires\n" +
        '(30 s). Exit codes: 0 stopped by a signal, 2 bad usage or a pipeline file that does not load.\n' +
        'See docs/distributed.md.',
    )
    .argument('<file>', 'the pipeline file the orchestrator runs (.ts or .js), the same code')
    .addOption(
      new Option(
        '--redis <url>',
        'where Redis is: redis://[user:password@]host:port[/db], or rediss://... for TLS',
      )
        .env(redisEnv)
        .makeOptionMandatory(),
    )
    .option('--concurrency <n>', "run at most n stages at once (default: the machine's cores)")
    .option('--queue <name>', "the BullMQ queue: the orchestrator's --queue (default: tsdags)")
    .option(
      '--thread <where>',
      'where stages run: auto (the default: short stages on the main thread, others on worker threads), ' +
        "worker (always threads) or main (this process's main thread, for I/O-bound stages)",
    )
    .option('--verbose', 'show stack traces')
    .action(runWorker);
}

async function runWorker(file: string, flags: WorkerFlags): Promise<void> {
  const options = toWorkerOptions(flags);
  await checkPipelineFile(file);
  await workerCommand(file, options);
}

/** Maps `tsdags worker` flags onto workerCommand's options, checking each (the message names the flag). */
export function toWorkerOptions(flags: WorkerFlags): WorkerCommandOptions {
  const options: WorkerCommandOptions = { redis: parseRedisUrl(flags.redis) };
  if (flags.concurrency !== undefined) options.concurrency = parseConcurrency(flags.concurrency);
  if (flags.queue !== undefined) options.queue = parseQueueName(flags.queue);
  if (flags.thread !== undefined) options.thread = parseThread(flags.thread);
  return options;
}

function parseThread(text: string): RemoteThread {
  if (remoteThreads.includes(text as RemoteThread)) return text as RemoteThread;
  throw new TsdagsError(
    'BAD_OPTION',
    `Expected --thread to be auto, worker or main, got "${text}": auto runs short stages on this ` +
      "process's main thread and others on worker threads, worker runs every stage on threads, main " +
      "every stage on this process's main thread.",
  );
}
