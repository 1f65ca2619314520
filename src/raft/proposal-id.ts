import { assert } from "../common/assert.js";
import type { RaftId } from "./core/types.js";

/**
 * Every proposal's entry data starts with a small header naming who proposed it, so that the
 * proposer can resolve its caller's promise when the entry is applied, and recognise that its
 * entry was replaced by another leader's at the same index (§5.3: uncommitted entries of a deposed
 * leader may be overwritten). The state machine never sees the header (the driver strips it).
 *
 * Layout: version (1) | id length (1) | id (utf-8) | incarnation (f64) | sequence (u32).
 * `incarnation` differs per process start, so a restarted server never mistakes an entry from its
 * previous life for a new proposal.
 */

const VERSION = 1;

export interface ProposalId {
  readonly node: RaftId;
  readonly incarnation: number;
  readonly seq: number;
}

export function proposalKey(id: ProposalId): string {
  return `${id.node}/${id.incarnation}/${id.seq}`;
}

export function encodeProposal(id: ProposalId, payload: Uint8Array): Uint8Array {
  const node = Buffer.from(id.node, "utf8");
  assert(node.length < 256, "raft id longer than 255 bytes");
  const out = Buffer.allocUnsafe(2 + node.length + 12 + payload.byteLength);
  out[0] = VERSION;
  out[1] = node.length;
  node.copy(out, 2);
  out.writeDoubleBE(id.incarnation, 2 + node.length);
  out.writeUInt32BE(id.seq >>> 0, 10 + node.length);
  out.set(payload, 14 + node.length);
  return out;
}

/** Splits entry data into the proposer's id and the application's payload. */
export function decodeProposal(data: Uint8Array): { id: ProposalId; payload: Uint8Array } {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  assert(buf.length >= 14 && buf[0] === VERSION, "entry data without a proposal header");
  const length = buf[1] as number;
  assert(buf.length >= 14 + length, "truncated proposal header");
  const node = buf.toString("utf8", 2, 2 + length);
  const incarnation = buf.readDoubleBE(2 + length);
  const seq = buf.readUInt32BE(10 + length);
  return { id: { node, incarnation, seq }, payload: data.subarray(14 + length) };
}
