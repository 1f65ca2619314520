/**
 * The Raft state machine (etcd-io/raft raft.go), pure: inputs are `tick()` and `step(message)`;
 * outputs accumulate in `msgs`, `readStates` and the log's unstable tail, and RawNode hands them
 * to the driver as a Ready. No I/O, no clock, no randomness of its own.
 *
 * Safety-critical rules and where they are enforced:
 *  - one vote per term, persisted before the reply (§5.2; the vote lands in Ready.hardState, which
 *    the driver persists before it sends Ready.messages);
 *  - vote only for a candidate whose log is at least as up to date (§5.4.1, RaftLog.isUpToDate);
 *  - a leader commits by counting replicas only for entries of its own term (§5.4.2,
 *    RaftLog.maybeCommit), and appends an empty entry on election so that happens promptly;
 *  - a follower never truncates committed entries (RaftLog.maybeAppend asserts it).
 */
import { assert } from "../../common/assert.js";
import { applyConfChangeTo } from "./confchange.js";
import { type RaftConfig, type RaftLogger, validateConfig } from "./config.js";
import { ProposalDroppedError, SnapshotTemporarilyUnavailableError } from "./errors.js";
import { RaftLog } from "./log.js";
import type { Progress } from "./progress.js";
import { ProgressTracker } from "./progress-tracker.js";
import { majorityVoteResult, type VoteResult } from "./quorum.js";
import { ReadOnly } from "./read-only.js";
import type { ProgressStatus, RaftStatus } from "./status.js";
import { entrySize } from "./storage.js";
import {
  type ConfChange,
  type ConfState,
  EMPTY_BYTES,
  type Entry,
  type HardState,
  type LogIndex,
  type Message,
  type MessageType,
  message,
  NONE,
  type RaftId,
  type ReadState,
  type Snapshot,
  type SoftState,
  type StateRole,
  type Term,
} from "./types.js";

/** Context of vote requests caused by TimeoutNow: voters must not ignore them for leader stickiness. */
export const CAMPAIGN_TRANSFER: Uint8Array = new TextEncoder().encode("CampaignTransfer");

type CampaignKind = "preElection" | "election" | "transfer";

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

function voteRespType(t: MessageType): MessageType {
  return t === "preVote" ? "preVoteResp" : "voteResp";
}

export class Raft {
  readonly id: RaftId;
  term: Term = 0;
  vote: RaftId = NONE;
  lead: RaftId = NONE;
  role: StateRole = "follower";
  isLearner = false;
  readonly log: RaftLog;
  tracker: ProgressTracker;
  /** Messages to send once the current Ready's state is durable. */
  msgs: Message[] = [];
  readStates: ReadState[] = [];
  /** Leader only: the follower leadership is being transferred to, or NONE. */
  leadTransferee: RaftId = NONE;
  /** Leader only: index of the latest conf change that may not be applied yet. A new change is
   *  refused while pendingConfIndex > applied (one change at a time; starts at the leader's no-op
   *  entry so a new leader first commits an entry of its own term — the one-at-a-time fix). */
  pendingConfIndex: LogIndex = 0;
  private uncommittedSize = 0;
  /** A TimeoutNow arrived while conf changes were committed but not applied (see hup). */
  private campaignWhenApplied = false;
  private readonly readOnly: ReadOnly;
  /** ReadIndex requests that arrived before the leader committed an entry of its term. */
  private pendingReadIndexMessages: Message[] = [];

  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;
  private readonly electionTimeout: number;
  private readonly heartbeatTimeout: number;
  private readonly checkQuorum: boolean;
  private readonly preVote: boolean;
  private readonly disableProposalForwarding: boolean;
  private readonly maxSizePerMsg: number;
  private readonly maxUncommittedSize: number;
  private readonly random: () => number;
  private readonly logger: RaftLogger | undefined;

  constructor(config: RaftConfig) {
    validateConfig(config);
    this.id = config.id;
    this.electionTimeout = config.electionTick;
    this.heartbeatTimeout = config.heartbeatTick;
    this.checkQuorum = config.checkQuorum;
    this.preVote = config.preVote;
    this.disableProposalForwarding = config.disableProposalForwarding;
    this.maxSizePerMsg = config.maxSizePerMsg;
    this.maxUncommittedSize = config.maxUncommittedEntriesSize ?? Number.POSITIVE_INFINITY;
    this.random = config.random;
    this.logger = config.logger;
    this.readOnly = new ReadOnly(config.readOnlyOption);
    this.log = new RaftLog(
      config.storage,
      config.maxCommittedSizePerReady ?? Math.max(config.maxSizePerMsg, 1024 * 1024),
    );
    const { hardState, confState } = config.storage.initialState();
    this.tracker = new ProgressTracker(config.maxInflightMsgs);
    this.tracker.applyConfState(confState, this.log.lastIndex());
    this.isLearner = this.tracker.learners.has(this.id);
    if (hardState.term !== 0 || hardState.vote !== NONE || hardState.commit !== 0) this.loadState(hardState);
    if (config.applied > 0) this.log.appliedTo(config.applied);
    this.becomeFollower(this.term, NONE);
  }

