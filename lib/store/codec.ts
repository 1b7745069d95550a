import { deserialize, serialize } from 'node:v8';

/**
 * Stored values are encoded with V8's serializer: the same structured-clone algorithm that carries
 * them between threads, so what can cross a thread can be stored, typed arrays, Maps and Dates
 * included. Undefined when the value cannot be encoded (a function, a class with private state).
 */
export function encode(value: unknown): Buffer | undefined {
  try {
    return serialize(value);
  } catch {
    return undefined;
  }
}

export function decode(bytes: Uint8Array): unknown {
  return deserialize(bytes);
}

/** An Error as plain JSON for the run record. */
export function errorJson(error: unknown): { name: string; code?: string; message: string } {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string'
      ? { name: error.name, code, message: error.message }
      : { name: error.name, message: error.message };
  }
  return { name: 'Error', message: String(error) };
}

// What the value being written may still hold: set by exactJson, spent by the walk below.
let nodesLeft = 0;
let charsLeft = 0;

/**
 * A small value as JSON text, when JSON gives it back exactly as structured clone would: strings,
 * finite numbers other than -0, booleans, null, and arrays (dense, without extra properties) and
 * plain objects of those. Undefined for anything else, or for more than `maxNodes` values or
 * `maxChars` characters of strings: those are left to the V8 serializer (~10x slower on a small
 * array, but a large value is not worth walking first). Each property is read once, as the
 * serializer reads it.
 */
export function exactJson(value: unknown, maxChars: number, maxNodes = 64): string | undefined {
  nodesLeft = maxNodes;
  charsLeft = maxChars;
  try {
    return jsonOf(value);
  } catch {
    return undefined; // A getter that throws: the serializer will say what it makes of it.
  }
}

function jsonOf(value: unknown): string | undefined {
  if (--nodesLeft < 0) return undefined;
  switch (typeof value) {
    case 'string':
      charsLeft -= value.length;
      return charsLeft < 0 ? undefined : JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0) ? `${value}` : undefined;
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (value === null) return 'null';
      return Array.isArray(value) ? arrayJson(value as unknown[]) : objectJson(value);
    default:
      return undefined;
  }
}

function arrayJson(array: unknown[]): string | undefined {
  // Holes read as undefined and are refused below; named properties structured clone keeps, JSON not.
  if (array.length > nodesLeft || Object.keys(array).length !== array.length) return undefined;
  let text = '[';
  for (let k = 0; k < array.length; k++) {
    const item = jsonOf(array[k]);
    if (item === undefined) return undefined;
    text += k === 0 ? item : `,${item}`;
  }
  return `${text}]`;
}

function objectJson(object: object): string | undefined {
  const prototype = Object.getPrototypeOf(object) as object | null;
  if (prototype !== Object.prototype && prototype !== null) return undefined;
  const keys = Object.keys(object);
  if (keys.length > nodesLeft) return undefined;
  let text = '{';
  for (let k = 0; k < keys.length; k++) {
    const key = keys[k]!;
    charsLeft -= key.length;
    const item = jsonOf((object as Record<string, unknown>)[key]);
    if (item === undefined || charsLeft < 0) return undefined;
    text += `${k === 0 ? '' : ','}${JSON.stringify(key)}:${item}`;
  }
  return `${text}}`;
}
