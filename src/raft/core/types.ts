/**
 * The vocabulary of Drover's Raft: the values that cross the boundary between the pure core
 * (src/raft/core/) and the driver that owns I/O (storage, transport, timers, the FSM).
 *
 * Shaped after etcd-io/raft's raftpb: the core consumes `Message`s and produces a `Ready`.
 * Field invariants are stated where they matter for safety.
 */

/** A server's stable Raft identity (its node name, e.g. "s1"); never reused for another server. */
export type RaftId = string;
export type Term = number;
export type LogIndex = number;

/** The id meaning "nobody" (no vote cast, no known leader). */
export const NONE: RaftId = "";

export type EntryType =
  /** Application data for the FSM; `data` may be empty (a new leader's no-op entry, §5.4.2). */
  | "normal"
  /** A membership change; `data` is an encoded `ConfChange`. */
  | "confChange";

export interface Entry {
  readonly term: Term;
  readonly index: LogIndex;
  readonly type: EntryType;
  readonly data: Uint8Array;
}

/** What must be durable before any message that depends on it is sent (Raft Figure 2). */
export interface HardState {
  readonly term: Term;
  readonly vote: RaftId;
  readonly commit: LogIndex;
}

/** The cluster membership as of some log index. Voters and learners are disjoint. */
export interface ConfState {
  readonly voters: readonly RaftId[];
  readonly learners: readonly RaftId[];
  /** Voters of the outgoing configuration while in a joint configuration; empty otherwise. */
  readonly votersOutgoing: readonly RaftId[];
}

export type ConfChangeType = "addVoter" | "addLearner" | "removeNode";

/** A single membership change (one-at-a-time changes; see confchange.ts for the rules). */
export interface ConfChange {
  readonly type: ConfChangeType;
  readonly nodeId: RaftId;
  /** Opaque to the core: the driver stores the server's address here. */
  readonly context: Uint8Array;
}

export interface SnapshotMetadata {
  readonly index: LogIndex;
  readonly term: Term;
  readonly confState: ConfState;
}

/**
 * A snapshot as the core sees it: metadata plus the application's bytes. The core never looks
 * inside `data`; for large state the driver may keep `data` empty in the core and stream the
 * real bytes (the transport sends them in chunks).
 */
export interface Snapshot {
  readonly metadata: SnapshotMetadata;
  readonly data: Uint8Array;
}

export type MessageType =
  | "hup" // local: start an election (campaign)
  | "beat" // local: leader sends heartbeats
  | "prop" // a proposal (local, or forwarded from a follower)
  | "app" // AppendEntries
  | "appResp"
  | "vote"
  | "voteResp"
  | "preVote"
  | "preVoteResp"
  | "snap" // InstallSnapshot (the transport streams the data)
  | "snapStatus" // local: the driver reports a snapshot send finished or failed
  | "unreachable" // local: the driver reports a peer could not be reached
  | "heartbeat"
  | "heartbeatResp"
  | "transferLeader"
  | "timeoutNow"
  | "readIndex"
  | "readIndexResp"
  | "checkQuorum"; // local

export interface Message {
  readonly type: MessageType;
  readonly from: RaftId;
  readonly to: RaftId;
  readonly term: Term;
  /** For app: term of the entry at `index` (the entry preceding `entries`). For votes: last log term. */
  readonly logTerm: Term;
  /** For app: index preceding `entries`. For appResp: the index acknowledged (or rejected). */
  readonly index: LogIndex;
  readonly entries: readonly Entry[];
  readonly commit: LogIndex;
  readonly reject: boolean;
  /** On a rejected appResp: the follower's hint for fast back-off (last index it may match). */
  readonly rejectHint: LogIndex;
  /** On a rejected appResp: the term of the follower's entry at `rejectHint` (conflict term). */
  readonly rejectTerm: Term;
  readonly snapshot: Snapshot | undefined;
  /** Opaque bytes: ReadIndex request context, campaign type for votes after TimeoutNow, … */
  readonly context: Uint8Array;
}

export type StateRole = "follower" | "preCandidate" | "candidate" | "leader";

/** Volatile state the driver may want to observe (not persisted). */
export interface SoftState {
  readonly lead: RaftId;
  readonly role: StateRole;
}

/** A linearizable read that may proceed once the local applied index reaches `index`. */
export interface ReadState {
  readonly index: LogIndex;
  readonly requestCtx: Uint8Array;
}

/**
 * Everything the driver must do next, in order (etcd-io/raft doc.go's four duties):
 *  1. persist `hardState`, `entries` and `snapshot` (atomically, fsync);
 *  2. send `messages` — only after step 1 is durable, since they may depend on it;
 *  3. apply `snapshot` (if any) and then `committedEntries` to the FSM, in order;
 *  4. call `advance()`.
 * A leader's Ready may instead be sent before it is durable (RawNode.mayAdvanceAsync/advanceAsync,
 * then advanceDurable): its own copy counts toward commitment only once reported durable.
 */
export interface Ready {
  readonly softState: SoftState | undefined;
  readonly hardState: HardState | undefined;
  readonly entries: readonly Entry[];
  readonly snapshot: Snapshot | undefined;
  readonly committedEntries: readonly Entry[];
  readonly messages: readonly Message[];
  readonly readStates: readonly ReadState[];
}

/** Filled-in message with defaults; the core builds every message through this. */
export function message(fields: Partial<Message> & Pick<Message, "type" | "from" | "to">): Message {
  return {
    term: 0,
    logTerm: 0,
    index: 0,
    entries: [],
    commit: 0,
    reject: false,
    rejectHint: 0,
    rejectTerm: 0,
    snapshot: undefined,
    context: EMPTY_BYTES,
    ...fields,
  };
}

export const EMPTY_BYTES: Uint8Array = new Uint8Array(0);
