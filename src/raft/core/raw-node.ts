/**
 * The core's public face (etcd-io/raft rawnode.go): a Raft node the driver steps with inputs and
 * drains with `ready()` / `advance()`. Single-threaded and synchronous; the driver owns all I/O.
 *
 * The driver's loop (etcd doc.go's four duties):
 *
 *   if (node.hasReady()) {
 *     const rd = node.ready();
 *     // 1. persist atomically + fsync: rd.snapshot (if any), rd.entries (truncating any suffix
 *     //    from rd.entries[0].index on), rd.hardState (if any). Term and vote MUST be durable
 *     //    before any message below leaves (they may be votes or acks that depend on them).
 *     // 2. send rd.messages. For a "snap" message whose snapshot.data is empty, the driver
 *     //    streams its own snapshot with that metadata (index/term/confState) in chunks; the
 *     //    receiving driver reassembles it and steps a "snap" message with the same metadata (data
 *     //    may stay empty in the core: the receiving driver keeps the bytes and installs them when
 *     //    it sees the snapshot come back in its own Ready.snapshot). When the send ends, call
 *     //    reportSnapshot(to, "finish" | "failure") on the sender — without it the leader never
 *     //    sends that follower anything again.
 *     // 3. apply rd.snapshot, then rd.committedEntries in order; for a "confChange" entry decode it
 *     //    (decodeConfChange) and call node.applyConfChange(cc) — the membership changes on apply.
 *     //    Serve rd.readStates once the applied index reaches readState.index.
 *     // 4. node.advance(rd)
 *   }
 *
 * A leader's write path may skip the wait (thesis §10.2.1): if node.mayAdvanceAsync(rd), send
 * rd.messages at once, start writing rd.entries (and its commit-only hard state), apply, call
 * node.advanceAsync(rd), and call node.advanceDurable(index, term) of the last entry once the
 * write is durable. The leader's own copy counts toward commitment only from then on (see
 * Raft.onDurable). Writes land in the order they were started.
 *
 * Fast failover: when a follower's stream to the leader breaks, the driver may call
 * `forgetLeaderAndPreVote()`. With pre-vote + check-quorum this is harmless while the leader is
 * alive: the other followers still hear from it and refuse the pre-vote (leader stickiness), and a
 * pre-vote changes no term. If the leader is really gone, the election starts without waiting a
 * whole randomized election timeout.
 */
import { assert } from "../../common/assert.js";
import { encodeConfChange, validateConfChange } from "./confchange.js";
import type { RaftConfig } from "./config.js";
import { ConfChangeRejectedError } from "./errors.js";
import { Raft } from "./raft.js";
import type { RaftStatus } from "./status.js";
import {
  type ConfChange,
  type ConfState,
  type HardState,
  type LogIndex,
  type Message,
  message,
  NONE,
  type RaftId,
  type Ready,
  type SoftState,
  type Term,
} from "./types.js";

export type { RaftConfig, RaftLogger } from "./config.js";

