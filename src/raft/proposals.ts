/**
 * The leader's pending proposals: the futures `RaftNode.propose` hands out, from the queue that
 * batches them into one core step, through the log index they were appended at, to the applied
 * entry that settles them.
 *
 * A proposal is recognised on apply by the proposer header on its entry (proposal-id.ts: this
 * server's id, this process's incarnation and a sequence number), not by its index: an index only
 * tells that ours was replaced. Invariants: every key in `byIndex` is in `pending` with that
 * index; a future is settled exactly once (resolved on apply, or rejected when dropped,
 * overwritten, expired or failed).
 */
import { TimeoutError } from "../common/errors.js";
import type { Entry, LogIndex } from "./core/types.js";
import { decodeProposal, encodeProposal, type ProposalId, proposalKey } from "./proposal-id.js";

interface PendingProposal {
  readonly resolve: (result: unknown) => void;
  readonly reject: (error: Error) => void;
  /** process.hrtime.bigint() when proposed (commit latency metric and trace). */
  readonly startedAt: bigint;
  /** Date.now() after which it is rejected with TimeoutError. */
  readonly deadline: number;
  /** The log index it was appended at, once known (0 until then). */
  index: LogIndex;
  /** The proposer's own label, handed back by tagOf (the Raft thread's request id on main). */
  readonly tag: number | undefined;
}

/** What a proposal batch is handed to: RawNode.proposeBatch (throws when it refuses the batch). */
export interface ProposalSink {
  proposeBatch(datas: readonly Uint8Array[]): void;
}

export interface ProposalHooks {
  /** The error a refused or overwritten proposal is rejected with (NotLeaderError). */
  notLeader(): Error;
  /** The sink refused the batch with this error: true if expected (ProposalDroppedError). */
  isRefusal(error: unknown): boolean;
  /** A batch was handed to the core (the proposals' start times, ms). */
  onHanded?(startedAtMs: readonly number[]): void;
  /** A proposal resolved `seconds` after it was made, at log index `index`. */
  onResolved?(index: LogIndex, seconds: number): void;
}

export class Proposals {
  private readonly pending = new Map<string, PendingProposal>();
  /** Accepted by add() and not yet handed to the core (see flush). */
  private queue: Array<{ key: string; data: Uint8Array }> = [];
  /** Our own proposals by the index the leader appended them at, to detect overwritten ones. */
  private readonly byIndex = new Map<LogIndex, string>();
  private seq = 0;

  constructor(
    private readonly nodeId: string,
    /** Distinguishes this process's proposals from those of an earlier run of the same server. */
    private readonly incarnation: number,
    private readonly hooks: ProposalHooks,
  ) {}

  get size(): number {
    return this.pending.size;
  }

  /** Queues `payload`; the future settles when its entry is applied here (see settle). */
  add(payload: Uint8Array, deadline: number, startedAt: bigint, tag?: number): Promise<unknown> {
    const id: ProposalId = { node: this.nodeId, incarnation: this.incarnation, seq: this.seq++ };
    const key = proposalKey(id);
    return new Promise<unknown>((resolve, reject) => {
      this.queue.push({ key, data: encodeProposal(id, payload) });
      this.pending.set(key, { resolve, reject, startedAt, deadline, index: 0, tag });
    });
  }

  /**
   * Hands every queued proposal to the core in one step, so that one append message per follower
   * carries them all. A refused batch (no longer leader) rejects its proposals.
   */
  flush(sink: ProposalSink): void {
    if (this.queue.length === 0) return;
    const batch = this.queue.splice(0);
    try {
      sink.proposeBatch(batch.map((p) => p.data));
      this.hooks.onHanded?.(batch.map((p) => Number(this.pending.get(p.key)?.startedAt ?? 0n) / 1e6));
    } catch (error) {
      if (!this.hooks.isRefusal(error)) throw error;
      for (const { key } of batch) {
        const pending = this.pending.get(key);
        this.pending.delete(key);
        pending?.reject(this.hooks.notLeader());
      }
    }
  }

  /** The leader appended `entries`: remember the index each of our proposals got. */
  noteIndexes(entries: readonly Entry[]): void {
    for (const entry of entries) {
      const key = this.ownKey(entry);
      if (key === undefined) continue;
      const pending = this.pending.get(key);
      if (pending === undefined) continue;
      pending.index = entry.index;
      this.byIndex.set(entry.index, key);
    }
  }

  /**
   * The tag of our pending proposal with proposer header `id` (settle matches entries by it too),
   * undefined for anyone else's proposal or one made without a tag.
   */
  tagOf(id: ProposalId): number | undefined {
    const key = this.keyOf(id);
    return key === undefined ? undefined : this.pending.get(key)?.tag;
  }

  /**
   * The normal entry at `index`, with proposer header `id` (undefined for an entry without one,
   * a leader's no-op), was applied with `result`: resolve our proposal it carries, and reject the
   * one of ours that had this index if another leader's entry took it (§5.3: ours is gone for
   * good). The caller passes the header it already decoded to hand the payload to the FSM.
   */
  settle(index: LogIndex, id: ProposalId | undefined, result: unknown, now: bigint): void {
    const ours = this.byIndex.get(index);
    if (ours !== undefined) this.byIndex.delete(index);
    const key = id === undefined ? undefined : this.keyOf(id);
    if (key !== undefined) {
      const pending = this.pending.get(key);
      if (pending !== undefined) {
        this.pending.delete(key);
        pending.resolve(result);
        this.hooks.onResolved?.(index, Number(now - pending.startedAt) / 1e9);
      }
      if (ours === key) return;
    }
    if (ours !== undefined) {
      const pending = this.pending.get(ours);
      if (pending !== undefined) {
        this.pending.delete(ours);
        pending.reject(this.hooks.notLeader());
      }
    }
  }

  /** Rejects every proposal whose deadline is past (its outcome is unknown: it may still commit). */
  expire(now: number): void {
    for (const [key, p] of this.pending) {
      if (p.deadline > now) continue;
      this.pending.delete(key);
      if (p.index > 0) this.byIndex.delete(p.index);
      p.reject(new TimeoutError(`proposal not applied within its deadline (index ${p.index || "unknown"})`));
    }
  }

  rejectAll(error: Error): void {
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
    this.byIndex.clear();
    this.queue = [];
  }

  private ownKey(entry: Entry): string | undefined {
    if (entry.type !== "normal" || entry.data.byteLength === 0) return undefined;
    return this.keyOf(decodeProposal(entry.data).id);
  }

  /** The pending-map key of a proposal of this server and run; undefined for anyone else's. */
  private keyOf(id: ProposalId): string | undefined {
    if (id.node !== this.nodeId || id.incarnation !== this.incarnation) return undefined;
    return proposalKey(id);
  }
}
