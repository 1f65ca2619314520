import { join } from "node:path";
import { assert } from "../common/assert.js";
import { NotLeaderError, TimeoutError, ValidationError } from "../common/errors.js";
import type { Logger } from "../common/log.js";
import type { AgentMetrics } from "../common/metrics.js";
import { SeededRandom } from "../common/rand.js";
import { outsideRequest } from "../common/request-context.js";
import { ApplyHold } from "./apply-hold.js";
import { ApplyQueue } from "./apply-queue.js";
import {
  Autopilot,
  type AutopilotConfig,
  type ClusterHealth,
  DEFAULT_AUTOPILOT_CONFIG,
  type ServerObservation,
} from "./autopilot.js";
import { CommitHold } from "./commit-hold.js";
import {
  BOOTSTRAP_HARD_STATE,
  bootstrapSnapshot,
  ConfChangeRejectedError,
  decodeConfChange,
  ProposalDroppedError,
  type RaftStatus,
  RawNode,
} from "./core/index.js";
import {
  type ConfChange,
  type ConfState,
  type Entry,
  type LogIndex,
  type Message,
  NONE,
  type RaftId,
  type Ready,
  type SnapshotMetadata,
  type SoftState,
  type StateRole,
  type Term,
} from "./core/types.js";
import type { GrpcTransport, TransportHandler } from "./grpc-transport.js";
import { LatencyTrace } from "./latency-trace.js";
import { LevelDbLogStore, type Membership } from "./leveldb-log-store.js";
import {
  bestTransferTarget,
  ConfWaiters,
  describeConfiguration,
  isMember,
  membershipAfter,
  type RaftConfiguration,
} from "./membership.js";
import { decodeProposal, type ProposalId } from "./proposal-id.js";
import { Proposals } from "./proposals.js";
import { RaftMetrics } from "./raft-metrics.js";
import { ReadBarriers } from "./read-barriers.js";
import { frameSnapshot } from "./snapshot-frame.js";
import { SnapshotStore } from "./snapshot-store.js";
import { type OpenedSnapshot, Snapshots } from "./snapshots.js";
import type { AppliedEntry, StateMachine } from "./state-machine.js";

/**
 * The Raft driver: owns time, disk, network and the state machine around the pure core, and wires
 * the driver's parts together in the Ready loop.
 *
 * One timer ticks the core (tick = 100 ms × raftMultiplier; heartbeat 1 tick, election 10 ticks).
 * Each Ready is handled in the order of etcd's doc.go: persist (one fsynced LevelDB batch), send,
 * apply, advance. A steady leader does not wait for its disk at all (thesis §10.2.1): when the
 * core allows it (RawNode.mayAdvanceAsync) it sends its appends at once, hands the entries to the
 * log store's pipelined writer, calls advanceAsync and takes the next Ready; when the write lands
 * it reports it (advanceDurable), and only then does the core count the leader's own copy toward
 * commitment. Appends queued while an fsync is in flight share the next one (group commit); so do
 * a follower's, which pile up in its core while it waits for the disk.
 *
 * The parts, one concept each: proposals.ts (pending proposal futures), read-barriers.ts
 * (ReadIndex reads), commit-hold.ts (the leader's held commit-only appends), membership.ts
 * (addresses, configuration, waiters for changes), snapshots.ts (taking and installing snapshots)
 * with snapshot-policy.ts (when to take one), apply-queue.ts (committed entries are applied by a
 * separate, strictly sequential loop, so a slow state machine delays neither persistence nor
 * replication).
 */

/** The operator-tunable part of RaftNodeOptions (Nomad's raft_* settings, autopilot), plain data. */
export type RaftTuning = Pick<
  RaftNodeOptions,
  | "raftMultiplier"
  | "snapshotThresholdEntries"
  | "snapshotIntervalMs"
  | "snapshotThresholdBytes"
  | "logCacheBytes"
  | "trailingLogs"
  | "requestTimeoutMs"
  | "autopilot"
>;

export interface RaftNodeOptions {
  readonly id: RaftId;
  /** The RPC address peers reach this server at (host:port). */
  readonly address: string;
  /** Raft's own files live under `<dataDir>/raft/`. */
  readonly dataDir: string;
  readonly stateMachine: StateMachine;
  readonly transport: GrpcTransport;
  readonly log: Logger;
  readonly metrics?: AgentMetrics | undefined;
  /** Scales every Raft timing (Nomad's raft_multiplier): tick = 100 ms × m. Default 1. */
  readonly raftMultiplier?: number | undefined;
  /**
   * Take a snapshot and compact once this many entries were applied since the last one (Nomad's
   * raft_snapshot_threshold, default 8192), checked once per `snapshotIntervalMs`.
   */
  readonly snapshotThresholdEntries?: number | undefined;
  /**
   * How often the entry threshold is checked (Nomad's raft_snapshot_interval, default 120 s; each
   * wait is drawn from [interval, 2 × interval) so that servers do not snapshot in step). 0 checks
   * after every apply. The byte threshold below is checked after every apply regardless.
   */
  readonly snapshotIntervalMs?: number | undefined;
  /**
   * … or once the retained log holds this many bytes and at least as many as the last snapshot
   * (default 64 MiB): the disk the log takes stays within about twice the state.
   */
  readonly snapshotThresholdBytes?: number | undefined;
  /** Bytes of the newest log entries kept in memory; older ones are read back from disk (default 64 MiB). */
  readonly logCacheBytes?: number | undefined;
  /** Entries kept behind a snapshot for slow followers. */
  readonly trailingLogs?: number | undefined;
  /** Default deadline of a proposal or read barrier. */
  readonly requestTimeoutMs?: number | undefined;
  readonly maxSizePerMsg?: number | undefined;
  /** Append messages in flight to one follower before the leader waits for an ack (default 2). */
  readonly maxInflightMsgs?: number | undefined;
  /** Seed of the election-timeout randomness (default: derived from the id and the clock). */
  readonly seed?: number | undefined;
  /** Learner promotion and dead-server cleanup on the leader (default DEFAULT_AUTOPILOT_CONFIG). */
  readonly autopilot?: AutopilotConfig | undefined;
}

