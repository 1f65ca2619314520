/**
 * A cluster of simulated Raft nodes on a simulated network, driven step by step. Shared by the
 * random simulation (random-run.ts), the scripted scenarios (scenario.ts) and the benchmark.
 * Every step is deterministic given the seed; invariants are checked after each one.
 */
import { SeededRandom } from "../../common/rand.js";
import type { RaftConfig } from "../core/config.js";
import { MemoryStorage } from "../core/storage.js";
import type { LogIndex, Message, RaftId } from "../core/types.js";
import { formatMessage } from "./format.js";
import { InvariantChecker } from "./invariants.js";
import { type DropReason, SimNetwork } from "./sim-network.js";
import { type ReadyHooks, SimNode } from "./sim-node.js";

export interface ClusterOptions {
  seed: number;
  preVote: boolean;
  checkQuorum: boolean;
  readOnlyOption: "safe" | "leaseBased";
  maxInflightMsgs: number;
  maxSizePerMsg: number;
  electionTick: number;
  heartbeatTick: number;
  disableProposalForwarding: boolean;
  maxUncommittedEntriesSize?: number;
  /** Leaders send before their fsync, as the production driver does (see SimNode). */
  asyncWrites: boolean;
  /**
   * A snapshot message carries the sender's state at a random index between the one the core
   * asked for and the sender's applied index when it is delivered, as a server whose state
   * machine keeps its own state sends (snapshots.ts: taken when a peer needs one).
   */
  freshSnapshots?: boolean;
}

export const DEFAULT_CLUSTER_OPTIONS: ClusterOptions = {
  seed: 1,
  preVote: true,
  checkQuorum: true,
  readOnlyOption: "safe",
  maxInflightMsgs: 256,
  maxSizePerMsg: 1024 * 1024,
  electionTick: 10,
  heartbeatTick: 1,
  disableProposalForwarding: false,
  asyncWrites: true,
};

export interface ObservedRead {
  node: RaftId;
  ctx: string;
  index: LogIndex;
}

export class SimCluster {
  readonly nodes = new Map<RaftId, SimNode>();
  readonly network: SimNetwork;
  readonly checker = new InvariantChecker();
  readonly rand: SeededRandom;
  readonly reads: ObservedRead[] = [];
  /** When set, every message sent, drop, role change and apply is described here. */
  trace: ((line: string) => void) | undefined = undefined;
  /** Probability that a message dropped by a partition is reported unreachable to its sender. */
  reportUnreachableRate = 0;
  /**
   * Paused nodes (a SIGSTOPped process, a long GC or VM pause): each keeps all its state, durable
   * and volatile, but steps no message, fires no timer and handles no Ready until resumed, when it
   * carries on with the beliefs it had (e.g. that it still leads).
   */
  readonly paused = new Set<RaftId>();
  /** Messages that reached a paused node: they wait (as in its socket buffers) until it resumes. */
  private held: Message[] = [];
  private readonly hooks: ReadyHooks;

  constructor(readonly options: ClusterOptions) {
    this.rand = new SeededRandom(options.seed);
    this.network = new SimNetwork(this.rand, (m, reason) => this.onDrop(m, reason));
    this.hooks = this.makeHooks();
  }

  private config(id: RaftId, storage: MemoryStorage, applied: LogIndex): RaftConfig {
    const o = this.options;
    // Each node draws its election timeouts from its own stream, derived from the cluster seed.
    const rand = new SeededRandom((this.options.seed * 7919 + hashId(id)) >>> 0);
    const config: RaftConfig = {
      id,
      electionTick: o.electionTick,
      heartbeatTick: o.heartbeatTick,
      storage,
      applied,
      maxSizePerMsg: o.maxSizePerMsg,
      maxInflightMsgs: o.maxInflightMsgs,
      checkQuorum: o.checkQuorum,
      preVote: o.preVote,
      readOnlyOption: o.readOnlyOption,
      disableProposalForwarding: o.disableProposalForwarding,
      random: () => rand.next(),
    };
    if (o.maxUncommittedEntriesSize !== undefined)
      config.maxUncommittedEntriesSize = o.maxUncommittedEntriesSize;
    return config;
  }

  /** Founding members of a new cluster, all voters. */
  addFounders(ids: readonly RaftId[]): void {
    for (const id of ids) {
      const node = new SimNode(id, MemoryStorage.bootstrap(ids), (i, s, a) => this.config(i, s, a));
      node.asyncWrites = this.options.asyncWrites;
      this.nodes.set(id, node);
    }
  }

