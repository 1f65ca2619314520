import { Buffer } from "node:buffer";
import { deepFreeze } from "./deep-freeze.js";
import { PACKED_METRIC_EXT, PackedAllocMetric } from "./packed-metric.js";

/**
 * A decoder for the msgpack that command-codec.ts's Packr writes, for the common case only, that
 * hands out strings already interned: the fields that repeat from one allocation to the next (job,
 * eval, node ids and names, statuses, labels, addresses) come out as one shared string each,
 * found from the bytes without building a new string first. msgpackr extracts every string of a
 * message as slices of a few large strings, which the alloc compactor then had to copy and look
 * up in a Map one by one: that was a third of a plan's apply and of a restart.
 *
 * It returns exactly what msgpackr's unpack returns (same keys in the same order, same values),
 * or undefined when the bytes use anything outside what it handles (non-ASCII strings, binary,
 * 64-bit integers, float32, extensions other than records and packed metrics, `__proto__` keys, two-byte record
 * ids, undefined record ids, malformed input): the caller then decodes with msgpackr, which also
 * produces the error for bad input. What it handles is what every plan entry is made of.
 *
 * Records (msgpackr's `useRecords`): `d4 72 <id>` defines structure id (0x40–0x7f) by the array of
 * keys that follows, then one object of it; a byte 0x40–0x7f refers to a structure defined earlier
 * in the same message. Each message defines its own (command-codec.ts).
 */

/** Strings longer than this are never interned (they rarely repeat). */
const MAX_INTERNED = 64;
const CACHE_BITS = 16;
/** How many trailing bytes of a string pick its cache slot. */
const HASHED = 16;
const CACHE_MASK = (1 << CACHE_BITS) - 1;

/**
 * Fields whose values are unique per object (allocation ids and names): interning them would
 * only evict the strings that do repeat.
 */
const UNIQUE_FIELDS: ReadonlySet<string> = new Set([
  "ID",
  "Name",
  "NextAllocation",
  "PreviousAllocation",
  "PreemptedByAllocation",
]);

class Unsupported extends Error {}
const UNSUPPORTED = new Unsupported("unsupported msgpack");

let src: Uint8Array = new Uint8Array(0);
let buf: Buffer = Buffer.alloc(0);
let pos = 0;
let end = 0;
/** A record structure: reads one object of it (see compileStructure). */
type StructureReader = () => Record<string, unknown>;
let structures: Array<StructureReader | undefined> = [];
/** Compiled readers by their key list (JSON), reused across messages: plans repeat their shapes. */
const compiled = new Map<string, StructureReader>();
const MAX_COMPILED = 1000;
/** Structures with more keys are not compiled (see structureReader). */
const MAX_COMPILED_KEYS = 64;
/** Direct-mapped cache of interned strings, by a hash of their bytes. */
const cache: Array<string | undefined> = new Array(1 << CACHE_BITS).fill(undefined);
const owned = new WeakSet<object>();

/**
 * The message decoded, or undefined when it uses something this decoder leaves to msgpackr. The
 * objects it returns are recorded (see stringsOwned).
 */
export function fastDecode(data: Uint8Array): unknown {
  message += 1;
  src = data;
  buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  pos = 0;
  end = data.length;
  structures = [];
  try {
    const value = read(true);
    if (pos !== end) return undefined;
    if (typeof value === "object" && value !== null) owned.add(value);
    return value;
  } catch (error) {
    if (error instanceof Unsupported || error instanceof RangeError) return undefined;
    throw error;
  } finally {
    src = new Uint8Array(0);
    buf = Buffer.alloc(0);
    structures = [];
  }
}

/**
 * Whether `value` came from fastDecode: its strings are then its own (no slices of a larger
 * string) and the repeated ones already interned, so the alloc compactor can keep them as they are.
 */
export function stringsOwned(value: object): boolean {
  return owned.has(value);
}

function byte(): number {
  if (pos >= end) throw UNSUPPORTED;
  return src[pos++] as number;
}

function u16(): number {
  const v = ((src[pos] as number) << 8) | (src[pos + 1] as number);
  pos += 2;
  if (pos > end) throw UNSUPPORTED;
  return v;
}

function u32(): number {
  const v = buf.readUInt32BE(pos);
  pos += 4;
  return v;
}

