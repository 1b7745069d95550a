import { Observable, type Subscriber } from 'rxjs';
import type { RunEvent } from './events.js';

/**
 * The run's events, kept in order and replayed to every subscriber from the start, then followed
 * live. Unlike a ReplaySubject it does no per-event work for subscribers that are not there.
 */
export class EventLog {
  readonly events: RunEvent[] = [];
  readonly observable: Observable<RunEvent>;
  #live = new Set<Subscriber<RunEvent>>();
  #closed = false;

  constructor() {
    this.observable = new Observable<RunEvent>((subscriber) => {
      // Replay by index: events emitted while replaying are appended and reached by the same loop.
      for (let i = 0; i < this.events.length && !subscriber.closed; i++) subscriber.next(this.events[i]!);
      if (this.#closed) {
        subscriber.complete();
        return;
      }
      this.#live.add(subscriber);
      return () => this.#live.delete(subscriber);
    });
  }

  emit(event: RunEvent): void {
    this.events.push(event);
    if (this.#live.size > 0) for (const subscriber of this.#live) subscriber.next(event);
  }

  close(): void {
    this.#closed = true;
    for (const subscriber of this.#live) subscriber.complete();
    this.#live.clear();
  }
}
