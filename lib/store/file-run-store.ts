import { closeSync, existsSync, openSync, readdirSync, readFileSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomicSync } from './files.js';
import { checkRunId, sha256 } from './keys.js';
import { byStart, isRunMeta, notRunMeta, parseLine, storedValue, summaryOf } from './record-reading.js';
import type { RecordLine, RunMeta, RunSummary } from './run-record.js';
import type { RunLog, RunStore, StoredRun } from './run-store.js';
import { RunNotFoundError, StoreCorruptError } from './store-errors.js';
import { TsdagsError } from '../errors.js';

export type { StoredRun } from './run-store.js';

// pipelines/<hash>.json: names and durations in two arrays, which a new process parses in half the
// time of one object keyed by name (JSON.parse makes each key a property: 8 ms for 10,000 stages).
interface DurationsFile {
  readonly pipeline: string;
  readonly stages: readonly string[];
  readonly ms: readonly number[];
}
// What tsdags wrote there before: read, no longer written.
interface OldDurationsFile {
  readonly pipeline: string;
  readonly durations: Readonly<Record<string, number>>;
}

/**
 * Run records and stage results as files under one directory (`.tsdags/` by default):
 *
 *     runs/<runId>/run.json        the run's header (RunMeta), rewritten atomically
 *     runs/<runId>/events.jsonl    every event, one JSON per line, appended as it happens
 *     runs/<runId>/results/*.bin   stage results too large to sit inline in their line
 *     cache/<key>.bin              cached stage results, by input hash
 *     pipelines/<hash>.json        stage durations of a pipeline's last run (priority weights)
 *
 * Nothing to install, and a crash loses at most the line being written.
 */
export class FileRunStore implements RunStore {
  readonly dir: string;
  readonly writeAdvice =
    'Check that the store directory is writable and has room, or run with storeDir: false to keep no record.';

  constructor(dir: string) {
    this.dir = resolve(dir);
  }

  get location(): string {
    return this.dir;
  }

  runDir(runId: string): string {
    return join(this.dir, 'runs', checkRunId(runId));
  }

  /** Starts a run's record: writes its header and opens its event log for appending. */
  beginRun(meta: RunMeta): RunLogWriter {
    const dir = this.runDir(meta.runId);
    if (existsSync(join(dir, 'run.json'))) {
      throw new TsdagsError(
        'RUN_EXISTS',
        `Expected a new run id, got "${meta.runId}", which ${this.dir} already holds. Resume it with ` +
          `{ resume: '${meta.runId}' } (a new run id), or pick another runId.`,
      );
    }
    return new RunLogWriter(dir, meta);
  }

  hasRun(runId: string): boolean {
    return existsSync(join(this.runDir(runId), 'run.json'));
  }

  /** Every stored run, oldest first. */
  listRuns(): RunSummary[] {
    const runsDir = join(this.dir, 'runs');
    if (!existsSync(runsDir)) return [];
    const runs = readdirSync(runsDir)
      .sort()
      .flatMap((runId) => {
        const file = join(runsDir, runId, 'run.json');
        if (!existsSync(file)) return [];
        return [summaryOf(readMeta(file))];
      });
    return runs.sort(byStart);
  }

  /** Reads a run back: by id, or `'last'` for the latest run (of `pipeline`, when given). */
  readRun(runId: string, pipeline?: string): StoredRun {
    const id = runId === 'last' ? this.#lastRunId(pipeline) : checkRunId(runId);
    const dir = join(this.dir, 'runs', id);
    const metaFile = join(dir, 'run.json');
    if (!existsSync(metaFile)) throw new RunNotFoundError(runId, this.dir);
    const meta = readMeta(metaFile);
    const eventsFile = join(dir, 'events.jsonl');
    const { lines, warnings } = existsSync(eventsFile)
      ? readLines(eventsFile)
      : { lines: [], warnings: [`${eventsFile} is missing: no stage of run ${id} is reused`] };
    return {
      meta,
      lines,
      warnings,
      result(line) {
        const fileOf = (name: string) => join(dir, 'results', name);
        return storedValue(
          line,
          (name) => {
            if (!existsSync(fileOf(name))) {
              throw new StoreCorruptError(
                fileOf(name),
                `is missing: it held the result of stage "${line.stage}"`,
              );
            }
            return readFileSync(fileOf(name));
          },
          (inline) =>
            new StoreCorruptError(
              inline || !line.result || !('file' in line.result) ? eventsFile : fileOf(line.result.file),
              `holds a result of stage "${line.stage}" that cannot be decoded`,
            ),
        );
      },
    };
  }

  cacheFile(key: string): string {
    return join(this.dir, 'cache', `${key}.bin`);
  }

  readCache(key: string): Uint8Array | undefined {
    const file = this.cacheFile(key);
    return existsSync(file) ? readFileSync(file) : undefined;
  }

  writeCache(key: string, bytes: Uint8Array): void {
    writeFileAtomicSync(this.cacheFile(key), bytes);
  }

  /** Stage durations of the pipeline's last run, ms by stage name. */
  readDurations(pipeline: string): Map<string, number> | undefined {
    const file = this.#durationsFile(pipeline);
    if (!existsSync(file)) return undefined;
    try {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<DurationsFile & OldDurationsFile>;
      const durations = new Map<string, number>();
      const { stages, ms } = parsed;
      if (Array.isArray(stages) && Array.isArray(ms)) {
        for (let k = 0; k < stages.length; k++)
          if (typeof ms[k] === 'number') durations.set(stages[k]!, ms[k]!);
      } else {
        const old = parsed.durations ?? {};
        for (const name in old) if (typeof old[name] === 'number') durations.set(name, old[name]);
      }
      return durations;
    } catch {
      return undefined; // Only a scheduling hint: a damaged file is ignored.
    }
  }

