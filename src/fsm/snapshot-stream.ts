import { Packr } from "msgpackr";
import { CorruptSnapshotError } from "./errors.js";
import { completeTableIndexes, SCHEDULER_CONFIG_KEY, TABLES, type TableName, type Tables } from "./tables.js";
import { TablesBuilder } from "./tables-builder.js";

/**
 * The FSM's Raft snapshot: a byte stream of framed msgpack messages taken from one immutable
 * `Tables` version, so the state cannot change while it is read (the Raft driver may stream it
 * to a follower while new entries keep applying).
 *
 *   frame  := u32 big-endian payload length, payload (msgpack)
 *   stream := header frame, record frames…, end frame
 *   header := { format: "drover-fsm", version: 1, index, tableIndexes, raftOffset? }
 *   records:= { table, records: [[key, value], …] }   (≤ RECORDS_PER_FRAME per frame)
 *   end    := { end: true, records: total }
 *
 * Records come in canonical order (tables in TABLES order; HAMT order within a table), so two
 * stores with the same state produce the same bytes. The end frame's count catches truncation.
 * Chunk boundaries carry no meaning: the reader reassembles frames across any re-chunking.
 */
const FORMAT = "drover-fsm";
const VERSION = 1;
const RECORDS_PER_FRAME = 512;
/**
 * Bytes handed out per chunk. Small, because packing happens synchronously between the
 * consumer's awaits: a 1 MiB chunk (~2,400 allocations) kept a server's event loop busy for
 * 120 ms alone and over 1 s on a loaded machine, long enough to cost Raft its leader
 * (bench/cluster at 100,000 allocations). 128 KiB means about one frame per chunk.
 */
const CHUNK_BYTES = 128 << 10;
/** A frame larger than this is corruption, not data (one frame holds ≤ 512 records). */
const MAX_FRAME_BYTES = 256 << 20;

interface Header {
  format: string;
  version: number;
  index: number;
  tableIndexes: Record<TableName, number>;
  /** Written only when not 0, so that the bytes of states without one stay as they were. */
  raftOffset?: number;
}

/** What a snapshot's header says of the state it holds. */
export interface SnapshotHeader {
  /** The state index. */
  readonly index: number;
  readonly tableIndexes: Record<TableName, number>;
  readonly raftOffset: number;
}

export async function* writeSnapshotStream(tables: Tables): AsyncGenerator<Uint8Array> {
  // A fresh codec per stream: record definitions then depend only on the data, not on history.
  const packr = new Packr({ useRecords: true, mapsAsObjects: true, moreTypes: false });
  const pending: Uint8Array[] = [];
  let pendingBytes = 0;
  const frame = (message: unknown): void => {
    const payload = packr.pack(message);
    const head = new Uint8Array(4);
    new DataView(head.buffer).setUint32(0, payload.length);
    pending.push(head, payload);
    pendingBytes += 4 + payload.length;
  };
  const flush = (): Uint8Array => {
    const out = Buffer.concat(pending, pendingBytes);
    pending.length = 0;
    pendingBytes = 0;
    return out;
  };

  frame({
    format: FORMAT,
    version: VERSION,
    index: tables.index,
    tableIndexes: tables.tableIndexes,
    ...(tables.raftOffset === 0 ? {} : { raftOffset: tables.raftOffset }),
  } satisfies Header);
  let total = 0;
  for (const table of TABLES) {
    let batch: Array<[string, unknown]> = [];
    for (const record of tableRecords(tables, table)) {
      batch.push(record);
      if (batch.length === RECORDS_PER_FRAME) {
        frame({ table, records: batch });
        total += batch.length;
        batch = [];
        if (pendingBytes >= CHUNK_BYTES) yield flush();
      }
    }
    if (batch.length > 0) {
      frame({ table, records: batch });
      total += batch.length;
    }
  }
  frame({ end: true, records: total });
  yield flush();
}

function tableRecords(tables: Tables, table: TableName): Iterable<[string, unknown]> {
  switch (table) {
    case "jobs":
      return tables.jobs.entries();
    case "job_versions":
      return tables.jobVersions.entries();
    case "job_summary":
      return tables.jobSummaries.entries();
    case "nodes":
      return tables.nodes.entries();
    case "allocs":
      return tables.allocs.entries();
    case "evals":
      return tables.evals.entries();
    case "deployments":
      return tables.deployments.entries();
    case "variables":
      return tables.variables.entries();
    case "scheduler_config":
      return [[SCHEDULER_CONFIG_KEY, tables.schedulerConfig]];
    case "namespaces":
      return tables.namespaces.entries();
    case "acl_policies":
      return tables.aclPolicies.entries();
    case "acl_tokens":
      return tables.aclTokens.entries();
    case "acl_bootstrap":
      return tables.aclBootstrap.entries();
  }
}