  private loadState(hs: HardState): void {
    assert(
      hs.commit <= this.log.lastIndex(),
      () => `${this.id}: hard state commit ${hs.commit} beyond the last index ${this.log.lastIndex()}`,
    );
    // The stored commit may lag the snapshot: a leader applies (and may snapshot) an entry once it
    // is committed and durable in its log, while the commit-only hard state saying so is still
    // being written (it rides with later entries). A snapshot holds only committed state, and the
    // commit index is volatile anyway (Figure 2), so the snapshot's index is a safe floor.
    this.log.committed = Math.max(hs.commit, this.log.committed);
    this.term = hs.term;
    this.vote = hs.vote;
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  softState(): SoftState {
    return { lead: this.lead, role: this.role };
  }

  // ───────────────────────── sending ─────────────────────────

  private send(m: Message): void {
    assert(m.to !== this.id, () => `${this.id}: message ${m.type} addressed to itself`);
    const t = m.type;
    if (t === "vote" || t === "voteResp" || t === "preVote" || t === "preVoteResp") {
      // Vote messages carry the term of the election, which may not be ours (pre-votes).
      assert(m.term !== 0, () => `${this.id}: ${t} must carry a term`);
      this.msgs.push(m);
    } else if (t === "prop" || t === "readIndex") {
      // Forwarded to the leader as if local: no term, so a term change in between cannot drop them.
      this.msgs.push(m);
    } else {
      this.msgs.push({ ...m, term: this.term });
    }
  }

  /** Sends an append (or a snapshot) to `to` if its flow control allows. Returns whether it sent. */
  private maybeSendAppend(to: RaftId, sendIfEmpty: boolean): boolean {
    const pr = this.tracker.get(to);
    if (pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    const logTerm = this.log.termOrUndefined(prevIndex);
    let ents: Entry[] | undefined;
    if (logTerm !== undefined && prevIndex >= this.log.firstIndex() - 1) {
      ents = this.log.slice(pr.next, this.log.lastIndex() + 1, this.maxSizePerMsg);
    }
    if (logTerm === undefined || ents === undefined) return this.maybeSendSnapshot(to, pr);
    if (ents.length === 0 && !sendIfEmpty) return false;
    let bytes = 0;
    for (const e of ents) bytes += entrySize(e);
    this.send(
      message({
        type: "app",
        from: this.id,
        to,
        index: prevIndex,
        logTerm,
        entries: ents,
        commit: this.log.committed,
      }),
    );
    pr.sentEntries(ents.length, prevIndex + ents.length, bytes);
    pr.sentCommit = Math.max(pr.sentCommit, this.log.committed);
    return true;
  }

  /** The follower needs entries we compacted: send the latest snapshot instead. */
  private maybeSendSnapshot(to: RaftId, pr: Progress): boolean {
    // A silent follower would just make us resend a (possibly large) snapshot; wait until it talks.
    if (!pr.recentActive) return false;
    let snapshot: Snapshot;
    try {
      snapshot = this.log.snapshot();
    } catch (error) {
      if (error instanceof SnapshotTemporarilyUnavailableError) return false;
      throw error;
    }
    assert(snapshot.metadata.index > 0, "need a non-empty snapshot");
    pr.becomeSnapshot(snapshot.metadata.index);
    this.logger?.debug(`${this.id}: sending snapshot ${snapshot.metadata.index} to ${to}`);
    this.send(message({ type: "snap", from: this.id, to, snapshot }));
    return true;
  }

  private sendAppend(to: RaftId): void {
    this.maybeSendAppend(to, true);
  }

  private sendHeartbeat(to: RaftId, ctx: Uint8Array): void {
    // Never tell a follower of a commit index beyond what it is known to have: it may not have
    // those entries (or may have different ones) yet.
    const pr = this.tracker.get(to);
    const commit = Math.min(pr.match, this.log.committed);
    pr.sentCommit = Math.max(pr.sentCommit, commit);
    this.send(message({ type: "heartbeat", from: this.id, to, commit, context: ctx }));
  }

  private bcastAppend(): void {
    for (const id of this.tracker.progress.keys()) if (id !== this.id) this.sendAppend(id);
  }

  private bcastHeartbeat(): void {
    this.bcastHeartbeatWithCtx(this.readOnly.lastPendingContext() ?? EMPTY_BYTES);
  }

  private bcastHeartbeatWithCtx(ctx: Uint8Array): void {
    for (const id of this.tracker.progress.keys()) if (id !== this.id) this.sendHeartbeat(id, ctx);
  }

  private sendTimeoutNow(to: RaftId): void {
    this.send(message({ type: "timeoutNow", from: this.id, to }));
  }

  // ───────────────────────── role changes ─────────────────────────

  private reset(term: Term): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = NONE;
    }
    this.lead = NONE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.resetRandomizedElectionTimeout();
    this.leadTransferee = NONE;
    this.tracker.resetVotes();
    const last = this.log.lastIndex();
    // Our own copy counts only as far as it is durable (see onDurable).
    const durable = Math.min(this.log.stableLastIndex(), last);
    for (const [id, pr] of this.tracker.progress) {
      pr.reset(id === this.id ? durable : 0, last + 1);
    }
    this.pendingConfIndex = 0;
    this.uncommittedSize = 0;
    this.campaignWhenApplied = false;
    this.readOnly.reset();
    this.pendingReadIndexMessages = [];
  }

