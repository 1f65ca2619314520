/**
 * The leader's (and candidate's) view of the membership: the voter and learner sets, one Progress
 * per member, and the votes of the current election (etcd-io/raft tracker/tracker.go, without
 * joint consensus: Drover changes membership one server at a time).
 */
import { assert } from "../../common/assert.js";
import { Progress } from "./progress.js";
import { majorityCommitIndex, majorityVoteResult, type VoteResult } from "./quorum.js";
import type { ConfState, LogIndex, RaftId } from "./types.js";

export class ProgressTracker {
  voters = new Set<RaftId>();
  learners = new Set<RaftId>();
  readonly progress = new Map<RaftId, Progress>();
  readonly votes = new Map<RaftId, boolean>();

  constructor(
    readonly maxInflight: number,
    readonly maxInflightBytes?: number,
  ) {}

  confState(): ConfState {
    return { voters: [...this.voters].sort(), learners: [...this.learners].sort(), votersOutgoing: [] };
  }

  isVoter(id: RaftId): boolean {
    return this.voters.has(id);
  }

  /** Replaces the membership; members already tracked keep their progress. */
  applyConfState(cs: ConfState, lastIndex: LogIndex): void {
    assert(cs.votersOutgoing.length === 0, "joint configurations are not supported");
    const voters = new Set(cs.voters);
    const learners = new Set(cs.learners);
    for (const id of learners) assert(!voters.has(id), () => `${id} is both voter and learner`);
    for (const id of [...this.progress.keys()]) {
      if (!voters.has(id) && !learners.has(id)) this.progress.delete(id);
    }
    for (const id of [...voters, ...learners]) {
      const existing = this.progress.get(id);
      if (existing === undefined) {
        // A new member: probe from the end of our log; rejections walk `next` back.
        const pr = new Progress(0, lastIndex + 1, this.maxInflight, learners.has(id), this.maxInflightBytes);
        // Treat a fresh member as active so check-quorum does not depose the leader right after
        // adding it, before the new member had a chance to answer.
        pr.recentActive = true;
        this.progress.set(id, pr);
      } else {
        existing.isLearner = learners.has(id);
      }
    }
    this.voters = voters;
    this.learners = learners;
  }

  get(id: RaftId): Progress {
    const pr = this.progress.get(id);
    assert(pr !== undefined, () => `no progress for ${id}`);
    return pr;
  }

  /** The highest index replicated on a majority of voters. */
  committed(): LogIndex {
    return majorityCommitIndex(this.voters, (id) => this.progress.get(id)?.match);
  }

  resetVotes(): void {
    this.votes.clear();
  }

  recordVote(id: RaftId, granted: boolean): void {
    if (!this.votes.has(id)) this.votes.set(id, granted);
  }

  tallyVotes(): { granted: number; rejected: number; result: VoteResult } {
    let granted = 0;
    let rejected = 0;
    for (const id of this.voters) {
      const v = this.votes.get(id);
      if (v === true) granted++;
      else if (v === false) rejected++;
    }
    return { granted, rejected, result: majorityVoteResult(this.voters, this.votes) };
  }

  /** Whether a quorum of voters was recently active (check-quorum); `self` always counts. */
  quorumActive(self: RaftId): boolean {
    const votes = new Map<RaftId, boolean>();
    for (const [id, pr] of this.progress) {
      if (pr.isLearner) continue;
      votes.set(id, id === self || pr.recentActive);
    }
    return majorityVoteResult(this.voters, votes) === "won";
  }
}
