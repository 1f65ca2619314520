import { CorruptSnapshotError } from "./errors.js";

/**
 * The operator's snapshot file (`GET/PUT /v1/operator/snapshot`, `drover operator snapshot`):
 * a small header naming what the file holds, then the FSM snapshot stream exactly as Raft
 * snapshots carry it (snapshot-stream.ts).
 *
 *   file   := MAGIC, u32 big-endian header length, header (JSON), FSM snapshot stream
 *   header := { Format: "drover-fsm", Version: 1, Index, Term, Server }
 */
const MAGIC = Buffer.from("DROVER-SNAPSHOT\n", "ascii");
export const SNAPSHOT_FILE_VERSION = 1;
const FORMAT = "drover-fsm";
const MAX_HEADER_BYTES = 64 * 1024;

export interface SnapshotFileHeader {
  readonly Format: string;
  readonly Version: number;
  /** The Raft index of the state the snapshot holds. */
  readonly Index: number;
  /** The Raft term of the server that took it, when it was taken. */
  readonly Term: number;
  /** The server that took it. */
  readonly Server: string;
}

export function encodeSnapshotFileHeader(header: Omit<SnapshotFileHeader, "Format" | "Version">): Uint8Array {
  const json = Buffer.from(
    JSON.stringify({
      Format: FORMAT,
      Version: SNAPSHOT_FILE_VERSION,
      ...header,
    } satisfies SnapshotFileHeader),
  );
  const length = Buffer.alloc(4);
  length.writeUInt32BE(json.length);
  return Buffer.concat([MAGIC, length, json]);
}

/**
 * Splits a snapshot file into its header and the FSM stream bytes, checking the header (the
 * stream itself is checked when it is read). Throws CorruptSnapshotError.
 */
export function decodeSnapshotFile(file: Uint8Array): { header: SnapshotFileHeader; fsm: Uint8Array } {
  const bytes = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  if (bytes.length < MAGIC.length + 4 || !bytes.subarray(0, MAGIC.length).equals(MAGIC))
    throw new CorruptSnapshotError("not a drover snapshot file (bad magic)");
  const length = bytes.readUInt32BE(MAGIC.length);
  const start = MAGIC.length + 4;
  if (length > MAX_HEADER_BYTES || start + length > bytes.length)
    throw new CorruptSnapshotError(`snapshot file header of ${length} bytes runs past the end`);
  let header: Partial<SnapshotFileHeader>;
  try {
    header = JSON.parse(
      bytes.subarray(start, start + length).toString("utf8"),
    ) as Partial<SnapshotFileHeader>;
  } catch {
    throw new CorruptSnapshotError("snapshot file header is not JSON");
  }
  if (typeof header !== "object" || header === null || header.Format !== FORMAT)
    throw new CorruptSnapshotError(
      `snapshot file format ${JSON.stringify(header?.Format)}, expected ${FORMAT}`,
    );
  if (header.Version !== SNAPSHOT_FILE_VERSION)
    throw new CorruptSnapshotError(`snapshot file version ${String(header.Version)} unsupported`);
  if (
    typeof header.Index !== "number" ||
    typeof header.Term !== "number" ||
    typeof header.Server !== "string"
  )
    throw new CorruptSnapshotError("snapshot file header lacks Index, Term or Server");
  return { header: header as SnapshotFileHeader, fsm: bytes.subarray(start + length) };
}
