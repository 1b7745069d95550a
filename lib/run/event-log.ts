import type { Subscriber } from 'rxjs';
import { Observable } from './rx.js';
import type { RunEvent } from './events.js';

/**
 * The run's events, kept in order and replayed to every subscriber from the start, then followed
 * live. Unlike a ReplaySubject it does no per-event work for subscribers that are not there.
 */
export class EventLog {
  readonly events: RunEvent[] = [];
  readonly observable: Observable<RunEvent>;
  // Each live subscriber with how many events it has seen: one that subscribes while an event is
  // being emitted has seen it in its replay, and must not get it twice.
  #live = new Map<Subscriber<RunEvent>, number>();
  #closed = false;

  constructor() {
    this.observable = new Observable<RunEvent>((subscriber) => {
      // Replay by index: events emitted while replaying are appended and reached by the same loop.
      for (let i = 0; i < this.events.length && !subscriber.closed; i++) subscriber.next(this.events[i]!);
      if (this.#closed) {
        subscriber.complete();
        return;
      }
      this.#live.set(subscriber, this.events.length);
      return () => this.#live.delete(subscriber);
    });
  }

  emit(event: RunEvent): void {
    const count = this.events.push(event);
    if (this.#live.size === 0) return;
    for (const [subscriber, seen] of this.#live) {
      if (seen >= count) continue;
      this.#live.set(subscriber, count);
      subscriber.next(event);
    }
  }

  close(): void {
    this.#closed = true;
    for (const subscriber of this.#live.keys()) subscriber.complete();
    this.#live.clear();
  }
}
