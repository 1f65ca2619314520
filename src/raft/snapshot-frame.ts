import { pack, unpack } from "msgpackr";
import { assert } from "../common/assert.js";
import type { RaftId } from "./core/types.js";

/**
 * A snapshot file is one header frame followed by the state machine's bytes. The header carries
 * what Raft itself needs besides the membership in the metadata: the servers' addresses, so that a
 * server that learns the cluster from a snapshot can reach every member.
 *
 * Frame: length (u32 big-endian) | msgpack(SnapshotHeader).
 */
export interface SnapshotHeader {
  readonly addresses: Readonly<Record<RaftId, string>>;
}

export async function* frameSnapshot(
  header: SnapshotHeader,
  body: AsyncIterable<Uint8Array>,
): AsyncIterable<Uint8Array> {
  const packed = pack(header);
  const prefix = Buffer.allocUnsafe(4);
  prefix.writeUInt32BE(packed.length);
  yield Buffer.concat([prefix, packed]);
  yield* body;
}

/** Reads the header; the returned body yields the remaining bytes (the state machine's). */
export async function unframeSnapshot(
  chunks: AsyncIterable<Uint8Array>,
): Promise<{ header: SnapshotHeader; body: AsyncIterable<Uint8Array> }> {
  const iterator = chunks[Symbol.asyncIterator]();
  let buffered = Buffer.alloc(0);
  let headerLength: number | undefined;
  while (headerLength === undefined || buffered.length < 4 + headerLength) {
    const next = await iterator.next();
    assert(next.done !== true, "snapshot ends inside its header");
    buffered = Buffer.concat([buffered, next.value]);
    if (headerLength === undefined && buffered.length >= 4) headerLength = buffered.readUInt32BE(0);
  }
  const header = unpack(buffered.subarray(4, 4 + headerLength)) as SnapshotHeader;
  const rest = buffered.subarray(4 + headerLength);
  async function* body(): AsyncIterable<Uint8Array> {
    if (rest.length > 0) yield rest;
    for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) yield next.value;
  }
  return { header, body: body() };
}
