import { Packr } from "msgpackr";
import { assert } from "../common/assert.js";
import type { RaftMessage, RaftMessage__Output } from "../gen/proto/drover/raft/RaftMessage.js";
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

/**
 * One message as a msgpackr tuple, for `encodeBatch`: positional, so that no field name travels
 * and decoding builds no intermediate object per field.
 */
type MessageTuple = [
  type: string,
  from: string,
  to: string,
  term: number,
  logTerm: number,
  index: number,
  entries: EntryTuple[] | null,
  commit: number,
  reject: boolean,
  rejectHint: number,
  rejectTerm: number,
  context: Uint8Array | null,
  snapshotMetadata: SnapshotMetadata | null,
];

const MESSAGE_TUPLE_LENGTH = 13;

/**
 * Messages for one peer, in order, as ONE msgpackr buffer (the `PackedMessages` stream of
 * proto/raft.proto). Entry data is copied once, into the packed buffer.
 */
export function encodeBatch(messages: readonly Message[]): Uint8Array {
  const tuples: MessageTuple[] = new Array(messages.length);
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i] as Message;
    tuples[i] = [
      m.type,
      m.from,
      m.to,
      m.term,
      m.logTerm,
      m.index,
      m.entries.length === 0 ? null : m.entries.map(entryTuple),
      m.commit,
      m.reject,
      m.rejectHint,
      m.rejectTerm,
      m.context.byteLength === 0 ? null : m.context,
      m.snapshot === undefined ? null : m.snapshot.metadata,
    ];
  }
  return packr.pack(tuples);
}

/** The inverse of `encodeBatch`; throws on anything that is not a batch of valid messages. */
export function decodeBatch(bytes: Uint8Array): Message[] {
  const tuples = packr.unpack(bytes) as unknown;
  assert(Array.isArray(tuples), "packed raft messages are not an array");
  const out: Message[] = new Array(tuples.length);
  for (let i = 0; i < tuples.length; i++) {
    const t = tuples[i] as unknown;
    assert(
      Array.isArray(t) && t.length === MESSAGE_TUPLE_LENGTH,
      "packed raft message is not a message tuple",
    );
    const [
      type,
      from,
      to,
      term,
      logTerm,
      index,
      entries,
      commit,
      reject,
      rejectHint,
      rejectTerm,
      context,
      meta,
    ] = t as MessageTuple;
    assert(MESSAGE_TYPES.has(type), () => `unknown raft message type ${JSON.stringify(type)}`);
    out[i] = {
      type: type as MessageType,
      from,
      to,
      term,
      logTerm,
      index,
      entries: entries === null ? [] : entries.map(tupleEntry),
      commit,
      reject,
      rejectHint,
      rejectTerm,
      snapshot: meta === null ? undefined : { metadata: meta, data: EMPTY_BYTES },
      // A copy: the decoded view points into the whole received gRPC message.
      context: context === null ? EMPTY_BYTES : new Uint8Array(context),
    };
  }
  return out;
}

/** Approximate wire size of a message (for batching limits). */
export function messageSize(message: Message): number {
  let size = 64 + message.context.byteLength;
  for (const entry of message.entries) size += entry.data.byteLength + 16;
  return size;
}
