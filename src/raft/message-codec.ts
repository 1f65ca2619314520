import { Packr } from "msgpackr";
import { ValidationError } from "../common/errors.js";
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

/**
 * What a peer may send: the local types (hup, beat, snapStatus, unreachable, checkQuorum) only
 * ever come from the driver, and `prop` never travels because Drover's servers do not forward
 * proposals (the core runs with disableProposalForwarding): accepting one from the network would
 * let any connection append entries to the leader's log.
 */
const NETWORK_MESSAGE_TYPES: ReadonlySet<string> = new Set(
  [...MESSAGE_TYPES].filter(
    (t) =>
      t !== "hup" &&
      t !== "beat" &&
      t !== "snapStatus" &&
      t !== "unreachable" &&
      t !== "checkQuorum" &&
      t !== "prop",
  ),
);

/**
 * Decoding checks every field a peer sends, since the core trusts the shape of what it steps (a
 * term that is a string, or a local message type, would break an invariant and stop the server).
 * A bad message is a ValidationError, which the transport answers with INVALID_ARGUMENT.
 */
function checkType(type: unknown): MessageType {
  if (typeof type !== "string" || !MESSAGE_TYPES.has(type)) {
    throw new ValidationError(`unknown raft message type ${JSON.stringify(type)}`);
  }
  if (!NETWORK_MESSAGE_TYPES.has(type))
    throw new ValidationError(`raft message type ${type} is not accepted from a peer`);
  return type as MessageType;
}

function checkId(value: unknown, field: string): string {
  if (typeof value !== "string") throw new ValidationError(`${field} is not a string`, "raft message");
  return value;
}

function checkCount(value: unknown, field: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new ValidationError(`${field} is not a non-negative integer: ${String(value)}`, "raft message");
  }
  return value;
}

function checkBool(value: unknown, field: string): boolean {
  if (typeof value !== "boolean") throw new ValidationError(`${field} is not a boolean`, "raft message");
  return value;
}

function checkBytes(value: unknown, field: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new ValidationError(`${field} is not bytes`, "raft message");
  return value;
}

function checkEntries(value: unknown): Entry[] {
  if (!Array.isArray(value)) throw new ValidationError("entries are not an array", "raft message");
  return value.map((t: unknown, i) => {
    if (!Array.isArray(t) || t.length !== 4) {
      throw new ValidationError(`entry ${i} is not an entry tuple`, "raft message");
    }
    return tupleEntry([
      checkCount(t[0], `entry ${i} index`),
      checkCount(t[1], `entry ${i} term`),
      checkBool(t[2], `entry ${i} type`),
      checkBytes(t[3], `entry ${i} data`),
    ]);
  });
}

function checkSnapshotMetadata(value: unknown): SnapshotMetadata {
  const m = value as { index?: unknown; term?: unknown; confState?: unknown };
  if (
    typeof value !== "object" ||
    value === null ||
    typeof m.confState !== "object" ||
    m.confState === null
  ) {
    throw new ValidationError("snapshot metadata is not an object with a confState", "raft message");
  }
  checkCount(m.index, "snapshot index");
  checkCount(m.term, "snapshot term");
  for (const list of ["voters", "learners", "votersOutgoing"] as const) {
    const ids = (m.confState as Record<string, unknown>)[list];
    if (!Array.isArray(ids) || !ids.every((id) => typeof id === "string")) {
      throw new ValidationError(`snapshot confState.${list} is not a list of ids`, "raft message");
    }
  }
  return value as SnapshotMetadata;
}

/** msgpackr's own errors (truncated or invalid bytes) as a ValidationError. */
function unpack(bytes: Uint8Array, what: string): unknown {
  try {
    return packr.unpack(bytes);
  } catch (error) {
    throw new ValidationError(
      `${what} do not decode: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

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
  const type = checkType(wire.type);
  const snapshot =
    wire.snapshotMetadata.length === 0
      ? undefined
      : {
          metadata: checkSnapshotMetadata(unpack(wire.snapshotMetadata, "snapshot metadata")),
          data: EMPTY_BYTES,
        };
  return {
    type,
    from: wire.from,
    to: wire.to,
    term: checkCount(wire.term, "term"),
    logTerm: checkCount(wire.logTerm, "logTerm"),
    index: checkCount(wire.index, "index"),
    entries: wire.entries.length === 0 ? [] : checkEntries(unpack(wire.entries, "entries")),
    commit: checkCount(wire.commit, "commit"),
    reject: wire.reject,
    rejectHint: checkCount(wire.rejectHint, "rejectHint"),
    rejectTerm: checkCount(wire.rejectTerm, "rejectTerm"),
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
  const tuples = unpack(bytes, "packed raft messages");
  if (!Array.isArray(tuples)) throw new ValidationError("packed raft messages are not an array");
  const out: Message[] = new Array(tuples.length);
  for (let i = 0; i < tuples.length; i++) {
    const t = tuples[i] as unknown;
    if (!Array.isArray(t) || t.length !== MESSAGE_TUPLE_LENGTH) {
      throw new ValidationError("packed raft message is not a message tuple");
    }
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
    ] = t as unknown[];
    out[i] = {
      type: checkType(type),
      from: checkId(from, "from"),
      to: checkId(to, "to"),
      term: checkCount(term, "term"),
      logTerm: checkCount(logTerm, "logTerm"),
      index: checkCount(index, "index"),
      entries: entries === null ? [] : checkEntries(entries),
      commit: checkCount(commit, "commit"),
      reject: checkBool(reject, "reject"),
      rejectHint: checkCount(rejectHint, "rejectHint"),
      rejectTerm: checkCount(rejectTerm, "rejectTerm"),
      snapshot: meta === null ? undefined : { metadata: checkSnapshotMetadata(meta), data: EMPTY_BYTES },
      // A copy: the decoded view points into the whole received gRPC message.
      context: context === null ? EMPTY_BYTES : new Uint8Array(checkBytes(context, "context")),
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
