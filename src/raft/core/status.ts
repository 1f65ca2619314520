/** A read-only picture of a node, for the driver's metrics, the operator API and tests. */
import type { ProgressState } from "./progress.js";
import type { ConfState, LogIndex, RaftId, StateRole, Term } from "./types.js";

export interface ProgressStatus {
  readonly match: LogIndex;
  readonly next: LogIndex;
  readonly state: ProgressState;
  readonly isLearner: boolean;
  readonly recentActive: boolean;
  readonly inflight: number;
}

export interface RaftStatus {
  readonly id: RaftId;
  readonly term: Term;
  readonly vote: RaftId;
  readonly commit: LogIndex;
  readonly applied: LogIndex;
  readonly lastIndex: LogIndex;
  readonly lead: RaftId;
  readonly role: StateRole;
  readonly leadTransferee: RaftId;
  readonly config: ConfState;
  /** Filled only on the leader. */
  readonly progress: ReadonlyMap<RaftId, ProgressStatus>;
}