export type { RaftConfiguration, ServerEntry } from "./membership.js";

export type LeaderObserver = (leader: { id: RaftId | undefined; isSelf: boolean; term: Term }) => void;

interface Waiter<T> {
  readonly resolve: (value: T) => void;
  readonly reject: (error: Error) => void;
  readonly deadline: number;
}

type ApplyTask =
  | { readonly kind: "entries"; readonly entries: readonly Entry[] }
  | { readonly kind: "snapshot"; readonly metadata: SnapshotMetadata }
  /** Work that needs the applied index and the membership to agree (snapshots.ts). */
  | { readonly kind: "call"; readonly run: (fsmApplied: LogIndex, membership: Membership) => Promise<void> };

/**
 * How long a steady leader holds a commit-only append for a follower (commit-hold.ts), as
 * hashicorp/raft's CommitTimeout (50 ms): a client that writes one request after the other
 * rarely sends its next write within a few milliseconds, so a shorter hold let most commit-only
 * appends go out on their own, each costing a follower wake-up, an ack and an apply of its own.
 * What it delays is only when followers learn of a commit (their state for stale reads, and
 * heartbeats carry the commit index at every tick anyway); never a leader's commit or answer.
 */
const COMMIT_HOLD_MS = 50;

/**
 * How long a follower holds committed entries before applying them, and how many bytes it holds
 * at most (apply-hold.ts): nobody waits for a follower's apply, and one apply call per write cost
 * each follower a state machine wake-up per write. Shorter than the commit hold, which already
 * decides how far a follower's state trails at low load.
 */
const FOLLOWER_APPLY_HOLD_MS = 20;
const FOLLOWER_APPLY_HOLD_BYTES = 1 << 20;

const HEARTBEAT_TICKS = 1;
const ELECTION_TICKS = 10;
const BASE_TICK_MS = 100;

export class RaftNode {
  private core: RawNode | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly tickMs: number;
  private readonly requestTimeoutMs: number;
  private readonly metrics: RaftMetrics | undefined;
  private readonly random: SeededRandom;
  private readonly incarnation = Date.now();

  private soft: SoftState = { lead: NONE, role: "follower" };
  private term: Term = 0;
  private commit: LogIndex = 0;
  /** Highest index applied to the state machine (or covered by the installed snapshot). */
  private applied: LogIndex = 0;
  /** Highest index whose effect the state machine holds durably (it skips entries ≤ this). */
  private fsmApplied: LogIndex;
  /** The membership as of `applied`, with the servers' addresses. */
  private membership: Membership;

  private readonly proposals: Proposals;
  private readonly reads: ReadBarriers;
  private readonly confWaiters = new ConfWaiters();
  private leaderWaiters: Array<Waiter<RaftId> & { readonly done: (lead: RaftId) => boolean }> = [];
  private readonly observers = new Set<LeaderObserver>();

  /** A steady leader's sends, commit-only appends held briefly (commit-hold.ts). */
  private readonly commitHold: CommitHold;

  private inReady = false;
  private readyScheduled = false;
  /** Committed entries and installed snapshots, applied in order off the Ready loop. */
  private readonly applyQueue: ApplyQueue<ApplyTask>;
  /** A follower's committed entries on their way to applyQueue (apply-hold.ts). */
  private readonly applyHold: ApplyHold;
  private storeChain: Promise<void> = Promise.resolve();
  /** Store writes queued or running in `storeChain` (see withStore). */
  private storeWrites = 0;
  private stopped = false;
  private failure: Error | undefined;
  /** When (Date.now()) the last message from the current leader arrived. */
  private lastLeaderContact = 0;
  /** When (Date.now()) the last message from each peer arrived: autopilot's last contact. */
  private readonly lastHeard = new Map<RaftId, number>();
  /** When (Date.now()) this server last became leader: nobody's last contact is older for it. */
  private leaderSince = 0;
  private readonly autopilot: Autopilot;
  /** Snapshots taken and installed (snapshots.ts). */
  private readonly snapshots: Snapshots;
  /** Per-write stage timestamps, only with DROVER_RAFT_TRACE set (see latency-trace.ts). */
  private readonly trace: LatencyTrace | undefined;

  private constructor(
    private readonly options: RaftNodeOptions,
    private readonly store: LevelDbLogStore,
    private readonly snapshotFiles: SnapshotStore,
  ) {
    const multiplier = options.raftMultiplier ?? 1;
    assert(multiplier > 0, "raftMultiplier must be positive");
    this.tickMs = BASE_TICK_MS * multiplier;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.metrics = options.metrics === undefined ? undefined : new RaftMetrics(options.metrics);
    this.random = new SeededRandom(options.seed ?? hashSeed(`${options.id}/${Date.now()}`));
    this.fsmApplied = options.stateMachine.appliedIndex();
    this.membership = store.currentMembership();
    this.trace = LatencyTrace.fromEnv(options.log);
    this.autopilot = new Autopilot(options.autopilot ?? DEFAULT_AUTOPILOT_CONFIG);
    this.snapshots = new Snapshots({
      store,
      files: snapshotFiles,
      stateMachine: options.stateMachine,
      setPeer: (id, address) => options.transport.setPeer(id, address),
      log: options.log,
      metrics: this.metrics,
      policy: {
        thresholdEntries: options.snapshotThresholdEntries ?? 8192,
        thresholdBytes: options.snapshotThresholdBytes ?? 64 << 20,
        intervalMs: options.snapshotIntervalMs ?? 120_000,
      },
      trailingLogs: options.trailingLogs ?? 1024,
      withStore: (write) => this.withStore(write),
      inApplyLoop: (run) => this.applyQueue.push({ kind: "call", run }),
      fail: (error) => this.fail(error),
      random: () => this.random.next(),
    });
    this.proposals = new Proposals(options.id, this.incarnation, {
      notLeader: () => this.notLeader(),
      isRefusal: (error) => error instanceof ProposalDroppedError,
      onHanded: (startedAtMs) => this.trace?.onHanded(startedAtMs),
      onResolved: (index, seconds) => {
        this.metrics?.commitSeconds.observe(seconds);
        this.trace?.onResolved(index);
      },
    });
    this.reads = new ReadBarriers(this.incarnation);
    this.applyQueue = new ApplyQueue<ApplyTask>(
      (task) => this.applyTask(task),
      (error) => this.fail(error),
      () => this.stopped,
      (first, next) =>
        first.kind === "entries" && next.kind === "entries"
          ? { kind: "entries", entries: [...first.entries, ...next.entries] }
          : undefined,
    );
    this.applyHold = new ApplyHold(
      (entries) => this.applyQueue.push({ kind: "entries", entries }),
      FOLLOWER_APPLY_HOLD_MS,
      FOLLOWER_APPLY_HOLD_BYTES,
    );
    options.stateMachine.onFailure?.((error) => this.fail(error));
    this.commitHold = new CommitHold(
      (messages) => this.options.transport.send(messages),
      COMMIT_HOLD_MS,
      () => this.soft.role === "leader" && !this.stopped,
    );
  }

