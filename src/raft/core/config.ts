/** The configuration of one Raft node (etcd-io/raft Config), validated by `validateConfig`. */
import { assert } from "../../common/assert.js";
import type { RaftStorage } from "./storage.js";
import type { LogIndex, RaftId } from "./types.js";

export interface RaftLogger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
}

export interface RaftConfig {
  id: RaftId;
  /** Ticks without hearing from a leader before a follower campaigns; the actual timeout is
   *  randomized in [electionTick, 2*electionTick) (§5.2) to make split votes unlikely. */
  electionTick: number;
  /** Ticks between leader heartbeats; must be smaller than electionTick. */
  heartbeatTick: number;
  storage: RaftStorage;
  /** Last index the application has applied (on restart; 0 for a fresh node). */
  applied: LogIndex;
  /** Bytes per append message (batching); at least one entry is always sent. */
  maxSizePerMsg: number;
  /** Append messages in flight per follower in replicate state (pipelining window). */
  maxInflightMsgs: number;
  /** A leader refuses proposals while its uncommitted log tail exceeds this many bytes. */
  maxUncommittedEntriesSize?: number;
  /** Bytes of committed entries handed out per Ready; defaults to max(maxSizePerMsg, 1 MiB). */
  maxCommittedSizePerReady?: number;
  /** A leader steps down when it has not heard from a quorum within an election timeout. */
  checkQuorum: boolean;
  /** Run a pre-vote round before bumping the term (thesis §9.6), so a partitioned node that
   *  rejoins cannot disrupt a healthy leader. */
  preVote: boolean;
  /** "safe": ReadIndex confirms leadership with a heartbeat round; "leaseBased": relies on
   *  check-quorum and bounded clock drift (requires checkQuorum). */
  readOnlyOption: "safe" | "leaseBased";
  /** Followers drop proposals (ProposalDroppedError carries the leader id) instead of forwarding. */
  disableProposalForwarding: boolean;
  /** Seeded source in [0,1) for randomized election timeouts; the core has no randomness of its own. */
  random: () => number;
  logger?: RaftLogger;
}

export function validateConfig(c: RaftConfig): void {
  assert(c.id !== "", "raft id must not be empty");
  assert(c.heartbeatTick > 0, "heartbeatTick must be greater than 0");
  assert(c.electionTick > c.heartbeatTick, "electionTick must be greater than heartbeatTick");
  assert(c.maxInflightMsgs > 0, "maxInflightMsgs must be greater than 0");
  assert(c.maxSizePerMsg > 0, "maxSizePerMsg must be greater than 0");
  assert(
    c.readOnlyOption !== "leaseBased" || c.checkQuorum,
    "readOnlyOption leaseBased requires checkQuorum: a lease is only valid while the leader steps down without a quorum",
  );
}
