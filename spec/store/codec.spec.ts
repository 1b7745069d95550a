import { deserialize, serialize } from 'node:v8';
import { exactJson } from '../../lib/store/codec.js';

const limit = 16 * 1024;

/** What a value becomes after a trip through structured clone (the V8 serializer the store uses). */
function cloned(value: unknown): unknown {
  return deserialize(serialize(value));
}

describe('exactJson()', () => {
  const exact: [string, unknown][] = [
    ['a string', 'text with "quotes", \\, \n and a lone \ud800'],
    ['a number', 1795675258374.537],
    ['an integer', -42],
    ['booleans and null', [true, false, null]],
    ['the [start, end] of a benchmark stage', [1795675258374.537, 1795675258376.125]],
    ['nested arrays and plain objects', { rows: [[1, 2], [3]], meta: { name: 'n', ok: true } }],
    ['an object without a prototype', Object.assign(Object.create(null) as object, { a: 1 })],
    ['integer-like keys', { 2: 'b', 1: 'a', x: 'c' }],
    ['an empty array and object', [[], {}]],
  ];

  test.each(exact)('gives back %s exactly as structured clone does', (_, value) => {
    const json = exactJson(value, limit);
    expect(json).toBeDefined();
    const parsed: unknown = JSON.parse(json!);
    expect(parsed).toStrictEqual(cloned(value));
    expect(Object.keys(parsed as object)).toEqual(Object.keys(cloned(value) as object));
  });

  const sparse: unknown[] = [1];
  sparse[2] = 3;
  const named = Object.assign([1, 2], { label: 'x' });
  class Point {
    constructor(readonly x: number) {}
  }
  const refused: [string, unknown][] = [
    ['-0', -0],
    ['-0 inside an array', [1, -0]],
    ['NaN', Number.NaN],
    ['Infinity', [Number.POSITIVE_INFINITY]],
    ['undefined inside an array', [undefined]],
    ['undefined as a property', { a: undefined }],
    ['an array with a hole', sparse],
    ['an array with a named property', named],
    ['a bigint', 1n],
    ['a Date', new Date(0)],
    ['a Map', new Map([[1, 2]])],
    ['a typed array', new Uint8Array([1])],
    ['a class instance', new Point(1)],
    ['a function inside an object', { f: () => 1 }],
  ];

  test.each(refused)('refuses %s, which JSON would not give back as it was', (_, value) => {
    expect(exactJson(value, limit)).toBeUndefined();
  });

  test('refuses a value larger than its budget: more values than maxNodes, or longer strings than maxChars', () => {
    const numbers = (length: number) => Array.from({ length }, (_, i) => i);
    // The array is a value too: 63 numbers and their array are 64.
    expect(exactJson(numbers(63), limit, 64)).toBe(JSON.stringify(numbers(63)));
    expect(exactJson(numbers(64), limit, 64)).toBeUndefined();
    expect(exactJson({ a: numbers(62) }, limit, 64)).toBe(JSON.stringify({ a: numbers(62) }));
    expect(exactJson({ a: numbers(63) }, limit, 64)).toBeUndefined();
    expect(exactJson('x'.repeat(limit), limit)).toBe(JSON.stringify('x'.repeat(limit)));
    expect(exactJson('x'.repeat(limit + 1), limit)).toBeUndefined();
    expect(exactJson({ ['k'.repeat(limit + 1)]: 1 }, limit)).toBeUndefined();
  });

  test('refuses a value that contains itself', () => {
    const loop: unknown[] = [];
    loop.push(loop);
    expect(exactJson(loop, limit)).toBeUndefined();
  });

  test('refuses, without throwing, an object whose getter throws', () => {
    const value = {
      get broken(): number {
        throw new Error('no');
      },
    };
    expect(exactJson(value, limit)).toBeUndefined();
  });

  test('reads each property once', () => {
    let reads = 0;
    const value = {
      get counted(): number {
        reads++;
        return 1;
      },
    };
    expect(exactJson(value, limit)).toBe('{"counted":1}');
    expect(reads).toBe(1);
  });
});