function read(intern: boolean): unknown {
  const token = byte();
  if (token < 0x40) return token;
  if (token < 0x80) {
    const reader = structures[token & 0x3f];
    // A record byte without a definition is an integer to msgpackr; never written by our Packr.
    if (reader === undefined) throw UNSUPPORTED;
    return reader();
  }
  if (token < 0x90) return readMap(token - 0x80);
  if (token < 0xa0) return readArray(token - 0x90);
  if (token < 0xc0) return readString(token - 0xa0, intern);
  if (token >= 0xe0) return token - 0x100;
  switch (token) {
    case 0xc0:
      return null;
    case 0xc2:
      return false;
    case 0xc3:
      return true;
    case 0xcb: {
      const v = buf.readDoubleBE(pos);
      pos += 8;
      return v;
    }
    case 0xcc:
      return byte();
    case 0xcd:
      return u16();
    case 0xce:
      return u32();
    case 0xd0: {
      const v = byte();
      return v < 0x80 ? v : v - 0x100;
    }
    case 0xd1: {
      const v = buf.readInt16BE(pos);
      pos += 2;
      return v;
    }
    case 0xd2: {
      const v = buf.readInt32BE(pos);
      pos += 4;
      return v;
    }
    case 0xc7:
      return readExtension(byte());
    case 0xc8:
      return readExtension(u16());
    case 0xc9:
      return readExtension(u32());
    case 0xd5:
      return readExtension(2);
    case 0xd6:
      return readExtension(4);
    case 0xd7:
      return readExtension(8);
    case 0xd8:
      return readExtension(16);
    case 0xd4: {
      if (src[pos] === PACKED_METRIC_EXT) return readExtension(1);
      if (byte() !== 0x72) throw UNSUPPORTED;
      const id = byte();
      // msgpackr keeps the low 6 bits; ids outside 0x40–0x7f come only with two-byte records.
      if (id < 0x40 || id > 0x7f) throw UNSUPPORTED;
      const keys = read(false);
      if (!Array.isArray(keys)) throw UNSUPPORTED;
      for (const key of keys) if (typeof key !== "string" || key === "__proto__") throw UNSUPPORTED;
      const reader = structureReader(keys as string[]);
      structures[id & 0x3f] = reader;
      definitions += 1;
      return reader();
    }
    case 0xd9:
      return readString(byte(), intern);
    case 0xda:
      return readString(u16(), intern);
    case 0xdb:
      return readString(u32(), intern);
    case 0xdc:
      return readArray(u16());
    case 0xdd:
      return readArray(u32());
    case 0xde:
      return readMap(u16());
    case 0xdf:
      return readMap(u32());
    default:
      throw UNSUPPORTED;
  }
}

/**
 * Fields of the allocation structures whose values repeat from one allocation of a plan to the
 * next, and which apply either keeps as they are or replaces with a shared frozen copy
 * (alloc-compactor.ts): the allocation's transition and empty lists, its task resources, its
 * metrics' count maps. A structure gets them only when its keys show it is that structure.
 */
function repeatedFields(keys: readonly string[]): ReadonlySet<string> {
  const has = (key: string): boolean => keys.includes(key);
  if (has("AllocatedResources") && has("DesiredTransition") && has("TaskStates")) {
    return new Set(["DesiredTransition", "AllocStates", "TaskStates", "PreemptedAllocations"]);
  }
  if (keys.length === 2 && keys[0] === "Tasks" && keys[1] === "Shared") return new Set(["Tasks"]);
  if (has("ScoreMetaData") && has("NodesEvaluated") && has("DimensionExhausted")) {
    return new Set([
      "NodesAvailable",
      "ClassFiltered",
      "ConstraintFiltered",
      "ClassExhausted",
      "DimensionExhausted",
      "QuotaExhausted",
    ]);
  }
  return NO_FIELDS;
}

const NO_FIELDS: ReadonlySet<string> = new Set();

/** Counts decoded messages: a Repeat is valid only within the message it was read from. */
let message = 0;
/** Counts structure definitions: a record byte may mean another structure after one. */
let definitions = 0;
/** Encodings longer than this are never remembered (the repeated values are small). */
const MAX_REPEATED_BYTES = 256;

/** The last value read at one repeated field of one structure, with its bytes. */
interface Repeat {
  message: number;
  definitions: number;
  bytes: Uint8Array;
  value: unknown;
}

/**
 * Reads a repeated field's value: when the bytes at `pos` are those of the value read last at
 * this field, in this message, with no structure defined since (so every record byte in them
 * means what it meant), they encode the same value, and that value is returned again without
 * decoding. It is frozen (deep) when remembered, since allocations then share it: nothing may
 * change it in place, and an attempt throws instead of changing another allocation.
 */
function readRepeated(repeat: Repeat): unknown {
  const bytes = repeat.bytes;
  if (repeat.message === message && repeat.definitions === definitions && pos + bytes.length <= end) {
    let same = true;
    for (let i = 0; i < bytes.length && same; i++) same = src[pos + i] === bytes[i];
    if (same) {
      pos += bytes.length;
      return repeat.value;
    }
  }
  const start = pos;
  const before = definitions;
  const value = read(true);
  // A value that defined a structure is written differently (by reference) the next time.
  if (definitions === before && pos - start <= MAX_REPEATED_BYTES) {
    repeat.message = message;
    repeat.definitions = definitions;
    repeat.bytes = src.slice(start, pos);
    repeat.value = deepFreeze(value);
  }
  return value;
}