  /**
   * Opens Raft's stores under `<dataDir>/raft/` and brings the state machine up to the latest
   * local snapshot if it is behind it (a crash between installing a received snapshot and
   * restoring the state machine). Call `bootstrap` (founding member of a new cluster) or nothing
   * (restart, or a server waiting to be added), then `start`.
   */
  static async open(options: RaftNodeOptions): Promise<RaftNode> {
    const store = await LevelDbLogStore.open(join(options.dataDir, "raft", "log"), options.log, {
      cacheBytes: options.logCacheBytes,
    });
    const snapshots = await SnapshotStore.open(join(options.dataDir, "raft", "snapshots"));
    const node = new RaftNode(options, store, snapshots);
    await node.recoverStateMachine();
    return node;
  }

  /** True once this server holds Raft state (bootstrapped, restarted, or added by a leader). */
  isInitialized(): boolean {
    const hs = this.store.currentHardState();
    return hs.term > 0 || this.store.lastIndex() > 0 || this.store.snapshot().metadata.index > 0;
  }

  /**
   * Writes the initial configuration of a new cluster: every founding server writes the very same
   * snapshot (index 1, term 1, the sorted voters), so their logs agree at index 1 and the first
   * election proceeds as in any cluster. Two clusters cannot form as long as every founder is
   * given the same server set (bootstrap.ts makes sure of that).
   */
  async bootstrap(servers: ReadonlyArray<{ id: RaftId; address: string }>): Promise<void> {
    assert(!this.isInitialized(), "bootstrap of a server that already holds Raft state");
    assert(this.core === undefined, "bootstrap after start");
    const ids = servers.map((s) => s.id).sort();
    assert(ids.includes(this.options.id), "bootstrap configuration without this server");
    assert(new Set(ids).size === ids.length, "duplicate server ids in the bootstrap configuration");
    const addresses = Object.fromEntries(servers.map((s) => [s.id, s.address]));
    const snapshot = bootstrapSnapshot(ids);
    await this.snapshotFiles.write(
      snapshot.metadata,
      frameSnapshot({ addresses }, (async function* () {})()),
    );
    await this.store.persist({
      snapshot: snapshot.metadata,
      hardState: BOOTSTRAP_HARD_STATE,
      membership: { confState: snapshot.metadata.confState, index: 0, addresses },
    });
    this.membership = this.store.currentMembership();
    this.options.log.info({ voters: ids }, "bootstrapped a new cluster");
  }

  /** Creates the core from the stored state and starts ticking and serving messages. */
  start(): void {
    assert(this.core === undefined, "start called twice");
    const snapshotIndex = this.store.snapshot().metadata.index;
    this.applied = Math.max(this.fsmApplied, snapshotIndex);
    this.commit = this.store.currentHardState().commit;
    this.term = this.store.currentHardState().term;
    this.core = new RawNode({
      id: this.options.id,
      electionTick: ELECTION_TICKS,
      heartbeatTick: HEARTBEAT_TICKS,
      storage: this.store,
      // The core replays every entry after the snapshot (membership changes must be re-applied to
      // it); the driver skips the state machine for entries it already holds (≤ fsmApplied).
      applied: snapshotIndex,
      maxSizePerMsg: this.options.maxSizePerMsg ?? 1 << 20,
      // A small window: appends that wait for a slot are sent together once one frees (one
      // message per follower per ack instead of one per Ready), and a gRPC message costs far more
      // CPU than the bytes in it. Measured at 64 writes outstanding: 2 cut the followers' CPU per
      // write by ~15-25% against 256 at the same or better throughput.
      maxInflightMsgs: this.options.maxInflightMsgs ?? 2,
      checkQuorum: true,
      preVote: true,
      readOnlyOption: "safe",
      disableProposalForwarding: true,
      random: () => this.random.next(),
      logger: {
        debug: (msg) => this.options.log.debug(msg),
        info: (msg) => this.options.log.info(msg),
        warn: (msg) => this.options.log.warn(msg),
      },
    });
    for (const [id, address] of Object.entries(this.membership.addresses)) {
      this.options.transport.setPeer(id, address);
    }
    this.options.transport.setHandler(this.transportHandler());
    this.updateGauges();
    this.timer = setInterval(() => this.onTick(), this.tickMs);
    this.kick();
  }

  // ─────────────────────────── public API ───────────────────────────

  get id(): RaftId {
    return this.options.id;
  }

  get address(): string {
    return this.options.address;
  }

  isLeader(): boolean {
    return this.soft.role === "leader";
  }

  role(): StateRole {
    return this.soft.role;
  }

  leaderId(): RaftId | undefined {
    return this.soft.lead === NONE ? undefined : this.soft.lead;
  }

  /** The leader's RPC address, if known. */
  leaderAddress(): string | undefined {
    const lead = this.leaderId();
    return lead === undefined ? undefined : this.membership.addresses[lead];
  }

  currentTerm(): Term {
    return this.term;
  }

  appliedIndex(): LogIndex {
    return this.applied;
  }

  commitIndex(): LogIndex {
    return this.commit;
  }