  private resetRandomizedElectionTimeout(): void {
    const r = this.random();
    assert(r >= 0 && r < 1, () => `random() must be in [0,1), got ${r}`);
    this.randomizedElectionTimeout = this.electionTimeout + Math.floor(r * this.electionTimeout);
  }

  becomeFollower(term: Term, lead: RaftId): void {
    this.reset(term);
    this.lead = lead;
    this.role = "follower";
    this.logger?.debug(`${this.id}: became follower at term ${term}, leader ${lead || "none"}`);
  }

  private becomeCandidate(): void {
    assert(this.role !== "leader", () => `${this.id}: leader cannot become candidate`);
    this.reset(this.term + 1);
    this.vote = this.id;
    this.role = "candidate";
    this.logger?.debug(`${this.id}: became candidate at term ${this.term}`);
  }

  private becomePreCandidate(): void {
    assert(this.role !== "leader", () => `${this.id}: leader cannot become pre-candidate`);
    // A pre-vote changes neither term nor vote: a node that cannot win does not disrupt anyone.
    this.tracker.resetVotes();
    this.lead = NONE;
    this.role = "preCandidate";
    this.logger?.debug(`${this.id}: became pre-candidate at term ${this.term}`);
  }

  private becomeLeader(): void {
    assert(
      this.role === "candidate" || this.role === "preCandidate",
      () => `${this.id}: invalid leader transition`,
    );
    this.reset(this.term);
    this.lead = this.id;
    this.role = "leader";
    this.tracker.get(this.id).becomeReplicate();
    // §5.4.2 / Figure 8: earlier-term entries commit only indirectly, so append one of our own.
    const ok = this.appendEntry([{ term: 0, index: 0, type: "normal", data: EMPTY_BYTES }]);
    assert(ok, "empty entry must be accepted");
    // Conf changes are refused until that empty entry is applied: a new leader must commit an
    // entry of its own term before changing membership (the one-at-a-time fix, see confchange.ts;
    // etcd sets this to the index before the empty entry, which is not enough for that fix).
    this.pendingConfIndex = this.log.lastIndex();
    this.logger?.info(`${this.id}: became leader at term ${this.term}`);
  }

  // ───────────────────────── ticking ─────────────────────────