function structureReader(keys: readonly string[]): StructureReader {
  // Wide structures (a plan's NodeAllocation, keyed by node ID) are read key by key and never
  // kept: each plan has its own, and caching them kept ~80 KB per plan alive.
  if (keys.length > MAX_COMPILED_KEYS) return wideReader(keys);
  const id = JSON.stringify(keys);
  let reader = compiled.get(id);
  if (reader === undefined) {
    if (compiled.size >= MAX_COMPILED) compiled.clear();
    reader = compileStructure(keys);
    compiled.set(id, reader);
  }
  return reader;
}

function wideReader(keys: readonly string[]): StructureReader {
  const interns = keys.map((key) => !UNIQUE_FIELDS.has(key));
  return () => {
    const object: Record<string, unknown> = {};
    for (let i = 0; i < keys.length; i++) object[keys[i] as string] = read(interns[i] as boolean);
    return object;
  };
}

/**
 * A reader that builds one object of the structure as an object literal, so that every object of
 * a structure is made with one hidden class and no per-key lookups (msgpackr does the same). The
 * keys are JSON string literals and never `__proto__` (refused above), so the literal defines
 * exactly these own properties, in this order, like msgpackr's `object[key] = read()`.
 */
function compileStructure(keys: readonly string[]): StructureReader {
  const repeated = repeatedFields(keys);
  const repeats: Repeat[] = [];
  const fields = keys.map((key) => {
    if (!repeated.has(key)) return `${JSON.stringify(key)}: read(${!UNIQUE_FIELDS.has(key)})`;
    repeats.push({ message: 0, definitions: 0, bytes: new Uint8Array(0), value: undefined });
    return `${JSON.stringify(key)}: readRepeated(repeats[${repeats.length - 1}])`;
  });
  return new Function("read", "readRepeated", "repeats", `return () => ({ ${fields.join(", ")} });`)(
    read,
    readRepeated,
    repeats,
  ) as StructureReader;
}

/** An extension of `length` payload bytes (its type byte next): only packed metrics are ours. */
function readExtension(length: number): PackedAllocMetric {
  if (byte() !== PACKED_METRIC_EXT || length > end - pos) throw UNSUPPORTED;
  const start = pos;
  pos += length;
  return PackedAllocMetric.fromLatin1(latin1(start, pos));
}

function readMap(length: number): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (let i = 0; i < length; i++) {
    const key = read(false);
    if (typeof key !== "string" || key === "__proto__") throw UNSUPPORTED;
    object[key] = read(!UNIQUE_FIELDS.has(key));
  }
  return object;
}

function readArray(length: number): unknown[] {
  if (length > end - pos) throw UNSUPPORTED;
  const array = new Array<unknown>(length);
  for (let i = 0; i < length; i++) array[i] = read(true);
  return array;
}

function readString(length: number, intern: boolean): string {
  const start = pos;
  const stop = start + length;
  if (stop > end) throw UNSUPPORTED;
  pos = stop;
  if (length === 0) return "";
  // ASCII only: then latin1 and UTF-8 decode alike (msgpackr decodes UTF-8).
  if (!intern || length > MAX_INTERNED) {
    for (let i = start; i < stop; i++) if ((src[i] as number) >= 0x80) throw UNSUPPORTED;
    return latin1(start, stop);
  }
  // The cache slot hashes the length and the last HASHED bytes only (ids and names differ at
  // their ends); a hit is confirmed byte by byte, which also proves the bytes ASCII (every cached
  // string is).
  let hash = Math.imul(0x811c9dc5 ^ length, 0x01000193);
  for (let i = Math.max(start, stop - HASHED); i < stop; i++)
    hash = Math.imul(hash ^ (src[i] as number), 0x01000193);
  const slot = (hash ^ (hash >>> CACHE_BITS)) & CACHE_MASK;
  const known = cache[slot];
  if (known !== undefined && known.length === length && sameBytes(known, start)) return known;
  for (let i = start; i < stop; i++) if ((src[i] as number) >= 0x80) throw UNSUPPORTED;
  const made = latin1(start, stop);
  cache[slot] = made;
  return made;
}

/** Node's Buffer#latin1Slice (a direct binding; toString("latin1", …) checks its arguments first). */
type Latin1 = { latin1Slice(start: number, end: number): string };

function latin1(start: number, stop: number): string {
  return (buf as unknown as Latin1).latin1Slice(start, stop);
}

function sameBytes(s: string, start: number): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) !== src[start + i]) return false;
  return true;
}
