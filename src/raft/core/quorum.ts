/**
 * Majority quorum math (etcd-io/raft quorum/majority.go), pure and separately tested.
 * One-at-a-time membership changes mean there is only ever one voter set (no joint quorum).
 */
import type { LogIndex, RaftId } from "./types.js";

export type VoteResult = "pending" | "lost" | "won";

/**
 * The largest index acknowledged by a majority of `voters` (unknown voters count as 0). This is
 * the index a leader may commit — provided the entry there is of its current term (§5.4.2),
 * which the log checks, not this function.
 */
export function majorityCommitIndex(
  voters: ReadonlySet<RaftId>,
  acked: (id: RaftId) => LogIndex | undefined,
): LogIndex {
  const n = voters.size;
  // An empty configuration commits nothing (etcd treats it as "infinitely large"; for a leader
  // that is never the case because it is a voter itself).
  if (n === 0) return 0;
  const indexes: LogIndex[] = [];
  for (const id of voters) indexes.push(acked(id) ?? 0);
  indexes.sort((a, b) => b - a);
  // Sorted descending, the (q-1)-th element is the highest index at least q voters have.
  const quorum = Math.floor(n / 2) + 1;
  return indexes[quorum - 1] as LogIndex;
}

/** The outcome of an election (or of a read-index heartbeat round) given the votes seen so far. */
export function majorityVoteResult(
  voters: ReadonlySet<RaftId>,
  votes: ReadonlyMap<RaftId, boolean>,
): VoteResult {
  if (voters.size === 0) return "won";
  let granted = 0;
  let rejected = 0;
  for (const id of voters) {
    const v = votes.get(id);
    if (v === true) granted++;
    else if (v === false) rejected++;
  }
  const quorum = Math.floor(voters.size / 2) + 1;
  if (granted >= quorum) return "won";
  if (voters.size - rejected >= quorum) return "pending";
  return "lost";
}
