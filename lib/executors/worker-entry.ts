/**
 * The code a tinypool worker thread runs. It imports the module that defined a stage (once per
 * module and thread), finds the stage's function by name in the registry that module's `stage()`
 * calls filled, and calls it. Importing the module must not start its pipeline again: the
 * registry marks this thread as a worker, so `run()` and `start()` there are inert.
 */
import { types } from 'node:util';
import Tinypool, { kTransferable, kValue } from 'tinypool';
import { enterWorker, lookup } from '../stage/registry.js';
import {
  batchError,
  claimTask,
  isBatchError,
  failureAcknowledged,
  isWorkerFailure,
  revokedTask,
  shortMs,
  signalBooted,
  signalStarted,
  stampEnd,
  workerFailure,
  writeDeathNote,
  type WorkerBatch,
  type WorkerFailure,
  type WorkerTask,
} from './worker-protocol.js';

// A stage that calls process.exit() would end this thread with its task unanswered; make it a
// failure of that stage instead, and keep the thread. Outside a stage (tinypool shutting the
// thread down, or Node ending it after an uncaught error) process.exit() keeps its meaning.
const exit = process.exit.bind(process);
let stagesRunning = 0;
let dying = false;
process.on('uncaughtExceptionMonitor', (error) => {
  dying = true;
  // tinypool failed to post a stage's result back: leave the lane a note saying so.
  if (channel && error?.name === 'DataCloneError') writeDeathNote(channel, error.message);
});
process.exit = ((code?: number | string | null) => {
  if (stagesRunning === 0 || dying) return exit(code);
  throw new Error(
    `process.exit(${code ?? ''}) was called by a stage running in a worker thread. ` +
      'Throw an error to fail the stage instead.',
  );
}) as typeof process.exit;

const { channel, preload } =
  (Tinypool.workerData as { channel?: SharedArrayBuffer; preload?: string } | undefined) ?? {};

const loaded = new Map<string, Promise<void>>();
// Modules whose import stopped at a pipeline's start(): stages defined below it never exist here.
const stoppedAtStart = new Set<string>();

// A lane's tasks run one at a time, in the order they were sent: the next one can arrive while an
// async stage awaits, and waits for its turn here.
let turn: Promise<unknown> = Promise.resolve();

export default function runTasks(message: WorkerTask | WorkerBatch): Promise<unknown> {
  return 'batch' in message ? runBatch(message.batch) : runStage(message);
}

function runStage(task: WorkerTask): Promise<unknown> {
  const mine = turn.then(() => runInTurn(task)).then(movable);
  // The next task is claimed a macrotask later: after tinypool posted this one's answer, or after
  // the process.nextTick in which a result structured clone refused ends the thread. After a
  // failure, only once the main thread has handled it (a run that stops takes the next one back).
  const failed = () => afterFailure(task.ticket);
  turn = mine.then((result) => (isWorkerFailure(result) ? failed() : nextTurn()), failed);
  return mine;
}

// Short stages sent together: they run back to back, and answer together, one outcome each. A
// failure ends the batch: the tasks after it are not claimed (revokedTask), so the main side sees
// the failure before any of them starts, as it would one by one. So does a stage that was not
// short: the answers before it waited for it, those after it need not.
function runBatch(tasks: WorkerTask[]): Promise<unknown> {
  let failedTicket = 0;
  const mine = turn.then(async () => {
    const outcomes: unknown[] = [];
    const buffers = new Set<ArrayBuffer>();
    let over = false;
    for (const task of tasks) {
      if (over) {
        outcomes.push(revokedTask);
        continue;
      }
      const start = performance.now();
      let outcome: unknown;
      try {
        outcome = cloneable(await runInTurn(task), buffers);
      } catch (error) {
        outcome = cloneable({ [batchError]: error }, buffers);
      }
      if (isWorkerFailure(outcome) || isBatchError(outcome)) failedTicket = task.ticket;
      over = failedTicket !== 0 || performance.now() - start >= shortMs;
      outcomes.push(outcome);
    }
    if (buffers.size === 0) return outcomes;
    return Tinypool.move({ [kTransferable]: [...buffers], [kValue]: outcomes });
  });
  turn = mine.then(() => (failedTicket === 0 ? nextTurn() : afterFailure(failedTicket)));
  return mine;
}