  tick(): void {
    if (this.role === "leader") this.tickHeartbeat();
    else this.tickElection();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.hup("election");
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.electionTimeout) {
      this.electionElapsed = 0;
      if (this.checkQuorum) this.stepLeaderCheckQuorum();
      // A transfer that did not finish within an election timeout is abandoned.
      if (this.role === "leader" && this.leadTransferee !== NONE) this.leadTransferee = NONE;
      // A removed leader keeps trying to hand over until another leader deposes it.
      if (this.role === "leader" && !this.tracker.voters.has(this.id)) this.transferFromRemovedLeader();
    }
    if (this.role !== "leader") return;
    if (this.heartbeatElapsed >= this.heartbeatTimeout) {
      this.heartbeatElapsed = 0;
      this.bcastHeartbeat();
    }
  }

  /** Whether this node may become leader: a voter, not in the middle of installing a snapshot. */
  promotable(): boolean {
    return this.tracker.voters.has(this.id) && !this.log.hasPendingSnapshot();
  }

  // ───────────────────────── elections ─────────────────────────

  hup(kind: "election" | "transfer"): void {
    if (this.role === "leader") return;
    if (!this.promotable()) return;
    // A committed but unapplied conf change may change whether we are a voter, or who is; wait.
    // A TimeoutNow is remembered and acted on once they are applied (see afterApplied): a removed
    // leader hands over right after the removal commits, when the target may not have applied it.
    if (this.hasUnappliedConfChanges()) {
      if (kind === "transfer") this.campaignWhenApplied = true;
      return;
    }
    if (kind === "transfer") this.campaign("transfer");
    else this.campaign(this.preVote ? "preElection" : "election");
  }

  /** Called by RawNode after the application applied entries. */
  afterApplied(): void {
    if (this.campaignWhenApplied && !this.hasUnappliedConfChanges()) {
      this.campaignWhenApplied = false;
      this.hup("transfer");
    }
  }

  private hasUnappliedConfChanges(): boolean {
    if (this.log.applied >= this.log.committed) return false;
    const ents = this.log.slice(this.log.applied + 1, this.log.committed + 1, Number.POSITIVE_INFINITY);
    return ents.some((e) => e.type === "confChange");
  }

  private campaign(kind: CampaignKind): void {
    let voteMsg: MessageType;
    let term: Term;
    if (kind === "preElection") {
      this.becomePreCandidate();
      voteMsg = "preVote";
      // Pre-votes ask "would you vote for me in the next term?" without bumping ours.
      term = this.term + 1;
    } else {
      this.becomeCandidate();
      voteMsg = "vote";
      term = this.term;
    }
    if (this.poll(this.id, true) === "won") {
      // A single-voter cluster wins at once.
      if (kind === "preElection") this.campaign("election");
      else this.becomeLeader();
      return;
    }
    const lastIndex = this.log.lastIndex();
    const lastTerm = this.log.lastTerm();
    const context = kind === "transfer" ? CAMPAIGN_TRANSFER : EMPTY_BYTES;
    for (const id of this.tracker.voters) {
      if (id === this.id) continue;
      this.send(
        message({ type: voteMsg, from: this.id, to: id, term, index: lastIndex, logTerm: lastTerm, context }),
      );
    }
  }

  private poll(id: RaftId, granted: boolean): VoteResult {
    this.tracker.recordVote(id, granted);
    return this.tracker.tallyVotes().result;
  }

  // ───────────────────────── stepping ─────────────────────────

  /** True while stepping a message that came from this node's own caller (RawNode.propose etc.). */
  private steppingLocal = false;

  /** Steps a message from the local caller: refusals throw typed errors instead of being dropped. */
  stepLocal(m: Message): void {
    this.steppingLocal = true;
    try {
      this.step(m);
    } finally {
      this.steppingLocal = false;
    }
  }

  step(m: Message): void {
    if (m.term === 0) {
      // Local message (or a forwarded proposal / read request).
    } else if (m.term > this.term) {
      if (m.type === "vote" || m.type === "preVote") {
        const force = bytesEqual(m.context, CAMPAIGN_TRANSFER);
        const inLease = this.checkQuorum && this.lead !== NONE && this.electionElapsed < this.electionTimeout;
        // Leader stickiness (thesis §4.2.3): while we hear from a leader, ignore vote requests,
        // so a node that was partitioned away cannot depose a healthy leader on rejoining.
        if (!force && inLease) return;
      }
      if (m.type === "preVote") {
        // Never change our term in response to a pre-vote.
      } else if (m.type === "preVoteResp" && !m.reject) {
        // The term in a granted pre-vote response is the one we will campaign in; not ours yet.
      } else if (m.type === "app" || m.type === "heartbeat" || m.type === "snap") {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, NONE);
      }
    } else if (m.term < this.term) {
      if ((this.checkQuorum || this.preVote) && (m.type === "heartbeat" || m.type === "app")) {
        // A stale leader (e.g. after a partition healed): with check-quorum or pre-vote our higher
        // term would never reach it through votes, so tell it directly; it steps down.
        this.send(message({ type: "appResp", from: this.id, to: m.from }));
      } else if (m.type === "preVote") {
        // Reject with our term so the pre-candidate learns it is behind.
        this.send(message({ type: "preVoteResp", from: this.id, to: m.from, term: this.term, reject: true }));
      }
      return;
    }

    if ((m.type === "voteResp" || m.type === "preVoteResp") && m.reject && m.rejectHint > 0) {
      this.learnCommitFromVoteRejection(m);
    }
    switch (m.type) {
      case "hup":
        this.hup(bytesEqual(m.context, CAMPAIGN_TRANSFER) ? "transfer" : "election");
        return;
      case "vote":
      case "preVote":
        this.handleVoteRequest(m);
        return;
      default:
        if (this.role === "leader") this.stepLeader(m);
        else if (this.role === "follower") this.stepFollower(m);
        else this.stepCandidate(m);
    }
  }

  private handleVoteRequest(m: Message): void {
    const canVote =
      this.vote === m.from ||
      (this.vote === NONE && this.lead === NONE) ||
      // A pre-vote for a future term says nothing about our vote in the current one.
      (m.type === "preVote" && m.term > this.term);
    if (canVote && this.log.isUpToDate(m.index, m.logTerm)) {
      // Reply with the request's term: for a pre-vote it is not ours, and the candidate must
      // recognise the reply as belonging to its (pre-)election.
      this.send(message({ type: voteRespType(m.type), from: this.id, to: m.from, term: m.term }));
      if (m.type === "vote") {
        // Persisted (Ready.hardState) before the reply leaves (Ready.messages): one vote per term.
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      // Tell the candidate how far we know the log is committed (at an index it has, with our
      // term there): it may be stuck behind a committed conf change it never learned was committed
      // — e.g. the removal of a leader that crashed before passing the word — and without that it
      // keeps asking a configuration that no longer exists.
      const hint = Math.min(this.log.committed, m.index);
      const hintTerm = this.log.termOrUndefined(hint) ?? 0;
      this.send(
        message({
          type: voteRespType(m.type),
          from: this.id,
          to: m.from,
          term: this.term,
          reject: true,
          rejectHint: hintTerm === 0 ? 0 : hint,
          rejectTerm: hintTerm,
        }),
      );
    }
  }

  /**
   * A voter's rejection carries an index it knows is committed and its term there. By Log
   * Matching, if our entry at that index has the same term, our log up to it is the committed
   * prefix, so we may commit it (committed is a fact about the cluster, whoever reports it).
   */
  private learnCommitFromVoteRejection(m: Message): void {
    if (m.rejectHint <= this.log.committed || m.rejectHint > this.log.lastIndex()) return;
    if (this.log.matchTerm(m.rejectHint, m.rejectTerm)) this.log.commitTo(m.rejectHint);
  }

  private dropProposal(m: Message, reason: string): void {
    // Only a local caller can be told; a forwarded proposal is dropped and its client times out.
    // (`from` does not tell: a proposal forwarded in a loop between confused followers comes back.)
    if (this.steppingLocal) {
      throw new ProposalDroppedError(
        this.lead === NONE || this.lead === this.id ? undefined : this.lead,
        reason,
      );
    }
    this.logger?.debug(`${this.id}: dropped proposal from ${m.from}: ${reason}`);
  }

  private stepLeaderCheckQuorum(): void {
    if (!this.tracker.quorumActive(this.id)) {
      this.logger?.warn(`${this.id}: stepping down, no quorum active within an election timeout`);
      this.becomeFollower(this.term, NONE);
    }
    for (const [id, pr] of this.tracker.progress) if (id !== this.id) pr.recentActive = false;
  }

  private stepLeader(m: Message): void {
    switch (m.type) {
      case "beat":
        this.bcastHeartbeat();
        return;
      case "checkQuorum":
        this.stepLeaderCheckQuorum();
        return;
      case "prop":
        this.stepLeaderProp(m);
        return;
      case "readIndex":
        // Thesis §6.4 step 1: until an entry of our term commits we do not know the commit index.
        // This holds for a single voter too: a restarted one may hold committed entries above
        // the commit index it persisted, which its term's first entry commits again.
        if (!this.committedEntryInCurrentTerm()) this.pendingReadIndexMessages.push(m);
        else this.sendReadIndexResponse(m);
        return;
      default:
        break;
    }
    const pr = this.tracker.progress.get(m.from);
    if (pr === undefined) return;
    switch (m.type) {
      case "appResp":
        this.handleAppendResponse(m, pr);
        return;
      case "heartbeatResp":
        this.handleHeartbeatResponse(m, pr);
        return;
      case "snapStatus":
        if (pr.state !== "snapshot") return;
        if (m.reject) pr.pendingSnapshot = 0;
        pr.becomeProbe();
        // Finished: wait for the follower's append response. Failed: retry after a heartbeat.
        pr.probeSent = true;
        return;
      case "unreachable":
        // The transport dropped messages: stop pipelining and probe again.
        if (pr.state === "replicate") pr.becomeProbe();
        return;
      case "transferLeader":
        this.stepLeaderTransfer(m.from, pr);
        return;
      default:
        return;
    }
  }

  private stepLeaderProp(m: Message): void {
    assert(m.entries.length > 0, () => `${this.id}: empty proposal`);
    if (!this.tracker.voters.has(this.id)) {
      this.dropProposal(m, "leader was removed from the cluster");
      return;
    }
    if (this.leadTransferee !== NONE) {
      this.dropProposal(m, `leadership transfer to ${this.leadTransferee}`);
      return;
    }
    const ents: Entry[] = [...m.entries];
    for (let i = 0; i < ents.length; i++) {
      const e = ents[i] as Entry;
      if (e.type !== "confChange") continue;
      if (this.pendingConfIndex > this.log.applied) {
        // One change at a time: refuse by turning it into an empty normal entry (etcd does the
        // same), so the rest of the batch still goes through. RawNode checks first for local callers.
        this.logger?.info(
          `${this.id}: refusing conf change at ${this.log.lastIndex() + i + 1}: one is pending`,
        );
        ents[i] = { ...e, type: "normal", data: EMPTY_BYTES };
      } else {
        this.pendingConfIndex = this.log.lastIndex() + i + 1;
      }
    }
    if (!this.appendEntry(ents)) {
      this.dropProposal(m, "too many uncommitted entries");
      return;
    }
    this.bcastAppend();
  }

  private stepLeaderTransfer(transferee: RaftId, pr: Progress): void {
    if (pr.isLearner) return;
    if (this.leadTransferee !== NONE) {
      if (this.leadTransferee === transferee) return;
      this.leadTransferee = NONE;
    }
    if (transferee === this.id) return;
    // The transfer must finish within an election timeout (tickHeartbeat aborts it).
    this.electionElapsed = 0;
    this.leadTransferee = transferee;
    // Thesis §3.10: catch the target up first, then tell it to campaign at once.
    if (pr.match === this.log.lastIndex()) this.sendTimeoutNow(transferee);
    else this.sendAppend(transferee);
  }

  private handleAppendResponse(m: Message, pr: Progress): void {
    pr.recentActive = true;
    if (m.reject) {
      // Fast back-off: jump to where the follower's log may match (its hint, refined by our log
      // when it told us the term of its conflicting entry).
      let nextProbeIdx = m.rejectHint;
      if (m.rejectTerm > 0) nextProbeIdx = this.log.findConflictByTerm(m.rejectHint, m.rejectTerm).index;
      if (pr.maybeDecrTo(m.index, nextProbeIdx)) {
        if (pr.state === "replicate") pr.becomeProbe();
        this.sendAppend(m.from);
      }
      return;
    }
    if (!(pr.maybeUpdate(m.index) || (pr.match === m.index && pr.state === "probe"))) return;
    if (pr.state === "probe") {
      pr.becomeReplicate();
    } else if (pr.state === "snapshot" && pr.match + 1 >= this.log.firstIndex()) {
      // The follower caught up from the snapshot (or otherwise) and our log covers the rest.
      pr.becomeProbe();
      pr.becomeReplicate();
    } else if (pr.state === "replicate") {
      pr.inflights.freeLE(m.index);
    }
    if (this.maybeCommit()) {
      this.releasePendingReadIndexMessages();
      this.bcastAppend();
    }
    // The window may have opened: send as much as it allows, and at least the commit index if
    // the follower has not been told it yet (else it would wait for the next heartbeat to apply).
    while (this.maybeSendAppend(m.from, pr.sentCommit < this.log.committed)) {
      // keep sending
    }
    if (m.from === this.leadTransferee && pr.match === this.log.lastIndex()) this.sendTimeoutNow(m.from);
  }

  private handleHeartbeatResponse(m: Message, pr: Progress): void {
    pr.recentActive = true;
    pr.probeSent = false;
    // The follower is alive but append responses may have been lost: free a slot so the window
    // cannot stay full forever.
    if (pr.state === "replicate" && pr.inflights.full()) pr.inflights.freeFirstOne();
    if (pr.match < this.log.lastIndex() || pr.state === "probe") this.sendAppend(m.from);
    if (this.readOnly.option !== "safe" || m.context.byteLength === 0) return;
    const acks = this.readOnly.recvAck(m.from, m.context);
    if (acks === undefined) return;
    if (majorityVoteResult(this.tracker.voters, acks) !== "won") return;
    for (const rs of this.readOnly.advance(m.context)) this.respondToReadIndex(rs.request, rs.index);
  }

  private committedEntryInCurrentTerm(): boolean {
    return this.log.termOrUndefined(this.log.committed) === this.term;
  }

  private releasePendingReadIndexMessages(): void {
    if (this.pendingReadIndexMessages.length === 0 || !this.committedEntryInCurrentTerm()) return;
    const pending = this.pendingReadIndexMessages;
    this.pendingReadIndexMessages = [];
    for (const m of pending) this.sendReadIndexResponse(m);
  }

  private sendReadIndexResponse(m: Message): void {
    if (this.tracker.voters.size === 1 && this.tracker.voters.has(this.id)) {
      // A single voter is its own quorum: no round of heartbeats can add anything.
      this.respondToReadIndex(m, this.log.committed);
      return;
    }
    if (this.readOnly.option === "leaseBased") {
      // Valid only because check-quorum makes a leader that lost its quorum step down within an
      // election timeout, before another leader can be elected (thesis §6.4.1).
      this.respondToReadIndex(m, this.log.committed);
      return;
    }
    this.readOnly.addRequest(this.log.committed, m);
    this.readOnly.recvAck(this.id, m.context);
    this.bcastHeartbeatWithCtx(m.context);
  }

  private respondToReadIndex(req: Message, index: LogIndex): void {
    if (req.from === NONE || req.from === this.id) {
      this.readStates.push({ index, requestCtx: req.context });
    } else {
      this.send(message({ type: "readIndexResp", from: this.id, to: req.from, index, context: req.context }));
    }
  }

  private stepFollower(m: Message): void {
    switch (m.type) {
      case "prop":
        if (this.lead === NONE) {
          this.dropProposal(m, "no leader");
          return;
        }
        if (this.disableProposalForwarding) {
          this.dropProposal(m, "not the leader");
          return;
        }
        this.send({ ...m, to: this.lead });
        return;
      case "app":
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleAppendEntries(m);
        return;
      case "heartbeat":
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleHeartbeat(m);
        return;
      case "snap":
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleSnapshot(m);
        return;
      case "transferLeader":
        if (this.lead !== NONE) this.send({ ...m, to: this.lead });
        return;
      case "timeoutNow":
        this.hup("transfer");
        return;
      case "readIndex":
        if (this.lead === NONE) {
          if (this.steppingLocal) throw new ProposalDroppedError(undefined, "read index: no leader");
          return;
        }
        this.send({ ...m, from: this.id, to: this.lead });
        return;
      case "readIndexResp":
        this.readStates.push({ index: m.index, requestCtx: m.context });
        return;
      default:
        return;
    }
  }

  private stepCandidate(m: Message): void {
    const myResp: MessageType = this.role === "preCandidate" ? "preVoteResp" : "voteResp";
    switch (m.type) {
      case "prop":
        this.dropProposal(m, "no leader (election in progress)");
        return;
      case "readIndex":
        if (this.steppingLocal) throw new ProposalDroppedError(undefined, "read index: no leader");
        return;
      case "app":
        this.becomeFollower(m.term, m.from);
        this.handleAppendEntries(m);
        return;
      case "heartbeat":
        this.becomeFollower(m.term, m.from);
        this.handleHeartbeat(m);
        return;
      case "snap":
        this.becomeFollower(m.term, m.from);
        this.handleSnapshot(m);
        return;
      default:
        break;
    }
    if (m.type !== myResp) return;
    const result = this.poll(m.from, !m.reject);
    if (result === "won") {
      if (this.role === "preCandidate") {
        this.campaign("election");
      } else {
        this.becomeLeader();
        this.bcastAppend();
      }
    } else if (result === "lost") {
      // A pre-vote rejection with a higher term already made us a follower in step().
      this.becomeFollower(this.term, NONE);
    }
  }

  // ───────────────────────── follower handlers ─────────────────────────

  private handleAppendEntries(m: Message): void {
    if (m.index < this.log.committed) {
      this.send(message({ type: "appResp", from: this.id, to: m.from, index: this.log.committed }));
      return;
    }
    const lastNew = this.log.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
    if (lastNew !== undefined) {
      this.send(message({ type: "appResp", from: this.id, to: m.from, index: lastNew }));
      return;
    }
    // Our log does not match at m.index: hint at the largest index that may match, and its term,
    // so the leader can skip a whole term of conflicting entries per round trip.
    const hint = this.log.findConflictByTerm(Math.min(m.index, this.log.lastIndex()), m.logTerm);
    this.send(
      message({
        type: "appResp",
        from: this.id,
        to: m.from,
        index: m.index,
        reject: true,
        rejectHint: hint.index,
        rejectTerm: hint.term,
      }),
    );
  }

  private handleHeartbeat(m: Message): void {
    this.log.commitTo(m.commit);
    this.send(message({ type: "heartbeatResp", from: this.id, to: m.from, context: m.context }));
  }

  private handleSnapshot(m: Message): void {
    const snap = m.snapshot;
    assert(snap !== undefined, () => `${this.id}: snap message from ${m.from} without a snapshot`);
    if (this.restore(snap)) {
      this.send(message({ type: "appResp", from: this.id, to: m.from, index: this.log.lastIndex() }));
    } else {
      this.send(message({ type: "appResp", from: this.id, to: m.from, index: this.log.committed }));
    }
  }

  /** Installs a snapshot if it is ahead of our commit index. Returns whether it did. */
  private restore(s: Snapshot): boolean {
    const { index, term } = s.metadata;
    if (index <= this.log.committed) return false;
    assert(this.role === "follower", () => `${this.id}: restoring a snapshot as ${this.role}`);
    if (this.log.matchTerm(index, term)) {
      // We already have the entry: just fast-forward the commit index (§7: keep the log after it).
      this.log.commitTo(index);
      return false;
    }
    this.log.restore(s);
    const tracker = new ProgressTracker(this.tracker.maxInflight);
    tracker.applyConfState(s.metadata.confState, this.log.lastIndex());
    this.tracker = tracker;
    this.isLearner = tracker.learners.has(this.id);
    this.logger?.info(`${this.id}: restored snapshot ${index} (term ${term})`);
    return true;
  }

  // ───────────────────────── leader log handling ─────────────────────────

  private appendEntry(es: readonly Entry[]): boolean {
    const li = this.log.lastIndex();
    const ents: Entry[] = es.map((e, i) => ({
      term: this.term,
      index: li + 1 + i,
      type: e.type,
      data: e.data,
    }));
    if (!this.increaseUncommittedSize(ents)) return false;
    this.log.append(ents);
    // Our own copy does not count toward the quorum yet: the driver may send these entries to the
    // followers before it has written them (thesis §10.2.1), and they count once it reports them
    // durable (onDurable). A commit index computed otherwise could reach followers, and clients,
    // for an entry that only a minority holds durably, and a crash of ours could lose it.
    return true;
  }

  /**
   * The driver reports that our log is durable up to `log.stableLastIndex()` (RawNode.advance or
   * advanceDurable). A leader's own Progress.match moves only here (etcd's self
   * MsgStorageAppendResp): match(self) <= durable, so the commit index (a quorum of matches) and
   * every commit index sent in appends and heartbeats count only durable copies.
   */
  onDurable(): void {
    if (this.role !== "leader") return;
    const pr = this.tracker.progress.get(this.id);
    if (pr === undefined) return;
    const durable = this.log.stableLastIndex();
    // Only entries of our own log count; stableLastIndex never passes lastIndex.
    if (!pr.maybeUpdate(Math.min(durable, this.log.lastIndex()))) return;
    if (this.maybeCommit()) {
      this.releasePendingReadIndexMessages();
      this.bcastAppend();
    }
  }

  private maybeCommit(): boolean {
    return this.log.maybeCommit(this.tracker.committed(), this.term);
  }

  private increaseUncommittedSize(ents: readonly Entry[]): boolean {
    let s = 0;
    for (const e of ents) s += e.data.byteLength;
    // Always admit the first proposal (or an empty one) so a huge entry cannot wedge the leader.
    if (this.uncommittedSize > 0 && s > 0 && this.uncommittedSize + s > this.maxUncommittedSize) return false;
    this.uncommittedSize += s;
    return true;
  }

  reduceUncommittedSize(ents: readonly Entry[]): void {
    if (this.uncommittedSize === 0) return;
    let s = 0;
    for (const e of ents) s += e.data.byteLength;
    this.uncommittedSize = Math.max(0, this.uncommittedSize - s);
  }

  // ───────────────────────── membership ─────────────────────────

  /** Applies a committed conf change (called when the application applies its entry). */
  applyConfChange(cc: ConfChange): ConfState {
    const cs = applyConfChangeTo(this.tracker.confState(), cc);
    this.switchToConfig(cs);
    return cs;
  }

  private switchToConfig(cs: ConfState): void {
    this.tracker.applyConfState(cs, this.log.lastIndex());
    this.isLearner = this.tracker.learners.has(this.id);
    if (this.role === "candidate" || this.role === "preCandidate") {
      // Removed while campaigning: it must not win an election of a configuration it left (votes
      // still arriving would otherwise make it leader). Remaining candidates count the votes of
      // the new voter set from the next response on.
      if (!this.tracker.voters.has(this.id)) this.becomeFollower(this.term, NONE);
      return;
    }
    if (this.role !== "leader") return;
    if (!this.tracker.voters.has(this.id)) {
      // The leader was removed. It stays on as a lame duck: it no longer counts itself toward any
      // quorum (commit is decided by the new voters alone) and accepts no proposals, but keeps
      // replicating so the remaining voters learn that its removal committed, and hands
      // leadership to the most up-to-date of them. Stepping down at once could strand them: a
      // voter that has not yet learned the removal committed still needs the old leader's vote,
      // which the old leader would refuse if its log is longer.
      this.transferFromRemovedLeader();
      return;
    }
    if (this.maybeCommit()) {
      this.bcastAppend();
    } else {
      for (const id of this.tracker.progress.keys()) if (id !== this.id) this.maybeSendAppend(id, false);
    }
    if (this.leadTransferee !== NONE && !this.tracker.voters.has(this.leadTransferee))
      this.leadTransferee = NONE;
  }

  /** A removed leader hands over to the remaining voter with the longest matching log. */
  private transferFromRemovedLeader(): void {
    let best: RaftId = NONE;
    let bestMatch = -1;
    for (const id of this.tracker.voters) {
      const pr = this.tracker.get(id);
      if (pr.match > bestMatch) {
        best = id;
        bestMatch = pr.match;
      }
    }
    if (best === NONE) return;
    this.stepLeaderTransfer(best, this.tracker.get(best));
  }

  /** Followers only: forget the leader so we may grant (pre-)votes at once (see RawNode). */
  forgetLeader(): void {
    if (this.role === "follower") this.lead = NONE;
  }

  status(): RaftStatus {
    const progress = new Map<RaftId, ProgressStatus>();
    if (this.role === "leader") {
      for (const [id, pr] of this.tracker.progress) {
        progress.set(id, {
          match: pr.match,
          next: pr.next,
          state: pr.state,
          isLearner: pr.isLearner,
          recentActive: pr.recentActive,
          inflight: pr.inflights.count,
        });
      }
    }
    return {
      id: this.id,
      term: this.term,
      vote: this.vote,
      commit: this.log.committed,
      applied: this.log.applied,
      lastIndex: this.log.lastIndex(),
      lead: this.lead,
      role: this.role,
      leadTransferee: this.leadTransferee,
      config: this.tracker.confState(),
      progress,
    };
  }
}