/** Every record of a `Tables` version, in canonical order (used by the LevelDB writer too). */
export function* allRecords(tables: Tables): Generator<[TableName, string, unknown]> {
  for (const table of TABLES) {
    for (const [key, value] of tableRecords(tables, table)) yield [table, key, value];
  }
}

/** Reassembles frames from arbitrarily cut chunks and decodes them. */
async function* frames(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<unknown> {
  const packr = new Packr({ useRecords: true, mapsAsObjects: true, moreTypes: false });
  let buffer: Buffer = Buffer.alloc(0);
  for await (const chunk of chunks) {
    buffer = buffer.length === 0 ? Buffer.from(chunk) : Buffer.concat([buffer, chunk]);
    let offset = 0;
    while (buffer.length - offset >= 4) {
      const length = buffer.readUInt32BE(offset);
      if (length > MAX_FRAME_BYTES) throw new CorruptSnapshotError(`frame of ${length} bytes`);
      if (buffer.length - offset - 4 < length) break;
      const payload = buffer.subarray(offset + 4, offset + 4 + length);
      offset += 4 + length;
      try {
        yield packr.unpack(payload);
      } catch (error) {
        throw new CorruptSnapshotError(`undecodable frame: ${(error as Error).message}`);
      }
    }
    buffer = buffer.subarray(offset);
  }
  if (buffer.length > 0)
    throw new CorruptSnapshotError(`${buffer.length} trailing bytes after the last frame`);
}

/** Checks a stream's messages in order: header first, record frames, the end frame last. */
class MessageChecker {
  header: Header | undefined;
  seen = 0;
  private ended = false;

  /** The header (first message) or the records of a record frame; undefined for the end frame. */
  accept(message: unknown): Header | { table: string; records: Array<[string, unknown]> } | undefined {
    if (this.ended) throw new CorruptSnapshotError("frames after the end frame");
    if (this.header === undefined) {
      this.header = checkHeader(message);
      return this.header;
    }
    const m = message as { end?: unknown; records?: unknown; table?: unknown };
    if (m.end === true) {
      if (m.records !== this.seen)
        throw new CorruptSnapshotError(`end frame counts ${String(m.records)} records, read ${this.seen}`);
      this.ended = true;
      return undefined;
    }
    if (typeof m.table !== "string" || !Array.isArray(m.records))
      throw new CorruptSnapshotError("malformed record frame");
    for (const record of m.records as unknown[]) {
      if (!Array.isArray(record) || record.length !== 2 || typeof record[0] !== "string") {
        throw new CorruptSnapshotError(`malformed record in table ${m.table}`);
      }
    }
    this.seen += m.records.length;
    return { table: m.table, records: m.records as Array<[string, unknown]> };
  }

  finish(): { index: number; records: number } {
    if (this.header === undefined) throw new CorruptSnapshotError("empty snapshot stream");
    if (!this.ended) throw new CorruptSnapshotError("snapshot stream ended early (no end frame)");
    return { index: this.header.index, records: this.seen };
  }
}

/**
 * Reads a snapshot stream, handing each record to `onRecord` (the LevelDB writer, or a
 * TablesBuilder), and returns the header. Throws CorruptSnapshotError on any damage, including a
 * stream that ends early.
 */
export async function readSnapshotStream(
  chunks: AsyncIterable<Uint8Array>,
  onHeader: (header: SnapshotHeader) => void | Promise<void>,
  onRecords: (table: string, records: ReadonlyArray<readonly [string, unknown]>) => void | Promise<void>,
): Promise<{ index: number; records: number }> {
  const checker = new MessageChecker();
  for await (const message of frames(chunks)) {
    const accepted = checker.accept(message);
    if (accepted === undefined) continue;
    if ("format" in accepted) await onHeader(headerOf(accepted));
    else await onRecords(accepted.table, accepted.records);
  }
  return checker.finish();
}

/**
 * The synchronous twin of readSnapshotStream over one complete buffer, for the FSM's
 * snapshot-restore command (apply is synchronous). Same checks, same CorruptSnapshotErrors.
 */
export function readSnapshotBytes(
  bytes: Uint8Array,
  onHeader: (header: SnapshotHeader) => void,
  onRecords: (table: string, records: ReadonlyArray<readonly [string, unknown]>) => void,
): { index: number; records: number } {
  const packr = new Packr({ useRecords: true, mapsAsObjects: true, moreTypes: false });
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const checker = new MessageChecker();
  let offset = 0;
  while (offset < buffer.length) {
    if (buffer.length - offset < 4)
      throw new CorruptSnapshotError(`${buffer.length - offset} trailing bytes`);
    const length = buffer.readUInt32BE(offset);
    if (length > MAX_FRAME_BYTES || buffer.length - offset - 4 < length)
      throw new CorruptSnapshotError(`frame of ${length} bytes at offset ${offset} runs past the end`);
    let message: unknown;
    try {
      message = packr.unpack(buffer.subarray(offset + 4, offset + 4 + length));
    } catch (error) {
      throw new CorruptSnapshotError(`undecodable frame: ${(error as Error).message}`);
    }
    offset += 4 + length;
    const accepted = checker.accept(message);
    if (accepted === undefined) continue;
    if ("format" in accepted) onHeader(headerOf(accepted));
    else onRecords(accepted.table, accepted.records);
  }
  return checker.finish();
}

/**
 * The header of a complete snapshot in memory, without reading its records (the state store
 * needs the snapshot's index before it applies a snapshot-restore command). Damage is a
 * CorruptSnapshotError; the records are checked when they are read.
 */
export function readSnapshotHeader(bytes: Uint8Array): SnapshotHeader {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.length < 4) throw new CorruptSnapshotError("snapshot shorter than a frame header");
  const length = buffer.readUInt32BE(0);
  if (length > MAX_FRAME_BYTES || buffer.length - 4 < length)
    throw new CorruptSnapshotError(`header frame of ${length} bytes runs past the end`);
  let message: unknown;
  try {
    message = new Packr({ useRecords: true, mapsAsObjects: true, moreTypes: false }).unpack(
      buffer.subarray(4, 4 + length),
    );
  } catch (error) {
    throw new CorruptSnapshotError(`undecodable header frame: ${(error as Error).message}`);
  }
  return headerOf(checkHeader(message));
}

