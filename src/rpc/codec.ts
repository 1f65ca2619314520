import { Packr } from "msgpackr";
import { ValidationError } from "../common/errors.js";
import { decodeBounded } from "../common/limits.js";

/**
 * Packs Drover structs into the `bytes` fields of proto/server.proto with msgpackr records: an
 * array of allocations shares one field-name table instead of repeating every key (3× smaller
 * than plain maps, faster to unpack). No `structures` are shared between messages: each message
 * carries its own record definitions, so every message is self-describing and any message can be
 * read on its own, by a client of another release or on a fresh connection.
 */
const packr = new Packr({ useRecords: true });

export function packValue(value: unknown): Buffer {
  return packr.pack(value);
}

/**
 * Unpacks a `bytes` field; `T` is what the proto comment documents the field to hold. Bytes that
 * are not MessagePack (or an empty required field) are the caller's fault: a ValidationError,
 * answered INVALID_ARGUMENT, not msgpackr's own error, which would be answered INTERNAL.
 */
export function unpackValue<T>(bytes: Uint8Array): T {
  try {
    return decodeBounded(() => packr.unpack(bytes) as T, "message");
  } catch (error) {
    if (error instanceof ValidationError) throw error;
    throw new ValidationError(
      `a bytes field does not decode as MessagePack (${bytes.length} bytes): ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/** Unpacks an optional `bytes` field: empty means absent. */
export function unpackOptional<T>(bytes: Uint8Array): T | undefined {
  return bytes.length === 0 ? undefined : unpackValue<T>(bytes);
}

export const EMPTY: Buffer = Buffer.alloc(0);
