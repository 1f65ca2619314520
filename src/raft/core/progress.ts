/**
 * The leader's view of one follower (etcd-io/raft tracker/progress.go).
 *
 * Invariant: 0 <= match < next. `match` is the highest index known to be replicated on the
 * follower; `next` is the next index to send. States:
 *  - probe: we do not know where the follower's log matches ours; send one append per heartbeat
 *    interval and back off on rejection (fast back-off with the follower's conflict hint);
 *  - replicate: the follower is in sync; stream appends optimistically (`next` races ahead of
 *    `match`), bounded by the inflight window;
 *  - snapshot: the follower needs a snapshot; nothing else is sent until it reports back.
 */
import { assert } from "../../common/assert.js";
import { Inflights } from "./inflights.js";
import type { LogIndex } from "./types.js";

export type ProgressState = "probe" | "replicate" | "snapshot";

export class Progress {
  match: LogIndex;
  next: LogIndex;
  state: ProgressState = "probe";
  /** In snapshot state: the index of the snapshot being sent. */
  pendingSnapshot: LogIndex = 0;
  /** Heard from this follower since the last check-quorum round (leader only). */
  recentActive = false;
  /** The highest commit index sent to the follower (in an append or heartbeat); used to push a
   *  new commit index to a follower that would otherwise learn it only at the next heartbeat. */
  sentCommit: LogIndex = 0;
  /** In probe state: one append was sent and we wait for its answer (or a heartbeat response). */
  probeSent = false;
  readonly inflights: Inflights;

  constructor(
    match: LogIndex,
    next: LogIndex,
    maxInflight: number,
    public isLearner: boolean,
    maxInflightBytes?: number,
  ) {
    this.match = match;
    this.next = next;
    this.inflights = new Inflights(maxInflight, maxInflightBytes);
    this.checkInvariant();
  }

  private checkInvariant(): void {
    assert(
      this.match >= 0 && this.match < this.next,
      () => `progress invariant 0 <= match < next broken: match=${this.match} next=${this.next}`,
    );
  }

  private resetState(state: ProgressState): void {
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.state = state;
    this.inflights.reset();
  }

  becomeProbe(): void {
    // After a snapshot we know the follower has at least the snapshot index.
    if (this.state === "snapshot") {
      const pending = this.pendingSnapshot;
      this.resetState("probe");
      this.next = Math.max(this.match + 1, pending + 1);
    } else {
      this.resetState("probe");
      this.next = this.match + 1;
    }
    this.checkInvariant();
  }

  becomeReplicate(): void {
    this.resetState("replicate");
    this.next = this.match + 1;
    this.checkInvariant();
  }

  becomeSnapshot(snapshotIndex: LogIndex): void {
    this.resetState("snapshot");
    this.pendingSnapshot = snapshotIndex;
  }

  /** Records that entries up to `lastIndex` (count entries, `bytes` in total) were just sent. */
  sentEntries(count: number, lastIndex: LogIndex, bytes: number): void {
    if (this.state === "replicate") {
      if (count > 0) {
        this.next = lastIndex + 1;
        this.inflights.add(lastIndex, bytes);
      }
    } else if (this.state === "probe") {
      this.probeSent = true;
    } else {
      assert(false, () => `sending entries to a follower in ${this.state} state`);
    }
    this.checkInvariant();
  }

  /** An append was acknowledged up to n. Returns false if that tells us nothing new. */
  maybeUpdate(n: LogIndex): boolean {
    let updated = false;
    if (this.match < n) {
      this.match = n;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, n + 1);
    this.checkInvariant();
    return updated;
  }

  /**
   * An append at `rejected` was refused; `matchHint` is the highest index that may match (from the
   * follower's hint, refined by the leader's log). Returns false if the rejection is stale.
   */
  maybeDecrTo(rejected: LogIndex, matchHint: LogIndex): boolean {
    if (this.state === "replicate") {
      // Out of order or duplicate: everything up to match is already acknowledged.
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    // In probe state only the answer to the append we sent (at next-1) counts.
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1);
    this.probeSent = false;
    this.checkInvariant();
    return true;
  }

  /** Whether the leader must hold back appends to this follower for now. */
  isPaused(): boolean {
    switch (this.state) {
      case "probe":
        return this.probeSent;
      case "replicate":
        return this.inflights.full();
      case "snapshot":
        return true;
    }
  }

  /** Forgets everything learned about the follower (a new leader, or a new member). */
  reset(match: LogIndex, next: LogIndex): void {
    this.resetState("probe");
    this.match = match;
    this.next = next;
    this.recentActive = false;
    this.sentCommit = 0;
    this.checkInvariant();
  }
}
