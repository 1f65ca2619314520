import { Packr } from "msgpackr";
import type { RaftMessage, RaftMessage__Output } from "../gen/proto/drover/raft/RaftMessage.js";
import { assert } from "../shared/assert.js";
import {
  EMPTY_BYTES,
  type Entry,
  type Message,
  type MessageType,
  type SnapshotMetadata,
} from "./core/types.js";

/**
 * Core `Message` ↔ wire `RaftMessage`. Entries and snapshot metadata travel msgpackr-encoded in
 * `bytes` fields (proto/raft.proto); the snapshot's data never rides in a message: it is streamed
 * by InstallSnapshot.
 */

// Plain records (no structure sharing) so that any peer decodes what any other encodes.
const packr = new Packr({ useRecords: false });

const MESSAGE_TYPES: ReadonlySet<string> = new Set<MessageType>([
  "hup",
  "beat",
  "prop",
  "app",
  "appResp",
  "vote",
  "voteResp",
  "preVote",
  "preVoteResp",
  "snap",
  "snapStatus",
  "unreachable",
  "heartbeat",
  "heartbeatResp",
  "transferLeader",
  "timeoutNow",
  "readIndex",
  "readIndexResp",
  "checkQuorum",
]);

export function encodeMessage(message: Message): RaftMessage {
  return {
    type: message.type,
    from: message.from,
    to: message.to,
    term: message.term,
    logTerm: message.logTerm,
    index: message.index,
    entries: message.entries.length === 0 ? EMPTY_BYTES : packr.pack(message.entries.map(entryTuple)),
    commit: message.commit,
    reject: message.reject,
    rejectHint: message.rejectHint,
    rejectTerm: message.rejectTerm,
    snapshotMetadata: message.snapshot === undefined ? EMPTY_BYTES : packr.pack(message.snapshot.metadata),
    context: message.context,
  };
}

export function decodeMessage(wire: RaftMessage__Output): Message {
  assert(MESSAGE_TYPES.has(wire.type), () => `unknown raft message type ${JSON.stringify(wire.type)}`);
  const snapshot =
    wire.snapshotMetadata.length === 0
      ? undefined
      : { metadata: packr.unpack(wire.snapshotMetadata) as SnapshotMetadata, data: EMPTY_BYTES };
  return {
    type: wire.type as MessageType,
    from: wire.from,
    to: wire.to,
    term: wire.term,
    logTerm: wire.logTerm,
    index: wire.index,
    entries: wire.entries.length === 0 ? [] : (packr.unpack(wire.entries) as EntryTuple[]).map(tupleEntry),
    commit: wire.commit,
    reject: wire.reject,
    rejectHint: wire.rejectHint,
    rejectTerm: wire.rejectTerm,
    snapshot,
    context: new Uint8Array(wire.context),
  };
}

type EntryTuple = [index: number, term: number, confChange: boolean, data: Uint8Array];

function entryTuple(entry: Entry): EntryTuple {
  return [entry.index, entry.term, entry.type === "confChange", entry.data];
}

function tupleEntry([index, term, confChange, data]: EntryTuple): Entry {
  return { index, term, type: confChange ? "confChange" : "normal", data: new Uint8Array(data) };
}

/** Approximate wire size of a message (for batching limits). */
export function messageSize(message: Message): number {
  let size = 64 + message.context.byteLength;
  for (const entry of message.entries) size += entry.data.byteLength + 16;
  return size;
}