function headerOf(h: Header): SnapshotHeader {
  return { index: h.index, tableIndexes: h.tableIndexes, raftOffset: h.raftOffset ?? 0 };
}

function checkHeader(message: unknown): Header {
  const h = message as Partial<Header> | null;
  if (h === null || typeof h !== "object" || h.format !== FORMAT)
    throw new CorruptSnapshotError("not a drover FSM snapshot");
  if (h.version !== VERSION)
    throw new CorruptSnapshotError(`snapshot format version ${String(h.version)} unsupported`);
  if (typeof h.index !== "number" || typeof h.tableIndexes !== "object" || h.tableIndexes === null) {
    throw new CorruptSnapshotError("malformed snapshot header");
  }
  const checked = completeTableIndexes(h.tableIndexes);
  if (checked.missing !== undefined)
    throw new CorruptSnapshotError(`header lacks table index of ${checked.missing}`);
  const offset = h.raftOffset;
  if (offset !== undefined && !(Number.isSafeInteger(offset) && offset >= 0 && offset <= h.index))
    throw new CorruptSnapshotError(`malformed raftOffset ${String(offset)} in the snapshot header`);
  return { ...(h as Header), tableIndexes: checked.indexes };
}

/** Builds in-memory tables from a snapshot stream (restore without LevelDB, and tests). */
export async function tablesFromSnapshot(chunks: AsyncIterable<Uint8Array>): Promise<Tables> {
  let builder: TablesBuilder | undefined;
  await readSnapshotStream(
    chunks,
    (header) => {
      builder = new TablesBuilder(header.index, header.tableIndexes, header.raftOffset);
    },
    (table, records) => {
      // readSnapshotStream reads the header (which made the builder) before any record.
      const target = builder as TablesBuilder;
      for (const [key, value] of records) target.add(table, key, value);
    },
  );
  if (builder === undefined) throw new CorruptSnapshotError("no header");
  return builder.finish();
}