  status(): RaftStatus {
    return this.requireCore().status();
  }

  /** Calls `observer` on every change of the known leader; returns an unsubscribe function. */
  onLeaderChange(observer: LeaderObserver): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  /**
   * Replicates `payload` and resolves with the state machine's result for it once applied here.
   * Rejects with NotLeaderError (leader id and address, when known) on a follower or when the
   * entry was replaced by another leader's, TimeoutError after `timeoutMs` (the entry may still
   * commit later: the outcome is then unknown). `tag` labels the proposal for proposalTag.
   */
  propose(payload: Uint8Array, timeoutMs = this.requestTimeoutMs, tag?: number): Promise<unknown> {
    this.throwIfFailed();
    this.requireCore();
    if (!this.isLeader()) return Promise.reject(this.notLeader());
    const done = this.proposals.add(payload, Date.now() + timeoutMs, process.hrtime.bigint(), tag);
    this.kick();
    return done;
  }

  /**
   * A linearizable read point (ReadIndex, thesis §6.4): resolves with an applied index at least
   * as high as every write acknowledged before the call, after the leader has confirmed with a
   * quorum that it still leads. Read local state after it resolves.
   */
  readBarrier(timeoutMs = this.requestTimeoutMs): Promise<LogIndex> {
    this.throwIfFailed();
    if (!this.isLeader()) return Promise.reject(this.notLeader());
    const done = this.reads.add(Date.now() + timeoutMs);
    this.issueRead();
    return done;
  }

  /**
   * Adds a server: first as a learner (non-voter), then, once it has caught up, as a voter (the
   * leader promotes it on its own). Resolves when it is a voter. Leader only.
   */
  async addServer(id: RaftId, address: string, timeoutMs = 6 * this.requestTimeoutMs): Promise<LogIndex> {
    this.requireLeader();
    const conf = this.membership.confState;
    if (!conf.voters.includes(id) && !conf.learners.includes(id)) {
      await this.proposeConfChange(
        { type: "addLearner", nodeId: id, context: new TextEncoder().encode(address) },
        Date.now() + timeoutMs,
      );
    }
    return this.waitForConf((c) => c.voters.includes(id), timeoutMs);
  }

  /** Removes a server (voter or learner). Leader only; to remove the leader, transfer first. */
  async removeServer(id: RaftId, timeoutMs = this.requestTimeoutMs): Promise<LogIndex> {
    this.requireLeader();
    if (id === this.options.id) {
      // A leader does not remove itself: it hands leadership over, and the caller retries the
      // removal on the new leader (the operator service forwards on NotLeaderError).
      const successor = await this.transferLeadership();
      throw new NotLeaderError(successor, this.membership.addresses[successor]);
    }
    const conf = this.membership.confState;
    if (conf.voters.includes(id) || conf.learners.includes(id)) {
      await this.proposeConfChange(
        { type: "removeNode", nodeId: id, context: new Uint8Array(0) },
        Date.now() + timeoutMs,
      );
    }
    return this.waitForConf((c) => !c.voters.includes(id) && !c.learners.includes(id), timeoutMs);
  }

  /** Hands leadership to `target` (default: the most caught-up other voter). Leader only. */
  async transferLeadership(target?: RaftId, timeoutMs = 3 * ELECTION_TICKS * this.tickMs): Promise<RaftId> {
    this.requireLeader();
    const core = this.requireCore();
    const status = core.status();
    const to =
      target ??
      bestTransferTarget(
        this.membership.confState.voters,
        this.options.id,
        (id) => status.progress.get(id)?.match,
      );
    assert(to !== undefined, "no other voter to transfer leadership to");
    const done = new Promise<RaftId>((resolve, reject) => {
      this.leaderWaiters.push({
        resolve,
        reject,
        deadline: Date.now() + timeoutMs,
        done: (lead) => lead === to,
      });
    });
    core.transferLeadership(to);
    this.kick();
    return done;
  }

  /**
   * True when a proposal made on this server waits for the entry at `index` (a state machine
   * hosted elsewhere sends back only the results someone waits for).
   */
  /** The (base) election timeout: ELECTION_TICKS ticks. */
  electionTimeoutMs(): number {
    return ELECTION_TICKS * this.tickMs;
  }

  /**
   * Milliseconds since this server last heard from the leader (Nomad's X-Nomad-LastContact):
   * 0 on the leader, Infinity while no leader is known.
   */
  lastContactMs(): number {
    if (this.isLeader()) return 0;
    if (this.soft.lead === NONE || this.lastLeaderContact === 0) return Number.POSITIVE_INFINITY;
    return Date.now() - this.lastLeaderContact;
  }

  /** Counters since this process started, for operators and tests. */
  snapshotStats(): { taken: number; installed: number; firstLogIndex: LogIndex } {
    return {
      taken: this.snapshots.taken,
      installed: this.snapshots.installed,
      firstLogIndex: this.store.firstIndex(),
    };
  }

  /**
   * The snapshot to send a peer that needs `requested` (the log's snapshot): its bytes (header
   * frame included) and the metadata they hold, which may be newer (snapshots.ts).
   */
  openSnapshot(requested: SnapshotMetadata): Promise<OpenedSnapshot> {
    return this.snapshots.openForPeer(requested);
  }

  configuration(): RaftConfiguration {
    return describeConfiguration(this.membership, this.soft.lead);
  }

