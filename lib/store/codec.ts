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
