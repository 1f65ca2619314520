import { Packr } from "msgpackr";
import { ValidationError } from "../common/errors.js";
import { decodeBounded } from "../common/limits.js";
import { registerPackedMetricExtension } from "../fsm/packed-metric.js";

/**
 * Packs Drover structs into the `bytes` fields of proto/server.proto with msgpackr records: an
 * array of allocations shares one field-name table instead of repeating every key (3× smaller
 * than plain maps, faster to unpack). No `structures` are shared between messages: each message
 * carries its own record definitions, so every message is self-describing and any message can be
 * read on its own, by a client of another release or on a fresh connection.
 */
const packr = new Packr({ useRecords: true });
// Allocations carry their placement metrics packed, as a MessagePack extension.
registerPackedMetricExtension();

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

/**
 * The MessagePack array of `elements`, each already packed on its own by packValue (e.g. once,
 * and cached, for a value sent to many streams): the array header, then the elements' bytes.
 * Each packed element carries the record definitions it uses, and a reader takes a definition
 * where it appears, so this reads back exactly as packValue of the unpacked elements would.
 */
export function packPackedArray(elements: readonly Uint8Array[]): Buffer {
  const n = elements.length;
  let header: Buffer;
  if (n < 16) {
    header = Buffer.from([0x90 | n]);
  } else if (n < 0x10000) {
    header = Buffer.alloc(3);
    header[0] = 0xdc;
    header.writeUInt16BE(n, 1);
  } else {
    header = Buffer.alloc(5);
    header[0] = 0xdd;
    header.writeUInt32BE(n, 1);
  }
  return Buffer.concat([header, ...elements]);
}