function hardStateEqual(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

export class RawNode {
  private readonly raft: Raft;
  private prevSoftState: SoftState;
  private prevHardState: HardState;
  private awaitingAdvance = false;
  /** The last Ready was taken while leader (see mayAdvanceAsync). */
  private readyAsLeader = false;
  /** The hard state the driver last reported durable (term and vote matter; commit is volatile). */
  private durableHardState: HardState;

  constructor(config: RaftConfig) {
    this.raft = new Raft(config);
    this.prevSoftState = this.raft.softState();
    this.prevHardState = config.storage.initialState().hardState;
    this.durableHardState = this.prevHardState;
  }

  get id(): RaftId {
    return this.raft.id;
  }

  /** Advances logical time by one tick (the driver calls it every tick interval). */
  tick(): void {
    this.raft.tick();
  }

  /** Starts an election now (through a pre-vote when enabled). */
  campaign(): void {
    this.raft.step(message({ type: "hup", from: this.raft.id, to: this.raft.id }));
  }

  /** Proposes data to be appended. Throws ProposalDroppedError (carrying the leader id, if known)
   *  when the proposal cannot be accepted or forwarded. Acceptance is not commitment: the driver
   *  learns the outcome when the entry shows up in committedEntries (match it by index/term). */
  propose(data: Uint8Array): void {
    this.raft.stepLocal(
      message({
        type: "prop",
        from: this.raft.id,
        to: this.raft.id,
        entries: [{ term: 0, index: 0, type: "normal", data }],
      }),
    );
  }

  /** Proposes a batch of entries in one step (cheaper than one propose per entry). */
  proposeBatch(datas: readonly Uint8Array[]): void {
    if (datas.length === 0) return;
    this.raft.stepLocal(
      message({
        type: "prop",
        from: this.raft.id,
        to: this.raft.id,
        entries: datas.map((data) => ({ term: 0, index: 0, type: "normal" as const, data })),
      }),
    );
  }

  /**
   * Proposes a membership change. Only the leader accepts one (ConfChangeRejectedError with the
   * leader id otherwise), only one may be pending, and a new leader accepts none until an entry
   * of its own term is committed and applied. It takes effect when applied (applyConfChange).
   */
  proposeConfChange(cc: ConfChange): void {
    const r = this.raft;
    if (r.role !== "leader") {
      throw new ConfChangeRejectedError(r.lead === NONE ? undefined : r.lead, "not the leader", "notLeader");
    }
    if (r.pendingConfIndex > r.log.applied) {
      throw new ConfChangeRejectedError(
        r.id,
        `a change is pending (index ${r.pendingConfIndex} not applied yet)`,
        "pending",
      );
    }
    const invalid = validateConfChange(r.tracker.confState(), cc);
    if (invalid !== undefined) throw new ConfChangeRejectedError(r.id, invalid, "invalid");
    r.stepLocal(
      message({
        type: "prop",
        from: r.id,
        to: r.id,
        entries: [{ term: 0, index: 0, type: "confChange", data: encodeConfChange(cc) }],
      }),
    );
  }

  /** Feeds a message received from a peer (or a local one). Messages from unknown senders or
   *  with stale terms are handled (ignored or answered) by the core; it never throws for them. */
  step(m: Message): void {
    assert(!isLocalMessageType(m.type), () => `${m.type} is a local message; use the RawNode method`);
    this.raft.step(m);
  }

  /** Requests a linearizable read. The answer arrives as a ReadState with the same context. */
  readIndex(requestCtx: Uint8Array): void {
    this.raft.stepLocal(
      message({ type: "readIndex", from: this.raft.id, to: this.raft.id, context: requestCtx }),
    );
  }

  /** Asks the leader (this node, or forwarded) to hand leadership to `to`. */
  transferLeadership(to: RaftId): void {
    this.raft.step(message({ type: "transferLeader", from: to, to: this.raft.id }));
  }

  /** Follower only: forget the current leader (so this node grants votes at once). */
  forgetLeader(): void {
    this.raft.forgetLeader();
  }

  /**
   * Fast failover entry point (see the header comment): forget the leader and campaign now. A
   * pre-candidate asks again: a peer that still counted the old leader's lease ignored its first
   * request (no answer comes), and may have forgotten that leader since. A candidate starts over
   * too: two followers that lost the leader together may both win their pre-votes (each grants the
   * other's) and then split the real vote, and without this both would wait out a whole randomized
   * election timeout (1-2 s) before the next round. The new round is a pre-vote for the next term,
   * which the other candidate grants (it has no leader) unless its log is longer.
   */
  forgetLeaderAndPreVote(): void {
    if (this.raft.role === "preCandidate" || this.raft.role === "candidate") {
      this.campaign();
      return;
    }
    if (this.raft.role !== "follower") return;
    this.raft.forgetLeader();
    this.campaign();
  }

  hasReady(): boolean {
    const r = this.raft;
    if (this.awaitingAdvance) return false;
    const ss = r.softState();
    if (ss.lead !== this.prevSoftState.lead || ss.role !== this.prevSoftState.role) return true;
    if (!hardStateEqual(r.hardState(), this.prevHardState)) return true;
    if (r.log.hasPendingSnapshot()) return true;
    if (r.msgs.length > 0 || r.readStates.length > 0) return true;
    if (r.log.unstable.hasEntriesToPersist()) return true;
    return r.log.hasNextCommittedEnts(this.applyUnstable());
  }

  /** A leader applies only entries its own log holds durably (its writes may be asynchronous);
   *  any other role persists a Ready (and every earlier write) before applying it. */
  private applyUnstable(): boolean {
    return this.raft.role !== "leader";
  }

  /** What the driver must do next (see the header). Call advance(rd) before the next ready(). */
  ready(): Ready {
    assert(!this.awaitingAdvance, "ready() called again before advance()");
    const r = this.raft;
    const ss = r.softState();
    const hs = r.hardState();
    const softChanged = ss.lead !== this.prevSoftState.lead || ss.role !== this.prevSoftState.role;
    const hardChanged = !hardStateEqual(hs, this.prevHardState);
    const committedEntries = r.log.nextCommittedEnts(this.applyUnstable());
    const rd: Ready = {
      softState: softChanged ? ss : undefined,
      hardState: hardChanged ? hs : undefined,
      // A copy: proposals stepped between ready() and advance() append to the live unstable
      // array; they belong to the next Ready.
      entries: r.log.unstable.entriesToPersist(),
      snapshot: r.log.unstable.snapshot,
      committedEntries,
      messages: r.msgs,
      readStates: r.readStates,
    };
    r.msgs = [];
    r.readStates = [];
    r.log.unstable.acceptInProgress();
    this.readyAsLeader = ss.role === "leader";
    this.prevSoftState = ss;
    if (hardChanged) this.prevHardState = hs;
    const lastCommitted = committedEntries[committedEntries.length - 1];
    if (lastCommitted !== undefined) r.log.acceptApplying(lastCommitted.index);
    this.awaitingAdvance = true;
    return rd;
  }

  /** The driver has done everything `rd` asked: its entries and state are durable (and so is
   *  every earlier asynchronous write: the driver writes in order), its committed entries
   *  applied. */
  advance(rd: Ready): void {
    assert(this.awaitingAdvance, "advance() without ready()");
    this.awaitingAdvance = false;
    const r = this.raft;
    if (rd.snapshot !== undefined) {
      r.log.stableSnapTo(rd.snapshot.metadata.index);
      r.log.appliedTo(rd.snapshot.metadata.index);
    }
    r.log.stableToInProgress();
    if (rd.hardState !== undefined) this.durableHardState = rd.hardState;
    this.afterApply(rd);
    r.onDurable();
  }

  /**
   * Whether the driver may send `rd.messages` before `rd` is durable and report durability later
   * (advanceAsync, then advanceDurable). Only a leader's Ready that changes neither term nor vote
   * and installs no snapshot: its messages are appends, heartbeats and read answers, which depend
   * on no state it is writing (its own copy does not count until it is durable, see
   * Raft.onDurable). Everything else (votes, a follower's acknowledgements) waits for the fsync.
   */
  mayAdvanceAsync(rd: Ready): boolean {
    const hs = rd.hardState;
    return (
      this.readyAsLeader &&
      rd.snapshot === undefined &&
      (hs === undefined || (hs.term === this.durableHardState.term && hs.vote === this.durableHardState.vote))
    );
  }

  /**
   * Like advance(rd), except that `rd.entries` (and its commit-only hard state) are still being
   * written: the driver sent `rd.messages` before its fsync and will call
   * advanceDurable(index, term) when the write completes. Requires mayAdvanceAsync(rd).
   */
  advanceAsync(rd: Ready): void {
    assert(this.awaitingAdvance, "advanceAsync() without ready()");
    assert(this.mayAdvanceAsync(rd), "advanceAsync() of a Ready that must be persisted first");
    this.awaitingAdvance = false;
    this.afterApply(rd);
  }

  /**
   * An asynchronous write finished: the log is durable up to entry (index, term). Ignored when
   * that entry has been replaced since (the write no longer describes our log). On a leader this
   * is where its own copy starts to count toward the commit quorum.
   */
  advanceDurable(index: LogIndex, term: Term): void {
    this.raft.log.stableTo(index, term);
    this.raft.onDurable();
  }

  private afterApply(rd: Ready): void {
    const r = this.raft;
    const lastCommitted = rd.committedEntries[rd.committedEntries.length - 1];
    if (lastCommitted !== undefined) {
      r.log.appliedTo(lastCommitted.index);
      r.reduceUncommittedSize(rd.committedEntries);
      r.afterApplied();
    }
  }

  /** The application applies a committed confChange entry: returns the new membership, which the
   *  driver stores with its next snapshot. */
  applyConfChange(cc: ConfChange): ConfState {
    return this.raft.applyConfChange(cc);
  }

  /** The transport could not deliver to `id`: the leader stops pipelining to it and probes. */
  reportUnreachable(id: RaftId): void {
    this.raft.step(message({ type: "unreachable", from: id, to: this.raft.id }));
  }

  /** The outcome of streaming a snapshot to `id` (see the header). */
  reportSnapshot(id: RaftId, status: "finish" | "failure"): void {
    this.raft.step(message({ type: "snapStatus", from: id, to: this.raft.id, reject: status === "failure" }));
  }

  status(): RaftStatus {
    return this.raft.status();
  }

  /** Term of log entry i (stable or not), or undefined if compacted or beyond the end. For
   *  observers (the simulator's invariant checks, debugging); never needed to drive the node. */
  logTerm(i: LogIndex): Term | undefined {
    return this.raft.log.termOrUndefined(i);
  }

  /** First index still in the log (entries before it are in the snapshot). */
  firstIndex(): LogIndex {
    return this.raft.log.firstIndex();
  }
}

function isLocalMessageType(t: Message["type"]): boolean {
  return t === "hup" || t === "beat" || t === "snapStatus" || t === "unreachable" || t === "checkQuorum";
}
