/**
 * Stage values and errors as JSON-safe strings, for BullMQ job data, return values and progress.
 * Values use v8's serializer: the structured-clone format worker threads use, so a value that
 * crosses a thread crosses a machine the same way (see protocol.ts).
 */
import { deserialize, serialize } from 'node:v8';
import * as errors from '../errors.js';
import * as remoteErrors from './remote-errors.js';

/** A value as base64 v8 bytes. Throws (DataCloneError) on values structured clone refuses. */
export function encodeValue(value: unknown): string {
  return serialize(value).toString('base64');
}

export function decodeValue(encoded: string): unknown {
  return deserialize(Buffer.from(encoded, 'base64'));
}

/** What is written of an error: enough to rebuild it with its class, message, stack, code and fields. */
interface ErrorRecord {
  readonly name: string;
  readonly message: string;
  readonly stack: string | undefined;
  readonly fields: Record<string, unknown>;
  readonly cause?: ErrorRecord | { readonly value: unknown };
}

// Classes an error is rebuilt as, by name; others become an Error with their name kept.
const classes = new Map<string, { prototype: Error }>(
  Object.entries<unknown>({
    Error,
    TypeError,
    RangeError,
    SyntaxError,
    ReferenceError,
    EvalError,
    URIError,
    ...errors,
    ...remoteErrors,
  }).filter((entry): entry is [string, { prototype: Error }] => isErrorClass(entry[1])),
);

/** A thrown value (usually an Error) as a string; fields that cannot be cloned are dropped. */
export function encodeError(thrown: unknown): string {
  const record = thrown instanceof Error ? errorRecord(thrown, 0) : { value: thrown };
  try {
    return encodeValue(record);
  } catch {
    return encodeValue(
      thrown instanceof Error ? { ...errorRecord(thrown, 0), fields: {} } : { value: String(thrown) },
    );
  }
}

/** Rebuilds what `encodeError` wrote: an error of the same class when it is a known one. */
export function decodeError(encoded: string): unknown {
  return rebuild(decodeValue(encoded) as ErrorRecord | { value: unknown });
}

function errorRecord(error: Error, depth: number): ErrorRecord {
  const fields: Record<string, unknown> = {};
  for (const key of Object.keys(error)) {
    if (key !== 'cause' && key !== 'stack' && key !== 'message') fields[key] = (error as never)[key];
  }
  const { cause } = error;
  return {
    name: error.name,
    message: error.message,
    stack: error.stack,
    fields,
    ...(cause === undefined || depth >= 4
      ? {}
      : { cause: cause instanceof Error ? errorRecord(cause, depth + 1) : { value: cause } }),
  };
}

function rebuild(record: ErrorRecord | { value: unknown }): unknown {
  if (!('name' in record)) return record.value;
  const known = classes.get(record.name) ?? Error;
  const error = Object.create(known.prototype) as Error;
  const hidden = { writable: true, configurable: true, enumerable: false };
  Object.defineProperty(error, 'message', { ...hidden, value: record.message });
  Object.defineProperty(error, 'stack', { ...hidden, value: record.stack });
  if (error.name !== record.name) Object.defineProperty(error, 'name', { ...hidden, value: record.name });
  Object.assign(error, record.fields);
  if (record.cause !== undefined)
    Object.defineProperty(error, 'cause', { ...hidden, value: rebuild(record.cause) });
  return error;
}

function isErrorClass(value: unknown): value is { prototype: Error } {
  return typeof value === 'function' && (value === Error || value.prototype instanceof Error);
}
