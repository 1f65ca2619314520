import { Packr } from "msgpackr";

/**
 * Packs Drover structs into the `bytes` fields of proto/server.proto. Plain MessagePack maps
 * (no msgpackr records) so that every message is self-describing: a client built from another
 * release, or a language other than TypeScript, can read it without shared structure tables.
 */
const packr = new Packr({ useRecords: false });

export function packValue(value: unknown): Buffer {
  return packr.pack(value);
}

/** Unpacks a `bytes` field; `T` is what the proto comment documents the field to hold. */
export function unpackValue<T>(bytes: Uint8Array): T {
  return packr.unpack(bytes) as T;
}

/** Unpacks an optional `bytes` field: empty means absent. */
export function unpackOptional<T>(bytes: Uint8Array): T | undefined {
  return bytes.length === 0 ? undefined : unpackValue<T>(bytes);
}

export const EMPTY: Buffer = Buffer.alloc(0);