  /** Stops ticking, fails everything pending, closes the stores. The transport is the caller's. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.commitHold.drop();
    this.applyHold.drop();
    this.failAll(new NotLeaderError(undefined));
    while (this.inReady || this.applyQueue.busy) await new Promise((resolve) => setTimeout(resolve, 5));
    await this.snapshots.idle();
    await this.storeChain;
    await this.store.close();
  }

  // ─────────────────────────── the Ready loop ───────────────────────────

  private kick(): void {
    if (this.readyScheduled || this.stopped) return;
    this.readyScheduled = true;
    // setImmediate, not a microtask: lets proposals that arrive in the same turn join one batch.
    // The loop serves every proposal, not the request that happened to kick it.
    outsideRequest(() =>
      setImmediate(() => {
        this.readyScheduled = false;
        this.readyLoop().catch((error: unknown) => this.fail(error));
      }),
    );
  }

  private async readyLoop(): Promise<void> {
    if (this.inReady || this.core === undefined) return;
    this.inReady = true;
    try {
      this.proposals.flush(this.core);
      while (!this.stopped && this.core.hasReady()) {
        // Copy the arrays at once: the core may hand out its live unstable-entries array, which
        // proposals arriving during our await would extend; advance() must see exactly what we
        // persisted, or it would mark never-written entries stable.
        const live = this.core.ready();
        const rd: Ready = {
          ...live,
          entries: [...live.entries],
          committedEntries: [...live.committedEntries],
          messages: [...live.messages],
          readStates: [...live.readStates],
        };
        if (await this.handleReady(rd)) this.core.advance(rd);
        else this.core.advanceAsync(rd);
        this.proposals.flush(this.core);
      }
    } finally {
      this.inReady = false;
    }
  }

  /** Handles one Ready; returns whether it is durable (false: a leader's write still running,
   *  reported through advanceDurable when it lands). */
  private async handleReady(rd: Ready): Promise<boolean> {
    const takenAt = this.trace === undefined ? 0 : LatencyTrace.now();
    const receivedAt = this.trace?.takeFollowerReceived();
    if (rd.softState !== undefined) this.onSoftState(rd.softState);
    const firstNew = rd.entries[0]?.index ?? 0;
    const lastNew = rd.entries[rd.entries.length - 1]?.index ?? -1;
    if (this.trace !== undefined && this.soft.role === "leader") {
      this.trace.onLeaderEntries(rd.entries);
      const c = rd.committedEntries;
      if (c.length > 0) this.trace.mark("committed", (c[0] as Entry).index, (c[c.length - 1] as Entry).index);
    }
    const first = rd.entries[0];
    const core = this.requireCore();
    if (core.mayAdvanceAsync(rd) && (first === undefined || first.index === this.store.lastIndex() + 1)) {
      this.handleLeaderReady(core, rd, firstNew, lastNew);
      return false;
    }
    // Held commit-only appends belong to the steady leadership that this Ready may end.
    this.commitHold.drop();
    // Everything else (a follower's appends, which it must not acknowledge before they are
    // durable; term or vote changes; snapshots) is written after the pipelined appends of our
    // time as leader have landed, so that LevelDB sees the writes in order.
    await this.store.whenIdle();
    // Committed entries we already hold durably are applied at once, in parallel with this
    // Ready's fsync; the rest (entries that arrive and commit in the same Ready) wait for it.
    let applyNow: readonly Entry[] = [];
    let applyLater: readonly Entry[] = rd.committedEntries;
    if (rd.snapshot === undefined) {
      const durableLast = this.store.lastIndex();
      const split = rd.committedEntries.findIndex((e) => e.index > durableLast);
      applyNow = split === -1 ? rd.committedEntries : rd.committedEntries.slice(0, split);
      applyLater = split === -1 ? [] : rd.committedEntries.slice(split);
    }
    if (this.soft.role === "leader") this.proposals.noteIndexes(rd.entries);
    // The write starts first (withStore starts it synchronously when no other write is queued)
    // and the entries already durable are applied while it runs: on a follower the fsync is on
    // the leader's commit path, applying is not.
    const persisted =
      rd.hardState !== undefined || rd.entries.length > 0 || rd.snapshot !== undefined
        ? this.withStore(() =>
            this.store.persist({
              hardState: rd.hardState,
              entries: rd.entries,
              snapshot: rd.snapshot?.metadata,
            }),
          )
        : undefined;
    if (applyNow.length > 0) this.applyCommitted(applyNow);
    await persisted;
    const durableAt = this.trace === undefined ? 0 : LatencyTrace.now();
    if (this.soft.role === "leader") this.trace?.mark("durable", firstNew, lastNew);
    // Sent before the entries that committed with this Ready are applied below (synchronously).
    this.options.transport.send(rd.messages);
    this.options.transport.flush();
    if (this.soft.role !== "leader")
      this.trace?.onFollowerPersisted(rd.entries, receivedAt, takenAt, durableAt);
    if (rd.hardState !== undefined) {
      this.term = rd.hardState.term;
      this.commit = rd.hardState.commit;
    }
    if (rd.snapshot !== undefined) {
      this.applyHold.flush();
      this.applyQueue.push({ kind: "snapshot", metadata: rd.snapshot.metadata });
    }
    if (applyLater.length > 0) this.applyCommitted(applyLater);
    for (const rs of rd.readStates) this.onReadState(Buffer.from(rs.requestCtx).toString("hex"), rs.index);
    this.updateGauges();
    return true;
  }

  /**
   * A steady leader's Ready, handled without waiting for the disk (thesis §10.2.1: the leader
   * may write its log in parallel with replicating it). Its new entries go to the store's memory
   * at once and to LevelDB in the background, so the next proposals are replicated while this
   * fsync runs. The core counts our own copy only once we report it durable (advanceDurable), so
   * every commit index it sends counts durable copies only, and it hands us for applying only
   * entries our durable log holds.
   */
  private handleLeaderReady(core: RawNode, rd: Ready, firstNew: LogIndex, lastNew: LogIndex): void {
    // The appends leave before our own write starts and before committed entries are applied
    // (both synchronous work on this thread): a follower's fsync, not ours, is on the commit
    // path, so every microsecond the appends wait here is added to every write's latency.
    this.commitHold.sendAsLeader(rd.messages);
    this.options.transport.flush();
    this.trace?.mark("sent", firstNew, lastNew);
    this.proposals.noteIndexes(rd.entries);
    const written = this.store.append(rd.entries, rd.hardState);
    const last = rd.entries[rd.entries.length - 1];
    if (written !== undefined && last !== undefined) {
      written.then(
        () => {
          this.trace?.mark("durable", firstNew, lastNew);
          if (this.stopped) return;
          core.advanceDurable(last.index, last.term);
          this.kick();
        },
        (error: unknown) => this.fail(error),
      );
    }
    if (rd.hardState !== undefined) {
      this.term = rd.hardState.term;
      this.commit = rd.hardState.commit;
    }
    if (rd.committedEntries.length > 0) this.applyCommitted(rd.committedEntries);
    for (const rs of rd.readStates) this.onReadState(Buffer.from(rs.requestCtx).toString("hex"), rs.index);
    this.updateGauges();
  }

