import { InternalError } from '../errors.js';
import type { ResourceLimits } from '../stage/stage.js';
import { hasRoom, Lane, type LaneAnswers, type LaneTask } from './worker-lane.js';
import { hasStarted, revokeTask, startStamp } from './worker-protocol.js';

/**
 * The worker executor's lanes (worker-thread.ts): up to one per core, made as stages need them,
 * and a lane of its own for each stage with resourceLimits, ended after it. It decides which lane
 * a stage goes to, and moves the stages waiting behind a busy lane to an idle one.
 */
export class LaneSet {
  readonly #shared: Lane[] = [];
  readonly #own = new Set<Lane>();
  readonly #cores: number;
  readonly #warm: number;
  readonly #answers: LaneAnswers;
  // Sends a task moved to another lane (the executor's #send).
  readonly #send: (lane: Lane, task: LaneTask) => void;
  /**
   * The module of the first stage run here: every lane's thread imports it as it boots, so a lane
   * booted beside the first stage's (warm) is ready for the next stages when they come, instead of
   * importing it then (about 100 ms of a core here, when the module imports tsdags).
   */
  preload: string | undefined;

  /** `warm`: how many lanes the first stage starts at once, so their threads boot while it runs. */
  constructor(cores: number, warm: number, answers: LaneAnswers, send: (lane: Lane, task: LaneTask) => void) {
    this.#cores = cores;
    this.#warm = Math.min(cores, warm);
    this.#answers = answers;
    this.#send = send;
  }

  /** The lanes shared by stages, then those of one stage each. */
  get all(): Lane[] {
    return [...this.#shared, ...this.#own];
  }

  /** The lanes shared by stages. */
  get shared(): readonly Lane[] {
    return this.#shared;
  }

  /** The lanes of one stage each. */
  get own(): ReadonlySet<Lane> {
    return this.#own;
  }

  /** Whether the lane is a stage's own. */
  isOwn(lane: Lane): boolean {
    return this.#own.has(lane);
  }

  /** Stages running or about to: one per lane that holds a task. */
  running(): number {
    let running = this.#own.size;
    for (const lane of this.#shared) if (lane.tasks.length > 0) running++;
    return running;
  }

  /** Whether a stage of this depth (RunTimes.depthOf) may wait behind one that runs. */
  hasRoom(depth: number): boolean {
    for (const lane of this.#shared) if (hasRoom(lane, depth)) return true;
    return false;
  }

  /** An idle lane while fewer than `cores` stages run; else the busy lane with room holding least. */
  laneFor(depth: number): Lane {
    const idle = this.#idleLane();
    if (idle) return idle;
    let best: Lane | undefined;
    for (const lane of this.#shared) {
      if (hasRoom(lane, depth) && (best === undefined || lane.tasks.length < best.tasks.length)) best = lane;
    }
    if (best) return best;
    throw new InternalError('more worker stages in flight than the worker lanes hold');
  }

  /** A lane of its own for a stage with memory limits: a thread made with them. */
  ownLane(limits: ResourceLimits): Lane {
    const lane = new Lane(limits, this.preload, this.#answers);
    this.#own.add(lane);
    return lane;
  }

  /** Forgets a stage's own lane once its stage is over; false for a shared lane. */
  release(lane: Lane): boolean {
    return this.#own.delete(lane);
  }

  /** Every lane, forgotten: the executor is closing. */
  takeAll(): Lane[] {
    const lanes = [...this.#shared.splice(0), ...this.#own];
    this.#own.clear();
    return lanes;
  }

  /** Stages waiting behind a busy lane move to an idle lane, if there is one. */
  stealForIdleLane(): void {
    if (!this.#shared.some((lane) => lane.tasks.length > 1)) return;
    const idle = this.#idleLane();
    if (idle) this.steal(idle);
  }

  /**
   * The stages sent ahead to a busy lane wait there until that lane's stage ends, which may be
   * long after this lane went idle: they move here instead, unless that stage only just started
   * (short stages end before a move would pay for itself). Those its thread took up stay.
   */
  steal(idle: Lane): void {
    idle.uncrowd();
    const time = performance.timeOrigin + performance.now();
    for (const lane of this.#shared) {
      const running = lane.tasks[0];
      if (lane.tasks.length < 2 || !hasStarted(running!.channel, running!.ticket)) continue;
      if (time - startStamp(running!.channel, running!.ticket) < stealAfterMs) continue;
      let k = lane.tasks.length;
      while (k > 1 && revokeTask(lane.tasks[k - 1]!.channel, lane.tasks[k - 1]!.ticket)) k--;
      if (k === lane.tasks.length) continue;
      for (const task of lane.tasks.splice(k)) {
        idle.tasks.push(task);
        this.#send(idle, task);
      }
      return;
    }
  }

  // A lane with nothing to run, made if fewer than cores exist; undefined when none is free.
  #idleLane(): Lane | undefined {
    if (this.running() >= this.#cores) return undefined;
    for (const lane of this.#shared) {
      if (lane.tasks.length > 0) continue;
      lane.uncrowd();
      return lane;
    }
    if (this.#shared.length >= this.#cores) return undefined;
    const lane = new Lane(undefined, this.preload, this.#answers);
    this.#shared.push(lane);
    // With the first stage, boot the other lanes too: their threads start while it runs.
    if (this.#shared.length === 1)
      while (this.#shared.length < this.#warm)
        this.#shared.push(new Lane(undefined, this.preload, this.#answers));
    return lane;
  }
}

const stealAfterMs = 1;
