import { crc32 } from "node:zlib";
import type { Entry, EntryType, LogIndex } from "./core/types.js";

/**
 * The on-disk form of one log entry in LevelDB: key `e` + index as 8 bytes big-endian (so that
 * LevelDB's byte order is log order), value = crc32 | type | term | data.
 *
 * The checksum covers the index, type, term and data, so a torn or misplaced record is detected
 * on open instead of being handed to the state machine (issue 4, "never apply garbage").
 */

const ENTRY_PREFIX = 0x65; // "e"
const HEADER_BYTES = 4 + 1 + 8;

const TYPE_CODES: Record<EntryType, number> = { normal: 0, confChange: 1 };
const TYPE_BY_CODE: readonly EntryType[] = ["normal", "confChange"];

export function entryKey(index: LogIndex): Buffer {
  const key = Buffer.allocUnsafe(9);
  key[0] = ENTRY_PREFIX;
  key.writeBigUInt64BE(BigInt(index), 1);
  return key;
}

export function isEntryKey(key: Buffer): boolean {
  return key.length === 9 && key[0] === ENTRY_PREFIX;
}

export function indexOfEntryKey(key: Buffer): LogIndex {
  return Number(key.readBigUInt64BE(1));
}

/** The smallest and one-past-largest possible entry keys, for range scans and deletes. */
export const ENTRY_KEY_MIN: Buffer = entryKey(0);
export const ENTRY_KEY_END: Buffer = Buffer.from([ENTRY_PREFIX + 1]);

export function encodeEntry(entry: Entry): Buffer {
  const value = Buffer.allocUnsafe(HEADER_BYTES + entry.data.byteLength);
  value[4] = TYPE_CODES[entry.type];
  value.writeDoubleBE(entry.term, 5);
  value.set(entry.data, HEADER_BYTES);
  value.writeUInt32BE(checksum(entry.index, value), 0);
  return value;
}

/** Decodes a record, or returns undefined when its checksum does not match (torn or corrupt). */
export function decodeEntry(index: LogIndex, value: Buffer): Entry | undefined {
  if (value.length < HEADER_BYTES) return undefined;
  if (value.readUInt32BE(0) !== checksum(index, value)) return undefined;
  const type = TYPE_BY_CODE[value[4] as number];
  if (type === undefined) return undefined;
  const term = value.readDoubleBE(5);
  // Copy: the entry outlives the buffer LevelDB handed us and must not alias it.
  const data = new Uint8Array(value.subarray(HEADER_BYTES));
  return { index, term, type, data };
}

function checksum(index: LogIndex, value: Buffer): number {
  const indexBytes = Buffer.allocUnsafe(8);
  indexBytes.writeBigUInt64BE(BigInt(index));
  return crc32(value.subarray(4), crc32(indexBytes));
}

/** Approximate in-memory size of an entry, for maxBytes limits and byte-based compaction. */
export function entrySize(entry: Entry): number {
  return entry.data.byteLength + 24;
}