  private onSoftState(soft: SoftState): void {
    const previous = this.soft;
    this.soft = soft;
    // Only a follower holds applies: whatever it held goes first, in order.
    if (soft.role !== "follower") this.applyHold.flush();
    if (previous.lead !== soft.lead) {
      if (soft.lead === this.options.id) {
        this.leaderSince = Date.now();
        this.autopilot.reset();
      }
      this.metrics?.leaderChanges.inc();
      this.options.log.info({ leader: soft.lead, role: soft.role, term: this.term }, "leader changed");
      const info = { id: this.leaderId(), isSelf: soft.lead === this.options.id, term: this.term };
      for (const observer of this.observers) observer(info);
      this.leaderWaiters = this.leaderWaiters.filter((w) => {
        if (!w.done(soft.lead)) return true;
        w.resolve(soft.lead);
        return false;
      });
    }
    if (previous.role === "leader" && soft.role !== "leader") {
      // Reads not yet confirmed cannot be served by a deposed leader. Proposals stay pending: they
      // may still commit under the new leader (or are rejected when overwritten, or time out).
      this.reads.rejectUnconfirmed(this.notLeader());
      this.confWaiters.rejectAll(this.notLeader());
    }
  }

  // ─────────────────────────── applying ───────────────────────────

  /** Committed entries to the apply loop: at once on a leader, held briefly on a follower. */
  private applyCommitted(entries: readonly Entry[]): void {
    if (this.soft.role === "follower") {
      this.applyHold.hold(entries);
    } else {
      this.applyHold.flush();
      this.applyQueue.push({ kind: "entries", entries });
    }
  }

  private async applyTask(task: ApplyTask): Promise<void> {
    if (task.kind === "call") {
      await task.run(this.fsmApplied, this.membership);
      return;
    }
    if (task.kind === "snapshot") {
      // Our own snapshot still being written must not outlive (and prune) the installed one.
      await this.snapshots.idle();
      await this.restoreSnapshot(task.metadata);
    } else {
      await this.applyEntries(task.entries);
    }
    await this.snapshots.maybeTake(this.fsmApplied, this.membership);
  }

  private async applyEntries(entries: readonly Entry[]): Promise<void> {
    const core = this.requireCore();
    const forFsm: AppliedEntry[] = [];
    const originals: Entry[] = [];
    /** The proposer header of each of `originals` (undefined: not a normal entry with one). */
    const ids: Array<ProposalId | undefined> = [];
    for (const entry of entries) {
      if (entry.index <= this.applied) {
        // Replayed after a restart: the state machine holds it; membership changes must still be
        // re-applied to the core, which restarted from the snapshot's configuration.
        if (entry.type === "confChange") core.applyConfChange(decodeConfChange(entry.data));
        continue;
      }
      if (entry.type === "confChange") await this.applyConfChange(entry);
      originals.push(entry);
      if (entry.type !== "normal" || entry.data.byteLength === 0) {
        forFsm.push(entry);
        ids.push(undefined);
        continue;
      }
      const { id, payload } = decodeProposal(entry.data);
      ids.push(id);
      const proposal = this.proposals.tagOf(id);
      forFsm.push(
        proposal === undefined ? { ...entry, data: payload } : { ...entry, data: payload, proposal },
      );
    }
    if (forFsm.length === 0) {
      this.markApplied(entries);
      return;
    }
    this.trace?.mark("applying", (forFsm[0] as Entry).index, (forFsm[forFsm.length - 1] as Entry).index);
    const results = await this.options.stateMachine.apply(forFsm);
    assert(results.length === forFsm.length, "state machine returned a result count unlike its entries");
    this.fsmApplied = (forFsm[forFsm.length - 1] as Entry).index;
    const now = process.hrtime.bigint();
    for (let i = 0; i < originals.length; i++) {
      const entry = originals[i] as Entry;
      if (entry.type === "normal") this.proposals.settle(entry.index, ids[i], results[i], now);
    }
    this.markApplied(entries);
  }

  private markApplied(entries: readonly Entry[]): void {
    const last = entries[entries.length - 1];
    if (last !== undefined && last.index > this.applied) this.applied = last.index;
    this.metrics?.appliedIndex.set(this.applied);
    this.metrics?.logBytes.set(this.store.retainedBytes());
    this.metrics?.logMemoryBytes.set(this.store.residentBytes());
    this.reads.serve(this.applied);
  }

  private async applyConfChange(entry: Entry): Promise<void> {
    const cc = decodeConfChange(entry.data);
    const wasMember = isMember(this.membership.confState, cc.nodeId);
    const confState = this.requireCore().applyConfChange(cc);
    const membership = membershipAfter(this.membership, cc, confState, entry.index);
    if (cc.type === "removeNode") {
      if (cc.nodeId !== this.options.id) this.options.transport.removePeer(cc.nodeId);
      this.lastHeard.delete(cc.nodeId);
    } else if (!wasMember) {
      // Autopilot's clock for a server starts when it joins: a server removed while it was down
      // and added again must not be judged by the silence of its previous membership (it was
      // removed again at once, and its rejoin then waited a minute for a join to time out).
      this.lastHeard.set(cc.nodeId, Date.now());
    }
    const address = membership.addresses[cc.nodeId];
    if (cc.type !== "removeNode" && cc.context.byteLength > 0 && address !== undefined) {
      this.options.transport.setPeer(cc.nodeId, address);
    }
    await this.withStore(() => this.store.persist({ membership }));
    this.membership = membership;
    this.options.log.info(
      { change: cc.type, server: cc.nodeId, index: entry.index, confState },
      "membership changed",
    );
    this.confWaiters.onApplied(membership);
  }

  // ─────────────────────────── snapshots ───────────────────────────

