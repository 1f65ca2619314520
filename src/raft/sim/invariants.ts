/**
 * The safety properties of Raft (Figure 3 of the paper), checked incrementally after every step
 * of a simulation. Each check throws InvariantViolation with what broke and where.
 *
 *  - Election Safety: at most one leader per term.
 *  - Log Matching: same (index, term) ⇒ same entry and same preceding entry (so, by induction, the
 *    same log prefix). Checked on every persisted entry against the first copy seen anywhere.
 *  - Leader Completeness: a new leader's log holds every entry committed before its term. (A leader
 *    of an old term can be elected late, e.g. a candidate paused with its votes in flight; it
 *    need not hold what later terms committed.)
 *  - State Machine Safety: every node applies the same entry at each index; the application
 *    state is a hash chain over applied entries, so snapshots are checked too.
 *  - Commit index never decreases (in memory while up; persisted across restarts).
 *  - Persisted term never decreases; a persisted vote never changes within a term.
 *  - Linearizable reads: a ReadIndex answer is at least the commit index when the read was issued.
 *  - Persist before send: when a message leaves, its term is at most the sender's durable term,
 *    and a granted vote is already in the sender's durable hard state (pre-votes are exempt: they
 *    ask about a future term and change nothing). Checked at send time, so a vote that a crash
 *    could take back is caught when it is cast, not only if two leaders of one term ever appear.
 *  - Up-to-date votes: a vote or pre-vote is granted only on a request whose log was at least as
 *    up to date as the voter's when it arrived (§5.4.1). Checked when the grant is sent, so a
 *    pre-vote wrongly granted is caught even though it breaks no other safety property.
 */
import type { Entry, HardState, LogIndex, Message, RaftId, Term } from "../core/types.js";
import { NONE } from "../core/types.js";

export class InvariantViolation extends Error {
  override name = "InvariantViolation";
}

function fail(msg: string): never {
  throw new InvariantViolation(msg);
}

/** FNV-1a over an entry, chained: the application state after applying `e` on top of `prev`. */
export function chainHash(prev: number, e: Entry): number {
  let h = (prev ^ 0x811c9dc5) >>> 0;
  const mix = (b: number): void => {
    h ^= b & 0xff;
    h = Math.imul(h, 0x01000193) >>> 0;
  };
  for (const n of [e.index, e.term, e.type === "normal" ? 1 : 2]) {
    mix(n);
    mix(n >>> 8);
    mix(n >>> 16);
    mix(n >>> 24);
  }
  for (let i = 0; i < e.data.byteLength; i++) mix(e.data[i] as number);
  return h;
}

function entryKey(e: Entry): string {
  return `${e.type}:${Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength).toString("latin1")}`;
}

interface LogEntryRecord {
  prevTerm: Term;
  key: string;
}

export interface LogView {
  logTerm(i: LogIndex): Term | undefined;
  firstIndex(): LogIndex;
}

export class InvariantChecker {
  private readonly leaderOfTerm = new Map<Term, RaftId>();
  private readonly entries = new Map<string, LogEntryRecord>();
  /** Term of the committed entry at each index, as learned from any node's persisted commit. */
  private readonly committedTerm: Term[] = [];
  /** For each committed index, the term of the first durable hard state seen committing it: the
   *  entry was committed in that term or an earlier one. */
  private readonly committedBy: Term[] = [];
  private maxCommitted = 0;
  /** Application state hash after applying each index. */
  private readonly stateAt: number[] = [];
  private readonly memCommit = new Map<RaftId, LogIndex>();
  private readonly reads = new Map<string, LogIndex>();
  /** voter>candidate>term>type → requests delivered whose log was up to date, not yet granted. */
  private readonly grantable = new Map<string, number>();
  checks = 0;

  /** Call after every step for each live node that is leader. */
  onLeader(id: RaftId, term: Term, log: LogView): void {
    const known = this.leaderOfTerm.get(term);
    if (known === undefined) {
      this.leaderOfTerm.set(term, id);
      this.checkLeaderCompleteness(id, term, log);
    } else if (known !== id) {
      fail(`election safety: ${known} and ${id} are both leaders of term ${term}`);
    }
  }

  private checkLeaderCompleteness(id: RaftId, term: Term, log: LogView): void {
    const from = Math.max(log.firstIndex(), 1);
    for (let i = from; i <= this.maxCommitted; i++) {
      const want = this.committedTerm[i];
      if (want === undefined) continue;
      if ((this.committedBy[i] ?? 0) >= term) continue; // perhaps committed in this term or later
      const have = log.logTerm(i);
      if (have !== want) {
        fail(
          `leader completeness: new leader ${id} (term ${term}) has term ${have} at committed index ${i}, want ${want}`,
        );
      }
    }
  }

  /** Call after a node persisted `ents`; `termAt` reads its durable log. */
  onPersistEntries(id: RaftId, ents: readonly Entry[], termAt: (i: LogIndex) => Term | undefined): void {
    for (const e of ents) {
      const prevTerm = e.index === 1 ? 0 : termAt(e.index - 1);
      if (prevTerm === undefined) fail(`${id}: persisted entry ${e.index} has no predecessor in its log`);
      const key = `${e.index}@${e.term}`;
      const rec = this.entries.get(key);
      const mine = { prevTerm, key: entryKey(e) };
      if (rec === undefined) {
        this.entries.set(key, mine);
      } else if (rec.prevTerm !== mine.prevTerm || rec.key !== mine.key) {
        fail(
          `log matching: ${id} has entry ${e.index} term ${e.term} (prev term ${prevTerm}) differing from another copy (prev term ${rec.prevTerm})`,
        );
      }
    }
    this.checks++;
  }

