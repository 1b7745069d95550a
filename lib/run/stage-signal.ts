import type { Subscriber, TeardownLogic } from 'rxjs';
import { Observable } from './rx.js';

/**
 * A stage's outcome as an Observable: emits the stage's result once and completes, or errors.
 * Late subscribers get the settled outcome. Unlike a Subject, unsubscribing is O(1) (the slot is
 * cleared, not spliced out) and settling drops every subscriber at once, so fan-out of any width
 * stays linear (DESIGN.md, trap 3) and nothing per-subscriber is kept after the run (trap 4).
 */
export class StageSignal<T = unknown> extends Observable<T> {
  #subscribers: (Subscriber<T> | undefined)[] | undefined = [];
  #settled = false;
  #failed = false;
  #value: T | undefined;
  #error: unknown;

  // Observable.subscribe() calls _subscribe(); RxJS's own Subject overrides it the same way.
  protected _subscribe(subscriber: Subscriber<T>): TeardownLogic {
    if (this.#settled) {
      if (this.#failed) subscriber.error(this.#error);
      else {
        subscriber.next(this.#value as T);
        subscriber.complete();
      }
      return;
    }
    const subscribers = this.#subscribers!;
    const slot = subscribers.push(subscriber) - 1;
    return () => {
      if (this.#subscribers === subscribers) subscribers[slot] = undefined;
    };
  }

  get settled(): boolean {
    return this.#settled;
  }

  resolve(value: T): void {
    const subscribers = this.#settle();
    this.#value = value;
    if (subscribers) {
      for (const subscriber of subscribers) {
        if (subscriber) {
          subscriber.next(value);
          subscriber.complete();
        }
      }
    }
  }

  reject(error: unknown): void {
    const subscribers = this.#settle();
    this.#failed = true;
    this.#error = error;
    if (subscribers) for (const subscriber of subscribers) subscriber?.error(error);
  }

  #settle(): (Subscriber<T> | undefined)[] | undefined {
    if (this.#settled) return undefined;
    this.#settled = true;
    const subscribers = this.#subscribers;
    this.#subscribers = undefined;
    return subscribers;
  }
}
