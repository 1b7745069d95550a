type AnyWrite = (...args: unknown[]) => boolean;

/** A stream whose `write` goes through a hook; `raw` writes past the hook. */
export interface HookedStream {
  raw(text: string): boolean;
  restore(): void;
}

/**
 * Routes every write to a process stream (console.log, `process.stdout.write`, and the output of
 * worker threads, which Node pipes into the parent's stream) through `hook`. The CLI uses it to
 * keep stdout pure JSON under --json, and to lift the live progress display out of the way of a
 * stage's output on a terminal.
 */
export function hookWrites(
  stream: NodeJS.WriteStream,
  hook: (args: unknown[], write: AnyWrite) => boolean,
): HookedStream {
  const own = Object.prototype.hasOwnProperty.call(stream, 'write');
  const original = stream.write;
  const write = (original as AnyWrite).bind(stream);
  stream.write = ((...args: unknown[]) => hook(args, write)) as typeof stream.write;
  return {
    raw: (text) => write(text),
    restore() {
      if (own) stream.write = original;
      else delete (stream as { write?: unknown }).write;
    },
  };
}

/**
 * Sends what anyone writes to stdout to stderr instead, keeping stdout for one kind of output
 * (`--json` events, an SVG); `raw` still writes to stdout.
 */
export function divertStdout(): HookedStream {
  const stderr = process.stderr;
  return hookWrites(process.stdout, (args) => (stderr.write as AnyWrite).apply(stderr, args));
}