  /** Call when a node persists a new hard state (after its entries of the same Ready). */
  onPersistHardState(
    id: RaftId,
    prev: HardState,
    next: HardState,
    lastIndex: LogIndex,
    termAt: (i: LogIndex) => Term | undefined,
  ): void {
    if (next.term < prev.term) fail(`${id}: persisted term went back from ${prev.term} to ${next.term}`);
    if (next.term === prev.term && prev.vote !== NONE && next.vote !== prev.vote) {
      fail(`${id}: persisted vote changed from ${prev.vote} to ${next.vote} in term ${next.term}`);
    }
    if (next.commit < prev.commit)
      fail(`${id}: persisted commit went back from ${prev.commit} to ${next.commit}`);
    if (next.commit > lastIndex)
      fail(`${id}: persisted commit ${next.commit} beyond its durable log ${lastIndex}`);
    for (let i = prev.commit + 1; i <= next.commit; i++) {
      const t = termAt(i);
      if (t === undefined) continue; // covered by a snapshot
      const known = this.committedTerm[i];
      if (known === undefined) {
        this.committedTerm[i] = t;
        this.committedBy[i] = next.term;
      } else if (known !== t)
        fail(`${id}: committed entry ${i} has term ${t}, another node committed term ${known}`);
    }
    this.maxCommitted = Math.max(this.maxCommitted, next.commit);
  }

  /**
   * Call for every message as it is sent, with the sender's durable hard state at that moment.
   * A vote (granted, or a candidate's own) is safe once durable, or once the durable term is past
   * the vote's term: the sender can then never vote again in that term. (A Ready may carry a vote
   * request of an election the node left within the same Ready, for a higher term.)
   */
  onSend(m: Message, durable: HardState): void {
    if (m.type === "preVote" || m.type === "preVoteResp") return;
    if (m.term > durable.term) {
      fail(
        `persist before send: ${m.from} sent ${m.type} at term ${m.term} with durable term ${durable.term}`,
      );
    }
    const voter = m.type === "voteResp" && !m.reject ? m.from : m.type === "vote" ? m.from : undefined;
    if (voter === undefined || m.term < durable.term) return;
    const votedFor = m.type === "vote" ? m.from : m.to;
    if (durable.vote !== votedFor) {
      fail(
        `persist before send: ${voter} sent ${m.type} in term ${m.term} (a vote for ${votedFor}), but its durable vote in that term is ${durable.vote || "none"}`,
      );
    }
  }

  /** Call after every step with a live node's in-memory commit index. */
  onCommit(id: RaftId, commit: LogIndex): void {
    const prev = this.memCommit.get(id) ?? 0;
    if (commit < prev) fail(`${id}: commit index went back from ${prev} to ${commit}`);
    this.memCommit.set(id, commit);
  }

  onCrash(id: RaftId): void {
    this.memCommit.delete(id);
  }

  /** Call when a node applied the entry at `index`, reaching application state `hash`. */
  onApply(id: RaftId, index: LogIndex, hash: number): void {
    const known = this.stateAt[index];
    if (known === undefined) this.stateAt[index] = hash;
    else if (known !== hash) fail(`state machine safety: ${id} applied a different entry at index ${index}`);
  }

  /**
   * Call when a vote or pre-vote request is delivered to `voter`, with the voter's last index and
   * term (unstable entries included: what its Raft compares against) just before it steps it.
   */
  onVoteRequest(voter: RaftId, m: Message, lastIndex: LogIndex, lastTerm: Term): void {
    const upToDate = m.logTerm > lastTerm || (m.logTerm === lastTerm && m.index >= lastIndex);
    if (!upToDate) return;
    const key = `${voter}>${m.from}>${m.term}>${m.type}`;
    this.grantable.set(key, (this.grantable.get(key) ?? 0) + 1);
  }

  /** Call for every message sent: a granted (pre-)vote must answer an up-to-date request. */
  onVoteResponse(m: Message): void {
    if ((m.type !== "voteResp" && m.type !== "preVoteResp") || m.reject) return;
    const key = `${m.from}>${m.to}>${m.term}>${m.type === "voteResp" ? "vote" : "preVote"}`;
    const n = this.grantable.get(key) ?? 0;
    if (n === 0) {
      fail(
        `up-to-date vote: ${m.from} granted a ${m.type === "voteResp" ? "vote" : "pre-vote"} for term ${m.term} to ${m.to}, whose log was behind ${m.from}'s when it asked`,
      );
    }
    if (n === 1) this.grantable.delete(key);
    else this.grantable.set(key, n - 1);
  }

  onReadIssued(ctx: string): void {
    this.reads.set(ctx, this.maxCommitted);
  }

  onReadState(id: RaftId, ctx: string, index: LogIndex): void {
    const atIssue = this.reads.get(ctx);
    if (atIssue === undefined) return;
    if (index < atIssue) {
      fail(
        `linearizable read: ${id} answered read ${ctx} at index ${index}, but ${atIssue} was committed before it was issued`,
      );
    }
  }

  get committedIndex(): LogIndex {
    return this.maxCommitted;
  }
}