  writeDurations(pipeline: string, durations: Record<string, number>): void {
    const file = this.#durationsFile(pipeline);
    const stages: string[] = [];
    const ms: number[] = [];
    for (const name in durations) {
      stages.push(name);
      ms.push(durations[name]!);
    }
    const text = JSON.stringify({ pipeline, stages, ms } satisfies DurationsFile);
    // Not synced to the disk: a file a power cut emptied is ignored, as a damaged one is.
    writeFileAtomicSync(file, text, { sync: false });
  }

  #durationsFile(pipeline: string): string {
    return join(this.dir, 'pipelines', `${sha256(pipeline).slice(0, 32)}.json`);
  }

  async close(): Promise<void> {
    // Nothing held open between calls: each run's log is closed by its writer.
  }

  #lastRunId(pipeline: string | undefined): string {
    const runs = this.listRuns().filter((r) => pipeline === undefined || r.pipeline === pipeline);
    const last = runs.at(-1);
    if (!last) throw new RunNotFoundError('last', this.dir);
    return last.runId;
  }
}

/**
 * Appends a run's events to its log; `flush()` makes them durable. Lines wait in memory until the
 * next flush (the recorder flushes with every line it must not lose: a `stage:done`, an error, the
 * run's end), and go out in one write, so a crash loses at most the lines since the last of those.
 */
export class RunLogWriter implements RunLog {
  readonly dir: string;
  #meta: RunMeta;
  // The header's stage list as JSON: the same at the run's start and end, and most of the header.
  readonly #stages: string;
  #fd: number;
  #pending = '';

  /** Writes the run's header and opens its event log. */
  constructor(dir: string, meta: RunMeta) {
    this.dir = dir;
    this.#meta = meta;
    this.#stages = JSON.stringify(meta.stages);
    this.#writeHeader();
    this.#fd = openSync(join(dir, 'events.jsonl'), 'a');
  }

  get location(): string {
    return this.dir;
  }

  append(json: string): void {
    this.#pending += `${json}\n`;
  }

  /** Writes what is pending, in one system call when the system takes it all at once. */
  flush(): void {
    if (this.#pending === '' || this.#fd < 0) return;
    // Taken before the write: lines a failed write may have half written are not written again, as a
    // line repeated after half of it would make the log unreadable past it.
    const text = this.#pending;
    this.#pending = '';
    const written = writeSync(this.#fd, text);
    // A write to a file can come back short (a full disk, a signal): the rest goes on, or fails.
    if (written !== text.length && written !== Buffer.byteLength(text)) writeRest(this.#fd, text, written);
  }

  writeResult(stage: string, bytes: Uint8Array): string {
    const name = `${sha256(stage).slice(0, 40)}.bin`;
    writeFileAtomicSync(join(this.dir, 'results', name), bytes);
    return name;
  }

  /** Flushes, closes the log and rewrites the header with the run's outcome. */
  close(outcome: Pick<RunMeta, 'status' | 'finishedAt' | 'counts'>): void {
    this.flush();
    if (this.#fd >= 0) closeSync(this.#fd);
    this.#fd = -1;
    this.#meta = { ...this.#meta, ...outcome };
    this.#writeHeader();
  }

  #writeHeader(): void {
    // JSON.stringify leaves out the undefined stages; they go last, as text made once.
    const rest = JSON.stringify({ ...this.#meta, stages: undefined });
    writeFileAtomicSync(join(this.dir, 'run.json'), `${rest.slice(0, -1)},"stages":${this.#stages}}`);
  }
}

// `written` bytes of `text` are in the file: writes the others.
function writeRest(fd: number, text: string, written: number): void {
  const bytes = Buffer.from(text);
  for (let at = written; at < bytes.length;) at += writeSync(fd, bytes, at, bytes.length - at);
}

function readMeta(file: string): RunMeta {
  let meta: RunMeta;
  try {
    meta = JSON.parse(readFileSync(file, 'utf8')) as RunMeta;
  } catch {
    throw new StoreCorruptError(file, 'is not valid JSON');
  }
  if (!isRunMeta(meta)) throw new StoreCorruptError(file, notRunMeta);
  return meta;
}

// A line cut short by a crash can only be the last one: it is skipped with a warning. A bad line
// anywhere else means the file is not what tsdags wrote.
function readLines(file: string): { lines: RecordLine[]; warnings: string[] } {
  const text = readFileSync(file, 'utf8');
  const raw = text.split('\n');
  if (raw.at(-1) === '') raw.pop();
  const lines: RecordLine[] = [];
  const warnings: string[] = [];
  raw.forEach((line, k) => {
    const parsed = parseLine(line);
    if (parsed) lines.push(parsed);
    else if (k === raw.length - 1 && !text.endsWith('\n')) {
      warnings.push(
        `${file}: its last line is incomplete (the run was interrupted while writing it) and was ignored`,
      );
    } else {
      throw new StoreCorruptError(file, `has a line that is not a tsdags event (line ${k + 1})`);
    }
  });
  return { lines, warnings };
}
