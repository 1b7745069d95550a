/**
 * A remote worker's stage on its main thread settles as it would from a worker thread: values and
 * errors cross by structured clone, process.exit() fails the stage, and its run time is told.
 */
import { UncloneableValueError, stage } from 'tsdags';
import { runOnMainThread } from '../../lib/remote/main-thread-run.js';

class ShapeError extends Error {
  readonly code = 'E_SHAPE';
}

const give = stage(function give(value: unknown) {
  return value;
});
const later = stage(async function later(value: unknown) {
  await Promise.resolve();
  return value;
});
const shaped = stage(function shaped() {
  throw new ShapeError('bad shape');
});
const exits = stage(function exits() {
  process.exit(7);
});

const run = (s: ReturnType<typeof give>, args: unknown[], times: number[] = []) =>
  runOnMainThread(s.definition, s.name, args, (ms) => times.push(ms));

test('a result crosses as from a thread: a Buffer arrives as a Uint8Array, a copy, not the same object', async () => {
  const kept = { n: 1 };
  for (const s of [give(0), later(0)]) {
    const bytes = (await run(s, [Buffer.from('ab')])) as Uint8Array;
    expect([Buffer.isBuffer(bytes), bytes instanceof Uint8Array, String(bytes)]).toEqual([
      false,
      true,
      '97,98',
    ]);
    const copy = await run(s, [kept]);
    expect(copy).toEqual(kept);
    expect(copy).not.toBe(kept);
  }
  expect(await run(give(0), [undefined])).toBeUndefined();
});

test('a result structured clone refuses fails with UncloneableValueError naming the stage', async () => {
  const s = give(0).named('fn-out');
  await expect(run(s, [() => 1])).rejects.toThrow(UncloneableValueError);
  await expect(run(s, [() => 1])).rejects.toThrow(/fn-out/);
});

test('an error crosses as from a thread: its message and stack, not its class or fields', async () => {
  const error = (await run(shaped(), []).catch((e: unknown) => e)) as Error & { code?: string };
  expect(error).not.toBeInstanceOf(ShapeError);
  expect([error.name, error.message, error.code]).toEqual(['Error', 'bad shape', undefined]);
  expect(error.stack).toContain('bad shape');
});

test('process.exit() fails the stage and is itself again afterwards', async () => {
  const exit = process.exit;
  await expect(run(exits(), [])).rejects.toThrow(
    "process.exit(7) was called by a stage running on the worker's main thread",
  );
  expect(process.exit).toBe(exit);
});

test('its run time is told once, as it ends, whether it succeeds or fails', async () => {
  const times: number[] = [];
  await run(give(0), [1], times);
  await run(later(0), [1], times);
  await run(shaped(), [], times).catch(() => {});
  expect(times).toHaveLength(3);
  for (const ms of times) expect(ms).toBeGreaterThanOrEqual(0);
});
