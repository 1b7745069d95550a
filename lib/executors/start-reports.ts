import type { LaneSet } from './lane-set.js';
import { begin, reportStart, type Lane, type LaneTask } from './worker-lane.js';

/**
 * When the worker executor's stages say they started (Attempt.begin, the `stage:start` event). A
 * stage starts when its thread calls its function, not when it is sent; a timed stage says so at
 * once (worker-thread.ts), the others are not woken for: their start is read from their lane with
 * their end, or every startsPollMs while any has not said so. Events keep the order things
 * happened in, and never show more stages running than cores.
 */
export class StartReports {
  readonly #lanes: LaneSet;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(lanes: LaneSet) {
    this.#lanes = lanes;
  }

  /**
   * Every startsPollMs while untimed stages are in flight: those that started since say so, so a
   * long stage shows as running soon after it starts, not only when it ends.
   */
  watch(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#report();
      // A lane idle since a stage moved no stages to it (the one they wait behind had only just
      // started) takes them over now, if it still runs.
      this.#lanes.stealForIdleLane();
      if (this.#lanes.all.some((lane) => lane.tasks.some((task) => !task.begun))) this.watch();
    }, startsPollMs).unref();
  }

  /** No more polling: the executor is closing. */
  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /**
   * A stage's end, after its start: a stage that has not said it started yet does so first, behind
   * the engine's reaction to the end of the stage before it on its lane (tinypool may answer both
   * in one turn). `settle` settles its attempt; `ahead`: the stage on its lane that ends after it.
   */
  ended(task: LaneTask, settle: () => void, ahead?: LaneTask): void {
    const lane = task.lane;
    lane.endsWaiting++;
    const go = () => {
      begin(task);
      // Its own lane's next stage says so after this end is announced (beginNext).
      this.#report(lane);
      settle();
      // The end is announced by the engine's reaction to settle(), a microtask queued just now:
      // until it has run, no other lane's end may announce this lane's next start.
      queueMicrotask(() => lane.endsWaiting--);
    };
    if (ahead) {
      // Not the last to end on its lane: the stage ahead is; behind its end.
      void ahead.promise!.then(go, go);
      return;
    }
    const before = lane.lastEnded;
    lane.lastEnded = task.promise;
    if (task.begun) go();
    else if (before) before.then(go, go);
    else queueMicrotask(go);
  }

  // Stages that started and have not said so yet do, before another stage's end is announced.
  // Each lane's first stage only, and not while the end of the stage before it waits to be
  // announced (ended).
  #report(except?: Lane): void {
    for (const lane of this.#lanes.shared) if (lane !== except) reportStart(lane);
    for (const lane of this.#lanes.own) if (lane !== except) reportStart(lane);
  }
}

const startsPollMs = 50;