  private async recoverStateMachine(): Promise<void> {
    const membership = await this.snapshots.recover(this.fsmApplied);
    if (membership !== undefined) this.adoptRestored(membership);
  }

  private async restoreSnapshot(meta: SnapshotMetadata): Promise<void> {
    this.adoptRestored(await this.snapshots.restore(meta));
    this.snapshots.installed++;
    this.metrics?.snapshotInstalls.inc();
    this.applied = meta.index;
    this.metrics?.appliedIndex.set(this.applied);
    this.metrics?.logBytes.set(this.store.retainedBytes());
    this.metrics?.logMemoryBytes.set(this.store.residentBytes());
    this.reads.serve(this.applied);
  }

  /** The state machine now holds a restored snapshot's state, with this membership. */
  private adoptRestored(membership: Membership): void {
    this.membership = membership;
    this.fsmApplied = membership.index;
  }

  // ─────────────────────────── reads ───────────────────────────

  private issueRead(): void {
    if (this.reads.issue(this.requireCore())) this.kick();
  }

  private onReadState(ctx: string, index: LogIndex): void {
    // A read waits for this index: held entries go to the apply loop now, not after the hold.
    if (index > this.applied) this.applyHold.flush();
    if (this.reads.onReadState(ctx, index, this.applied)) this.issueRead();
  }

  // ─────────────────────────── time ───────────────────────────

  private onTick(): void {
    if (this.stopped) return;
    try {
      this.requireCore().tick();
      this.expireRequests();
      if (this.isLeader()) this.runAutopilot();
    } catch (error) {
      this.fail(error);
      return;
    }
    this.kick();
  }

  private expireRequests(): void {
    const now = Date.now();
    this.proposals.expire(now);
    const live = (w: { deadline: number; reject: (error: Error) => void }): boolean => {
      if (w.deadline > now) return true;
      w.reject(new TimeoutError("raft request timed out"));
      return false;
    };
    this.confWaiters.expire(now);
    this.leaderWaiters = this.leaderWaiters.filter(live);
    if (this.reads.expire(now)) this.issueRead();
  }

  /**
   * One autopilot round (every tick on the leader): observe every server, then make at most one
   * membership change — promote a learner that has been healthy for the stabilization time, or
   * remove a server unreachable for longer than threshold + stabilization time (autopilot.ts
   * decides; the core refuses a second change while one is pending, and it is retried next tick).
   */
  private runAutopilot(): void {
    const now = Date.now();
    const core = this.requireCore();
    const status = core.status();
    const conf = this.membership.confState;
    const observe = (id: RaftId, voter: boolean): ServerObservation => {
      const address = this.membership.addresses[id] ?? "";
      if (id === this.options.id) {
        return { id, address, voter, leader: true, lastContactMs: 0, lastIndex: status.lastIndex };
      }
      const heard = Math.max(this.lastHeard.get(id) ?? 0, this.leaderSince);
      const lastIndex = status.progress.get(id)?.match ?? 0;
      return { id, address, voter, leader: false, lastContactMs: Math.max(0, now - heard), lastIndex };
    };
    const health = this.autopilot.observe(now, [
      ...conf.voters.map((id) => observe(id, true)),
      ...conf.learners.map((id) => observe(id, false)),
    ]);
    this.metrics?.autopilotHealthy.set(health.healthy ? 1 : 0);
    this.metrics?.autopilotFailureTolerance.set(health.failureTolerance);
    const action = this.autopilot.decide(now);
    if (action === undefined) return;
    const change: ConfChange =
      action.kind === "promote"
        ? {
            type: "addVoter",
            nodeId: action.id,
            context: new TextEncoder().encode(this.membership.addresses[action.id] ?? ""),
          }
        : { type: "removeNode", nodeId: action.id, context: new Uint8Array(0) };
    try {
      core.proposeConfChange(change);
      this.options.log.info(
        { server: action.id, reason: action.reason },
        action.kind === "promote" ? "autopilot: promoting learner" : "autopilot: removing dead server",
      );
    } catch (error) {
      // Another change is still pending: expected, retried next tick.
      if (!(error instanceof ConfChangeRejectedError)) throw error;
    }
  }

  /** The cluster's health as autopilot last saw it. Leader only (NotLeaderError elsewhere). */
  autopilotHealth(): ClusterHealth & { readonly lastTerms: ReadonlyMap<RaftId, Term> } {
    if (!this.isLeader()) throw this.notLeader();
    const health = this.autopilot.health();
    if (health === undefined) throw this.notLeader();
    const lastTerms = new Map<RaftId, Term>();
    for (const s of health.servers) {
      lastTerms.set(s.id, this.termAt(s.lastIndex));
    }
    return { ...health, lastTerms };
  }

  /** The term of the entry at `index`, or the current term where the log no longer has it. */
  private termAt(index: LogIndex): Term {
    if (index < this.store.firstIndex() - 1 || index > this.store.lastIndex()) return this.term;
    return this.store.term(index);
  }

  /** The autopilot settings in force on this server. */
  autopilotConfiguration(): AutopilotConfig {
    return this.autopilot.configuration;
  }

  // ─────────────────────────── transport events ───────────────────────────

