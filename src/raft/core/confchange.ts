/**
 * One-at-a-time membership changes (Raft thesis §4.1), applied to a ConfState.
 *
 * Why one at a time is safe: any majority of C and any majority of C ± one server intersect, so
 * two leaders cannot be elected in one term by configurations that differ by one server. The known
 * flaw of this scheme (Ongaro, raft-dev 2015) is fixed in raft.ts: a new leader may propose a
 * change only after an entry of its own term is committed and applied (`pendingConfIndex` starts at
 * the leader's no-op entry), and only one change may be pending at a time.
 */
import type { ConfChange, ConfState, RaftId } from "./types.js";

/** Why a change cannot be applied to `cs`, or undefined if it can. */
export function validateConfChange(cs: ConfState, cc: ConfChange): string | undefined {
  if (cc.nodeId === "") return "a conf change needs a node id";
  const isVoter = cs.voters.includes(cc.nodeId);
  const isLearner = cs.learners.includes(cc.nodeId);
  switch (cc.type) {
    case "addVoter":
      return isVoter ? `${cc.nodeId} is already a voter` : undefined;
    case "addLearner":
      if (isVoter) return `${cc.nodeId} is a voter; demoting a voter to a learner is not supported`;
      return isLearner ? `${cc.nodeId} is already a learner` : undefined;
    case "removeNode":
      if (!isVoter && !isLearner) return `${cc.nodeId} is not a member`;
      if (isVoter && cs.voters.length === 1) return "cannot remove the last voter";
      return undefined;
  }
}

/**
 * The configuration after `cc`. `addVoter` of a learner promotes it. An invalid change (possible
 * when it raced with another one that committed first) leaves the configuration unchanged: every
 * server applies the same entries and reaches the same decision.
 */
export function applyConfChangeTo(cs: ConfState, cc: ConfChange): ConfState {
  if (validateConfChange(cs, cc) !== undefined) return cs;
  const without = (ids: readonly RaftId[]): RaftId[] => ids.filter((id) => id !== cc.nodeId);
  switch (cc.type) {
    case "addVoter":
      return { voters: [...cs.voters, cc.nodeId].sort(), learners: without(cs.learners), votersOutgoing: [] };
    case "addLearner":
      return { voters: [...cs.voters], learners: [...cs.learners, cc.nodeId].sort(), votersOutgoing: [] };
    case "removeNode":
      return { voters: without(cs.voters), learners: without(cs.learners), votersOutgoing: [] };
  }
}

/** Conf changes travel as entry data: a small self-describing encoding (JSON + base64 context). */
export function encodeConfChange(cc: ConfChange): Uint8Array {
  const json = JSON.stringify({ t: cc.type, n: cc.nodeId, c: Buffer.from(cc.context).toString("base64") });
  return new TextEncoder().encode(json);
}

export function decodeConfChange(data: Uint8Array): ConfChange {
  const raw = JSON.parse(new TextDecoder().decode(data)) as { t?: unknown; n?: unknown; c?: unknown };
  if (
    (raw.t !== "addVoter" && raw.t !== "addLearner" && raw.t !== "removeNode") ||
    typeof raw.n !== "string" ||
    typeof raw.c !== "string"
  ) {
    throw new Error(`malformed conf change entry: ${new TextDecoder().decode(data)}`);
  }
  return { type: raw.t, nodeId: raw.n, context: new Uint8Array(Buffer.from(raw.c, "base64")) };
}
