import { Buffer } from "node:buffer";
import { addExtension, Packr } from "msgpackr";
import type { AllocMetric } from "./structs.js";

/**
 * An allocation's placement metrics kept as their encoding: one string instead of a dozen or more
 * objects. Every placed allocation carries an AllocMetric with up to five node scores (the
 * scheduler keeps the top five, as Nomad does), which nothing on the servers' hot paths reads:
 * operators see them in `alloc status -verbose`, and a reconnect decision reads the scores of
 * the allocation it decides about. As objects they were about half of a stored allocation's
 * objects, each one scanned and copied by the young-generation collector on every server, decoded
 * from every plan entry and re-encoded into every record and plan written.
 *
 * The scheduler packs the metric of each allocation it places; the plan carries the packed bytes
 * as a MessagePack extension (type PACKED_METRIC_EXT) through the plan RPC, the Raft entry and the
 * LevelDB records, and every decoder hands out the same packed form again. The fields read as an
 * AllocMetric (each access decodes: reads are rare), and JSON shows the plain metric.
 *
 * The extension is registered with msgpackr, for every Packr of the process, when this module
 * loads (see registerPackedMetricExtension), before any message is read.
 */
export class PackedAllocMetric implements AllocMetric {
  /**
   * The encoding (PAYLOAD_CODEC) as a latin1 string: one byte per character, so a single heap
   * object of 16 bytes plus its length. Public and enumerable so that deep equality compares it.
   */
  readonly packed: string;

  private constructor(packed: string) {
    this.packed = packed;
    Object.freeze(this);
  }

  static pack(metric: AllocMetric): PackedAllocMetric {
    if (metric instanceof PackedAllocMetric) return metric;
    return new PackedAllocMetric(latin1(payloadCodec.pack(metric)));
  }

  /** From the bytes of a packed metric (copied: the result shares no memory with `bytes`). */
  static fromBytes(bytes: Uint8Array): PackedAllocMetric {
    return new PackedAllocMetric(latin1(bytes));
  }

  /** From a latin1 string of the bytes (fast-decode.ts slices it straight from an entry). */
  static fromLatin1(packed: string): PackedAllocMetric {
    return new PackedAllocMetric(packed);
  }

  bytes(): Buffer {
    return Buffer.from(this.packed, "latin1");
  }

  /** A fresh plain AllocMetric (the caller may change it). */
  unpack(): AllocMetric {
    return payloadCodec.unpack(this.bytes()) as AllocMetric;
  }

  toJSON(): AllocMetric {
    return this.unpack();
  }

  get NodesEvaluated(): number {
    return this.unpack().NodesEvaluated;
  }
  get NodesFiltered(): number {
    return this.unpack().NodesFiltered;
  }
  get NodesInPool(): number {
    return this.unpack().NodesInPool;
  }
  get NodesAvailable(): Record<string, number> {
    return this.unpack().NodesAvailable;
  }
  get ClassFiltered(): Record<string, number> {
    return this.unpack().ClassFiltered;
  }
  get ConstraintFiltered(): Record<string, number> {
    return this.unpack().ConstraintFiltered;
  }
  get NodesExhausted(): number {
    return this.unpack().NodesExhausted;
  }
  get ClassExhausted(): Record<string, number> {
    return this.unpack().ClassExhausted;
  }
  get DimensionExhausted(): Record<string, number> {
    return this.unpack().DimensionExhausted;
  }
  get QuotaExhausted(): string[] {
    return this.unpack().QuotaExhausted;
  }
  get ScoreMetaData(): AllocMetric["ScoreMetaData"] {
    return this.unpack().ScoreMetaData;
  }
  get AllocationTime(): number {
    return this.unpack().AllocationTime;
  }
  get CoalescedFailures(): number {
    return this.unpack().CoalescedFailures;
  }
}

/** The metric as stored (packed), whatever form it came in; null stays null. */
export function packedMetric(metric: AllocMetric | null): AllocMetric | null {
  return metric === null ? null : PackedAllocMetric.pack(metric);
}

/** The metric as a plain AllocMetric, whatever form it is stored in. */
export function unpackedMetric(metric: AllocMetric | null): AllocMetric | null {
  return metric instanceof PackedAllocMetric ? metric.unpack() : metric;
}

/** The MessagePack extension type of a packed metric: part of the wire and on-disk formats. */
export const PACKED_METRIC_EXT = 0x4d;

/**
 * The payload's encoding: msgpack whose common shapes are structures fixed in code, so that field
 * names are not repeated in every metric. Part of the on-disk format: only ever APPEND to this
 * table (packed-metric.test.ts pins it). Objects of other shapes are encoded as maps.
 */
export const PAYLOAD_STRUCTURES: readonly (readonly string[])[] = [
  [
    "NodesEvaluated",
    "NodesFiltered",
    "NodesInPool",
    "NodesAvailable",
    "ClassFiltered",
    "ConstraintFiltered",
    "NodesExhausted",
    "ClassExhausted",
    "DimensionExhausted",
    "QuotaExhausted",
    "ScoreMetaData",
    "AllocationTime",
    "CoalescedFailures",
  ],
  ["NodeID", "Scores", "NormScore"],
  ["binpack"],
  ["binpack", "job-anti-affinity"],
  ["spread"],
  ["spread", "job-anti-affinity"],
];

const payloadCodec = new Packr({
  structures: PAYLOAD_STRUCTURES.map((keys) => [...keys]),
  maxSharedStructures: PAYLOAD_STRUCTURES.length,
  shouldShareStructure: () => false,
  mapsAsObjects: true,
  moreTypes: false,
});

/** Node's Buffer#latin1Slice (a direct binding; toString("latin1", …) checks its arguments first). */
type Latin1 = { latin1Slice(start: number, end: number): string };

function latin1(bytes: Uint8Array): string {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return (buf as unknown as Latin1).latin1Slice(0, buf.length);
}

let registered = false;

/**
 * Teaches msgpackr (every Packr of the process) the packed-metric extension; idempotent. Runs when
 * this module loads; codecs that may read server messages in a process that never loads the FSM
 * (a client agent, the node simulator) call it themselves.
 */
export function registerPackedMetricExtension(): void {
  if (registered) return;
  registered = true;
  addExtension({
    Class: PackedAllocMetric,
    type: PACKED_METRIC_EXT,
    pack: (metric: PackedAllocMetric) => metric.bytes(),
    unpack: (bytes: Uint8Array) => PackedAllocMetric.fromBytes(bytes),
  });
}

registerPackedMetricExtension();
