import { createHash, type Hash } from 'node:crypto';
import { types } from 'node:util';
import { encode } from './codec.js';

/**
 * A SHA-256 of a value's content, the same for equal values however they were made: V8's
 * serializer is not canonical (an array read back from the store serializes differently from the
 * one first written), so cache keys walk the value instead. Undefined for what cannot be stored
 * (functions, symbols, objects that structured clone refuses).
 */
export function valueHash(value: unknown): string | undefined {
  const hash = createHash('sha256');
  const parts: string[] = [];
  const ok = walk(value, parts, hash, new Set());
  if (!ok) return undefined;
  hash.update(parts.join('\u0001'));
  return hash.digest('hex');
}

function walk(value: unknown, parts: string[], hash: Hash, path: Set<object>): boolean {
  switch (typeof value) {
    case 'undefined':
      parts.push('u');
      return true;
    case 'boolean':
      parts.push(value ? 't' : 'f');
      return true;
    case 'number':
      parts.push(`n${Object.is(value, -0) ? '-0' : String(value)}`);
      return true;
    case 'bigint':
      parts.push(`b${value}`);
      return true;
    case 'string':
      parts.push(`s${value.length}:${value}`);
      return true;
    case 'function':
    case 'symbol':
      return false;
  }
  if (value === null) {
    parts.push('null');
    return true;
  }
  const object = value as object;
  if (path.has(object)) return false; // A cycle: hashed by content it would never end.
  path.add(object);
  try {
    return walkObject(object, parts, hash, path);
  } finally {
    path.delete(object);
  }
}

function walkObject(object: object, parts: string[], hash: Hash, path: Set<object>): boolean {
  if (Array.isArray(object)) {
    parts.push(`[${object.length}`);
    for (let i = 0; i < object.length; i++) if (!walk(object[i], parts, hash, path)) return false;
    parts.push(']');
    return true;
  }
  if (types.isArrayBufferView(object) || types.isAnyArrayBuffer(object)) {
    const bytes = types.isAnyArrayBuffer(object)
      ? new Uint8Array(object)
      : new Uint8Array(object.buffer, object.byteOffset, object.byteLength);
    parts.push(`${object.constructor.name}${bytes.length}`);
    hash.update(parts.join('\u0001'));
    parts.length = 0;
    hash.update(bytes);
    return true;
  }
  if (object instanceof Date) {
    parts.push(`D${object.getTime()}`);
    return true;
  }
  if (object instanceof Map) {
    parts.push(`M${object.size}`);
    for (const [k, v] of object) if (!walk(k, parts, hash, path) || !walk(v, parts, hash, path)) return false;
    return true;
  }
  if (object instanceof Set) {
    parts.push(`S${object.size}`);
    for (const v of object) if (!walk(v, parts, hash, path)) return false;
    return true;
  }
  const prototype = Object.getPrototypeOf(object) as object | null;
  if (prototype === Object.prototype || prototype === null) {
    const keys = Object.keys(object);
    parts.push(`{${keys.length}`);
    for (const key of keys) {
      parts.push(key);
      if (!walk((object as Record<string, unknown>)[key], parts, hash, path)) return false;
    }
    parts.push('}');
    return true;
  }
  // Errors, RegExps, boxed primitives and the like: what structured clone keeps of them.
  const bytes = encode(object);
  if (!bytes) return false;
  parts.push(`V${bytes.toString('base64')}`);
  return true;
}