  private transportHandler(): TransportHandler {
    return {
      onMessage: (message: Message) => {
        if (this.stopped) return;
        const now = Date.now();
        this.lastHeard.set(message.from, now);
        if (message.from === this.soft.lead) this.lastLeaderContact = now;
        if (this.trace !== undefined) {
          if (message.type === "appResp" && !message.reject) this.trace.onAck(message.index);
          else if (message.type === "app" && message.entries.length > 0) this.trace.onFollowerReceived();
        }
        try {
          this.requireCore().step(message);
        } catch (error) {
          // A broken invariant in the core: stop this server rather than run on (never swallowed).
          this.fail(error);
          return;
        }
        this.kick();
      },
      receiveSnapshot: async (message, chunks) => {
        assert(message.snapshot !== undefined, "snap message without metadata");
        // The core ignores a snap from an older term; refuse it before its bytes reach the disk,
        // where they could replace a snapshot file of the same index and term.
        if (message.term < this.term) {
          throw new ValidationError(
            `snapshot from ${message.from} at stale term ${message.term} < ${this.term}`,
          );
        }
        await this.snapshotFiles.write(message.snapshot.metadata, chunks);
        if (this.stopped) return;
        this.requireCore().step(message);
        this.kick();
      },
      onUnreachable: (peer) => {
        if (this.stopped) return;
        this.requireCore().reportUnreachable(peer);
      },
      onSnapshotStatus: (peer, ok) => {
        if (this.stopped) return;
        this.requireCore().reportSnapshot(peer, ok ? "finish" : "failure");
        this.kick();
      },
      onPeerAddress: (peer, address) => {
        if (this.membership.addresses[peer] === undefined) this.options.transport.setPeer(peer, address);
      },
      onInboundStreamLost: (peer) => {
        if (this.stopped || peer !== this.soft.lead || this.soft.role !== "follower") return;
        // The leader's stream broke: it may be dead. Pre-vote at once (harmless if it is alive:
        // the others still hear from it and refuse). A random stagger keeps two followers that
        // saw the same reset from splitting the vote.
        const delay = this.random.next() * 2 * this.tickMs;
        setTimeout(() => {
          if (this.stopped || this.soft.lead !== peer || this.soft.role !== "follower") return;
          this.options.log.info({ leader: peer }, "leader stream lost; starting a pre-vote");
          this.requireCore().forgetLeaderAndPreVote();
          this.kick();
          this.retryPreVote(ELECTION_TICKS * this.tickMs);
        }, delay);
      },
    };
  }

  // ─────────────────────────── helpers ───────────────────────────

  /**
   * After a pre-vote for a lost leader: the first follower to notice is ignored by the other,
   * which still counts the old leader's lease, and stays a pre-candidate waiting for an answer
   * that never comes; the other then asks in turn and may be refused for a shorter log. Both wait
   * out a whole election timeout (1-2 s of failover instead of ~0.2 s). The same wait follows a
   * split vote, when both followers noticed at once, each granted the other's pre-vote and both
   * became candidates of one term. So while no leader is known, pre-vote again every one to two
   * ticks for up to `forMs`, as a follower, pre-candidate or candidate; by then the lease has
   * lapsed everywhere the stream broke, and the random delay parts two candidates. Campaigning is
   * always safe in Raft; a pre-vote changes no term unless it wins.
   */
  private retryPreVote(forMs: number): void {
    if (forMs <= 0) return;
    const delay = (1 + this.random.next()) * this.tickMs;
    setTimeout(() => {
      const role = this.soft.role;
      if (this.stopped || this.soft.lead !== NONE || role === "leader") return;
      this.requireCore().forgetLeaderAndPreVote();
      this.kick();
      this.retryPreVote(forMs - delay);
    }, delay);
  }

  /**
   * Proposes a membership change, waiting while another one is pending: the core accepts one
   * change at a time, and none from a new leader until its first entry is applied (the fix of
   * the single-server-change flaw, see core/confchange.ts). Not being the leader ends the wait.
   */
  private async proposeConfChange(cc: ConfChange, deadline: number): Promise<void> {
    for (;;) {
      this.requireLeader();
      try {
        this.requireCore().proposeConfChange(cc);
        this.kick();
        return;
      } catch (error) {
        if (!(error instanceof ConfChangeRejectedError) || !this.isLeader()) throw error;
        if (error.code !== "pending" || Date.now() >= deadline) throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, this.tickMs));
    }
  }

  private waitForConf(done: (conf: ConfState) => boolean, timeoutMs: number): Promise<LogIndex> {
    return this.confWaiters.wait(this.membership, done, Date.now() + timeoutMs);
  }

  /**
   * Runs store writes one at a time, in call order. With none queued or running the write
   * starts at once (synchronously), not a microtask later, so that the caller can overlap it
   * with its own synchronous work.
   */
  private withStore<T>(write: () => Promise<T>): Promise<T> {
    const start = (): Promise<T> => {
      try {
        return write();
      } catch (error) {
        return Promise.reject(error);
      }
    };
    const next = this.storeWrites === 0 ? start() : this.storeChain.then(write);
    this.storeWrites++;
    // The chain only orders the writes; each caller gets (and handles) its own write's outcome.
    this.storeChain = next.then(
      () => {
        this.storeWrites--;
      },
      () => {
        this.storeWrites--;
      },
    );
    return next;
  }

  private requireCore(): RawNode {
    assert(this.core !== undefined, "raft node not started");
    return this.core;
  }

  private requireLeader(): void {
    this.throwIfFailed();
    if (!this.isLeader()) throw this.notLeader();
  }

  private notLeader(): NotLeaderError {
    return new NotLeaderError(this.leaderId(), this.leaderAddress());
  }

  private updateGauges(): void {
    if (this.metrics === undefined) return;
    this.metrics.leader.set(this.isLeader() ? 1 : 0);
    this.metrics.term.set(this.term);
    this.metrics.commitIndex.set(this.commit);
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  private failAll(error: Error): void {
    this.proposals.rejectAll(error);
    this.reads.rejectAll(error);
    this.confWaiters.rejectAll(error);
    for (const w of this.leaderWaiters.splice(0)) w.reject(error);
  }

  /**
   * A failed persist, apply or invariant: this server must not go on (it could ack what is not
   * durable, or diverge). Stop ticking and fail everything; the agent exits on `onFatal`.
   */
  private fail(error: unknown): void {
    const err = error instanceof Error ? error : new Error(String(error));
    if (this.failure !== undefined) return;
    this.failure = err;
    this.options.log.fatal({ err }, "raft node failed; stopping");
    if (this.timer !== undefined) clearInterval(this.timer);
    this.stopped = true;
    this.commitHold.drop();
    this.applyHold.drop();
    this.failAll(err);
    for (const handler of this.fatalHandlers) handler(err);
  }

  private readonly fatalHandlers = new Set<(error: Error) => void>();

  /** Called once if the node hits a fatal error (disk failure, broken invariant). */
  onFatal(handler: (error: Error) => void): void {
    this.fatalHandlers.add(handler);
  }
}

function hashSeed(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}
