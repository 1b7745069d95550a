import type { Redis } from 'ioredis';

// Streams corked until the loop's next turn.
const corked = new WeakSet<object>();

/**
 * Holds a client's writes until the event loop's next turn, so that the commands sent in this tick
 * (a job per stage made ready by one settled stage, say) leave in one socket write instead of one
 * each. Unlike an ioredis pipeline, each command stays a plain one: a script already known on the
 * connection goes as its hash, not its whole Lua body (ioredis sends the body once per pipeline).
 */
export function batchWrites(client: Redis): void {
  const stream = client.status === 'ready' ? client.stream : undefined;
  if (!stream || corked.has(stream)) return;
  corked.add(stream);
  stream.cork();
  setImmediate(() => {
    corked.delete(stream);
    stream.uncork();
  });
}