function afterFailure(ticket: number): Promise<void> {
  return nextTurn().then(() => channel && failureAcknowledged(channel, ticket));
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

async function runInTurn(task: WorkerTask): Promise<unknown> {
  // Taken back by the main thread before its turn came (its run was cancelled): it never runs.
  if (channel && !claimTask(channel, task.ticket)) return revokedTask;
  await loadOnce(task.module);
  const definition = lookup(task.module, task.name);
  if (definition === undefined) {
    return failure(
      'STAGE_NOT_FOUND',
      stoppedAtStart.has(task.module)
        ? `importing its module reached pipeline.start() or run() before any stage() named "${task.name}" ` +
            '(a worker thread stops there); define every stage above the first start()'
        : `importing its module defines no stage() named "${task.name}"`,
    );
  }
  if (definition === 'ambiguous' || !definition.fn) {
    return failure('STAGE_NOT_FOUND', `its module defines more than one stage() named "${task.name}"`);
  }
  stagesRunning++;
  if (channel) signalStarted(channel, task.ticket);
  try {
    return await definition.fn(...task.args);
  } finally {
    stagesRunning--;
    if (channel) stampEnd(channel, task.ticket);
  }
}

// Buffers are moved to the main thread, not copied.
function movable(result: unknown): unknown {
  return types.isArrayBuffer(result) || types.isArrayBufferView(result) ? Tinypool.move(result) : result;
}

// One outcome of a batch, copied as the stage returned it: the answer goes when the batch ends,
// and a stage may change what it returned before then (an object its module keeps), which a lone
// stage's answer, sent at once, would not show. One that structured clone refuses fails its own
// stage here, not the whole answer (which would end the thread). The copies' buffers are moved.
function cloneable(outcome: unknown, buffers: Set<ArrayBuffer>): unknown {
  const type = typeof outcome;
  if (outcome === null || (type !== 'object' && type !== 'function' && type !== 'symbol')) return outcome;
  let copy: unknown;
  try {
    copy = structuredClone(outcome);
  } catch (error) {
    return failure('UNCLONEABLE_VALUE', String((error as { message?: unknown } | null)?.message ?? error));
  }
  if (types.isArrayBuffer(copy)) buffers.add(copy);
  else if (types.isArrayBufferView(copy) && types.isArrayBuffer(copy.buffer)) buffers.add(copy.buffer);
  return copy;
}

function loadOnce(module: string): Promise<void> {
  let loading = loaded.get(module);
  if (!loading) loaded.set(module, (loading = load(module)));
  return loading;
}

// Resolves when the module finished loading, or when its top level reached a pipeline's start():
// there it waits forever (start() is inert in a worker), but every stage() above it has run.
async function load(module: string): Promise<void> {
  if (typeScriptFile.test(module)) await registerTypeScript();
  return new Promise<void>((resolve, reject) => {
    enterWorker(() => {
      stoppedAtStart.add(module);
      resolve();
    });
    import(module).then(
      () => resolve(),
      (cause: unknown) =>
        reject(
          new Error(
            `A worker thread could not import ${module}: ${cause instanceof Error ? cause.message : String(cause)}`,
            { cause },
          ),
        ),
    );
  });
}

const typeScriptFile = /\.[cm]?tsx?$/;
let typeScript: Promise<void> | undefined;

// tsx registers its loader on the main thread only; a worker importing a .ts stage module needs
// its own registration (once per thread).
function registerTypeScript(): Promise<void> {
  return (typeScript ??= import('tsx/esm/api').then(({ register }) => {
    register();
  }));
}

function failure(code: WorkerFailure['code'], detail: string): WorkerFailure {
  return { [workerFailure]: true, code, detail };
}

// The module of the run's first stage loads as the thread boots (last: load() needs the constants
// above); a failure is its stages' to say. The main side learns the thread got this far: a top
// level that blocks the thread in that import keeps it from ever taking a task up.
if (channel) signalBooted(channel);
if (preload !== undefined) loadOnce(preload).catch(() => {});
