/**
 * Typed errors of the Raft core. The storage errors are thrown by a `RaftStorage` implementation
 * (the driver's durable store must throw THESE classes, the core recognises them by `instanceof`);
 * the proposal errors are thrown to the caller of `RawNode.propose*` and carry what it needs to act.
 */
import type { LogIndex, RaftId } from "./types.js";

/** Asked for a log position at or below the compaction point; the core sends a snapshot instead. */
export class CompactedError extends Error {
  override name = "CompactedError";
  constructor(
    readonly index: LogIndex,
    readonly compactedIndex: LogIndex,
  ) {
    super(`log index ${index} is compacted (compaction point ${compactedIndex})`);
  }
}

/** Asked for a log position after the last entry. */
export class UnavailableError extends Error {
  override name = "UnavailableError";
  constructor(
    readonly index: LogIndex,
    readonly lastIndex: LogIndex,
  ) {
    super(`log index ${index} is beyond the last index ${lastIndex}`);
  }
}

/**
 * The storage cannot hand out a snapshot right now (e.g. one is being written). The leader
 * simply retries on a later heartbeat; the follower stays in probe state meanwhile.
 */
export class SnapshotTemporarilyUnavailableError extends Error {
  override name = "SnapshotTemporarilyUnavailableError";
  constructor() {
    super("snapshot is temporarily unavailable");
  }
}

/**
 * A proposal was not accepted by this node: it is not the leader and cannot forward (no known
 * leader, or forwarding disabled), or it is a leader that is transferring leadership or is over its
 * uncommitted-size budget. `leaderId` is the leader to redirect the client to, or `undefined`.
 */
export class ProposalDroppedError extends Error {
  override name = "ProposalDroppedError";
  constructor(
    readonly leaderId: RaftId | undefined,
    readonly reason: string,
  ) {
    super(`proposal dropped: ${reason}${leaderId === undefined ? "" : ` (leader is ${leaderId})`}`);
  }
}

/** Why a membership change was refused, for callers that retry some reasons and not others. */
export type ConfChangeRejection = "notLeader" | "pending" | "invalid";

/** A membership change was refused (another change pending, not leader, invalid change). */
export class ConfChangeRejectedError extends Error {
  override name = "ConfChangeRejectedError";
  constructor(
    readonly leaderId: RaftId | undefined,
    reason: string,
    readonly code: ConfChangeRejection = "invalid",
  ) {
    super(`membership change rejected: ${reason}`);
  }
}