  /** A new server with an empty log, to be added by a conf change (it learns the cluster from the
   *  leader's snapshot). */
  addJoiner(id: RaftId): SimNode {
    const node = new SimNode(id, new MemoryStorage(), (i, s, a) => this.config(i, s, a));
    node.asyncWrites = this.options.asyncWrites;
    this.nodes.set(id, node);
    return node;
  }

  node(id: RaftId): SimNode {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`unknown node ${id}`);
    return n;
  }

  ids(): RaftId[] {
    return [...this.nodes.keys()];
  }

  /** Nodes that run: up and not paused. */
  upIds(): RaftId[] {
    return this.ids().filter((id) => this.node(id).up && !this.paused.has(id));
  }

  pause(id: RaftId): void {
    if (!this.node(id).up) throw new Error(`cannot pause ${id}: it is down`);
    this.paused.add(id);
    this.trace?.(`${id} paused`);
  }

  /** Resumes a paused node; the messages that arrived meanwhile are back on the wire for it. */
  resume(id: RaftId): void {
    if (!this.paused.delete(id)) return;
    const mine = this.held.filter((m) => m.to === id);
    this.held = this.held.filter((m) => m.to !== id);
    for (const m of mine) this.network.send(m);
    this.trace?.(`${id} resumed (${mine.length} messages waiting)`);
  }

  /** The leader with the highest term among live nodes, if any. */
  leader(): RaftId | undefined {
    let best: RaftId | undefined;
    let bestTerm = -1;
    for (const [id, n] of this.nodes) {
      if (n.raw === undefined) continue;
      const s = n.raw.status();
      if (s.role === "leader" && s.term > bestTerm) {
        best = id;
        bestTerm = s.term;
      }
    }
    return best;
  }

  private makeHooks(): ReadyHooks {
    return {
      softState: (node, rd) => {
        if (rd.softState !== undefined && this.trace !== undefined) {
          const t = rd.hardState?.term ?? node.storage.hardStateNow().term;
          this.trace(
            `${node.id} is ${rd.softState.role} at term ${t}, leader ${rd.softState.lead || "none"}`,
          );
        }
      },
      persisted: (node, write, prev) => {
        const termAt = (i: LogIndex): number | undefined =>
          i < node.storage.firstIndex() - 1 || i > node.storage.lastIndex()
            ? undefined
            : node.storage.term(i);
        if (write.entries.length > 0) this.checker.onPersistEntries(node.id, write.entries, termAt);
        if (write.hardState !== undefined) {
          this.checker.onPersistHardState(node.id, prev, write.hardState, node.storage.lastIndex(), termAt);
        }
      },
      send: (node, rd) => {
        const durable = node.storage.hardStateNow();
        for (const m of rd.messages) {
          this.checker.onSend(m, durable);
          this.checker.onVoteResponse(m);
          this.trace?.(`  ${formatMessage(m)}`);
          this.network.send(m);
        }
      },
      applied: (node, e) => {
        this.checker.onApply(node.id, e.index, node.app.hash);
        if (this.trace !== undefined) {
          const what = e.data.byteLength === 0 ? "(empty)" : new TextDecoder().decode(e.data);
          this.trace(
            `${node.id} applied ${e.index}/${e.term} ${e.type === "confChange" ? "conf " : ""}${what}`,
          );
        }
      },
      snapshotApplied: (node, s) => {
        this.checker.onApply(node.id, s.metadata.index, node.app.hash);
        this.trace?.(`${node.id} installed snapshot ${s.metadata.index}/${s.metadata.term}`);
      },
      readState: (node, rs) => {
        const ctx = new TextDecoder().decode(rs.requestCtx);
        this.checker.onReadState(node.id, ctx, rs.index);
        this.reads.push({ node: node.id, ctx, index: rs.index });
        this.trace?.(`${node.id} read ${ctx} at index ${rs.index}`);
      },
    };
  }

  private onDrop(m: Message, reason: DropReason): void {
    this.trace?.(`  dropped (${reason}) ${formatMessage(m)}`);
    const sender = this.nodes.get(m.from)?.raw;
    if (sender === undefined) return;
    if (m.type === "snap") sender.reportSnapshot(m.to, "failure");
    else if (
      reason === "partition" &&
      this.reportUnreachableRate > 0 &&
      this.rand.next() < this.reportUnreachableRate
    ) {
      sender.reportUnreachable(m.to);
    }
  }

  /** Snapshot messages delivered with a later snapshot than the core asked for (freshSnapshots). */
  freshSnapshotsSent = 0;

  /** `m` with the sender's state at a later index, when it has one (see freshSnapshots). */
  private freshSnapshot(m: Message): Message {
    const sender = this.nodes.get(m.from);
    const asked = m.snapshot?.metadata.index;
    if (sender?.raw === undefined || asked === undefined) return m;
    const low = Math.max(asked, sender.storage.snapshot().metadata.index);
    const high = sender.app.applied;
    if (high <= low) return m;
    const snapshot = sender.snapshotAt(low + 1 + this.rand.int(high - low));
    if (snapshot === undefined) return m;
    this.freshSnapshotsSent++;
    this.trace?.(`  ${m.from} sends its state at ${snapshot.metadata.index} instead of ${asked}`);
    return { ...m, snapshot };
  }

  /** Delivers one message to its target (or drops it if the target is down or cut off). */
  deliver(sent: Message): void {
    const m = sent.type === "snap" && this.options.freshSnapshots === true ? this.freshSnapshot(sent) : sent;
    const target = this.nodes.get(m.to)?.raw;
    if (target !== undefined && this.paused.has(m.to) && !this.network.isCut(m.from, m.to)) {
      this.held.push(m);
      return;
    }
    if (target === undefined || this.network.isCut(m.from, m.to)) {
      this.onDrop(m, target === undefined ? "loss" : "partition");
      return;
    }
    if (m.type === "vote" || m.type === "preVote") {
      const last = target.status().lastIndex;
      this.checker.onVoteRequest(m.to, m, last, target.logTerm(last) ?? 0);
    }
    target.step(m);
    if (m.type === "snap") this.nodes.get(m.from)?.raw?.reportSnapshot(m.to, "finish");
  }

  processReady(id: RaftId, crashBeforePersist = false): boolean {
    if (this.paused.has(id)) return false;
    const node = this.node(id);
    const handled = node.handleReady(this.hooks, crashBeforePersist);
    if (handled && crashBeforePersist) this.onCrashed(id);
    return handled;
  }

  /** Makes the oldest write that `id` sent before its fsync durable (see SimNode). */
  syncWrite(id: RaftId): boolean {
    return this.node(id).syncOne(this.hooks);
  }

  /** Processes Readies, and completes pending writes, until the node has none (the usual
   *  driver loop, with the disk keeping up). */
  drainReady(id: RaftId): boolean {
    let any = false;
    while (this.processReady(id) || this.syncWrite(id)) any = true;
    return any;
  }

  crash(id: RaftId): void {
    // A paused process can be killed too; what waited for it is lost with its sockets.
    this.paused.delete(id);
    this.held = this.held.filter((m) => m.to !== id);
    this.node(id).crash();
    this.onCrashed(id);
  }

  private onCrashed(id: RaftId): void {
    this.checker.onCrash(id);
    this.network.dropFor(id);
    this.trace?.(`${id} crashed`);
  }

  restart(id: RaftId): void {
    this.node(id).restart();
    this.trace?.(`${id} restarted`);
  }

  /** Delivers messages (FIFO) and handles Readies until nothing moves. */
  stabilize(maxRounds = 10_000): void {
    for (let round = 0; round < maxRounds; round++) {
      let moved = false;
      for (const id of this.ids()) {
        if (this.node(id).up && !this.paused.has(id) && this.drainReady(id)) moved = true;
      }
      this.checkInvariants();
      while (this.network.size > 0) {
        const m = this.network.takeFirst() as Message;
        this.deliver(m);
        moved = true;
      }
      this.checkInvariants();
      if (!moved) return;
    }
    throw new Error(`stabilize did not converge in ${maxRounds} rounds`);
  }

  checkInvariants(): void {
    for (const [id, n] of this.nodes) {
      const raw = n.raw;
      if (raw === undefined) continue;
      const s = raw.status();
      this.checker.onCommit(id, s.commit);
      // A leadership counts once the vote that made it is durable: a single voter elects itself
      // in memory, and if it crashes before persisting that, nobody ever saw it lead (everything
      // it could emit — messages, committed entries, reads — waits for the same Ready's fsync).
      const hs = n.storage.hardStateNow();
      if (s.role === "leader" && hs.term === s.term && hs.vote === id) this.checker.onLeader(id, s.term, raw);
    }
  }
}

function hashId(id: RaftId): number {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (Math.imul(h, 31) + id.charCodeAt(i)) >>> 0;
  return h;
}
