/**
 * The driver's view of cluster membership: the configuration with each server's address, how a
 * committed change moves it, what operators see, and the callers waiting for a change to apply.
 * The core decides membership (core/confchange.ts); this file only follows it.
 *
 * Invariant: a waiter is settled exactly once — resolved with the index of the first applied
 * configuration it accepts, or rejected (leadership lost, deadline, failure).
 */
import { TimeoutError } from "../common/errors.js";
import type { ConfChange, ConfState, LogIndex, RaftId } from "./core/types.js";
import type { Membership } from "./leveldb-log-store.js";

export interface ServerEntry {
  readonly id: RaftId;
  readonly address: string;
  readonly voter: boolean;
  readonly leader: boolean;
}

export interface RaftConfiguration {
  /** Log index of the last membership change applied (0: the bootstrap configuration). */
  readonly index: LogIndex;
  readonly servers: readonly ServerEntry[];
}

export function isMember(conf: ConfState, id: RaftId): boolean {
  return conf.voters.includes(id) || conf.learners.includes(id);
}

/**
 * The membership after `cc`, applied at `index`, left the core with `confState`: a removed
 * server's address goes, an added one's comes from the change's context (kept if it has none).
 */
export function membershipAfter(
  before: Membership,
  cc: ConfChange,
  confState: ConfState,
  index: LogIndex,
): Membership {
  const addresses: Record<RaftId, string> = { ...before.addresses };
  if (cc.type === "removeNode") delete addresses[cc.nodeId];
  else if (cc.context.byteLength > 0) addresses[cc.nodeId] = new TextDecoder().decode(cc.context);
  return { confState, index, addresses };
}

/** The servers as operators see them (voters first), with the current leader marked. */
export function describeConfiguration(m: Membership, leader: RaftId): RaftConfiguration {
  const entry = (id: RaftId, voter: boolean): ServerEntry => ({
    id,
    address: m.addresses[id] ?? "",
    voter,
    leader: id === leader,
  });
  return {
    index: m.index,
    servers: [
      ...m.confState.voters.map((id) => entry(id, true)),
      ...m.confState.learners.map((id) => entry(id, false)),
    ],
  };
}

/** The other voter with the longest matching log (the leader's Progress), for a transfer. */
export function bestTransferTarget(
  voters: readonly RaftId[],
  self: RaftId,
  matchOf: (id: RaftId) => LogIndex | undefined,
): RaftId | undefined {
  let best: RaftId | undefined;
  let bestMatch = -1;
  for (const id of voters) {
    if (id === self) continue;
    const match = matchOf(id) ?? 0;
    if (match > bestMatch) {
      best = id;
      bestMatch = match;
    }
  }
  return best;
}

interface ConfWaiter {
  readonly resolve: (index: LogIndex) => void;
  readonly reject: (error: Error) => void;
  readonly deadline: number;
  readonly done: (conf: ConfState) => boolean;
}

/** Callers of addServer/removeServer waiting for their change to be applied here. */
export class ConfWaiters {
  private waiters: ConfWaiter[] = [];

  /** Resolves with the index of the first applied configuration `done` accepts (at once if the
   *  current one does). */
  wait(current: Membership, done: (conf: ConfState) => boolean, deadline: number): Promise<LogIndex> {
    if (done(current.confState)) return Promise.resolve(current.index);
    return new Promise<LogIndex>((resolve, reject) => {
      this.waiters.push({ resolve, reject, deadline, done });
    });
  }

  /** A configuration was applied. */
  onApplied(m: Membership): void {
    this.waiters = this.waiters.filter((w) => {
      if (!w.done(m.confState)) return true;
      w.resolve(m.index);
      return false;
    });
  }

  expire(now: number): void {
    this.waiters = this.waiters.filter((w) => {
      if (w.deadline > now) return true;
      w.reject(new TimeoutError("raft request timed out"));
      return false;
    });
  }

  rejectAll(error: Error): void {
    for (const w of this.waiters.splice(0)) w.reject(error);
  }
}
