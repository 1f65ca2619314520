import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import { assert } from "../common/assert.js";
import { ValidationError } from "../common/errors.js";
import type { Logger } from "../common/log.js";
import type { AgentMetrics } from "../common/metrics.js";
import { encodeCommand } from "../fsm/command-codec.js";
import type { Command } from "../fsm/commands.js";
import type { DroverFsm } from "../fsm/drover-fsm.js";
import { CommandRejectedError } from "../fsm/errors.js";
import { writeSnapshotStream } from "../fsm/snapshot-stream.js";
import type { StateReader } from "../fsm/state-reader.js";
import { emptyTables } from "../fsm/tables.js";
import type { Entry, LogIndex } from "../raft/core/types.js";
import type { RaftNode } from "../raft/raft-node.js";
import type { StateMachine } from "../raft/state-machine.js";
import type { ServerAddress } from "../rpc/server-api.js";
import type { Clock } from "./clock.js";
import type { AppliedListener, ProposeResult, ServerContext } from "./context.js";
import type { ClusterView } from "./rpc/endpoints.js";

/** What the Raft driver hands back for one proposal: the entry's state index and the FSM's result. */
interface IndexedOutcome {
  readonly index: LogIndex;
  readonly outcome: unknown;
}

/** The parts of Raft the context uses: RaftNode, or main's handle on the Raft thread. */
export type RaftHandle = Pick<
  RaftNode,
  | "propose"
  | "readBarrier"
  | "leaderId"
  | "leaderAddress"
  | "lastContactMs"
  | "configuration"
  | "onLeaderChange"
>;

/**
 * Entry bytes applied in one synchronous step before the FSM yields to the event loop. A
 * 1,000-alloc plan entry (~330 KB) is always a slice of its own; batched client status updates
 * cost more per byte (each rewrites a stored alloc and its LevelDB record), so they are sliced
 * finer than plans would need.
 */
const APPLY_SLICE_BYTES = 64 * 1024;

/**
 * The StateMachine Raft drives: Drover's FSM, with two additions the server needs. Each result
 * carries its entry's index (a proposer must know where its write landed: X-Nomad-Index, plan
 * refresh indexes), and the applied-command listeners (eval broker, blocked evals, alloc watches)
 * run in log order right after each batch is applied and persisted, before any proposer hears back.
 */
export class ObservedFsm implements StateMachine {
  private readonly listeners = new Set<AppliedListener>();
  private readonly restoreListeners = new Set<(index: LogIndex) => void>();

  constructor(readonly fsm: DroverFsm) {}

  /**
   * Subscribes to snapshot installs: the state jumped to `index` without applied commands, so
   * whoever follows commands (alloc watches) must look at the state afresh.
   */
  onRestored(listener: (index: LogIndex) => void): () => void {
    this.restoreListeners.add(listener);
    return () => this.restoreListeners.delete(listener);
  }

  onApplied(listener: AppliedListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  appliedIndex(): LogIndex {
    return this.fsm.appliedIndex();
  }

  /**
   * Applies `entries` in slices of about APPLY_SLICE_BYTES, yielding to the event loop between
   * slices: the Raft driver hands over everything committed at once (after a stall, dozens of
   * 1,000-alloc plans), and applying them in one synchronous go would hold up heartbeats and
   * vote requests long enough for followers to start elections (invariant 6). Each slice is
   * applied, persisted and announced to the listeners before the next; results stay in order.
   */
  async apply(entries: readonly Entry[]): Promise<unknown[]> {
    const results: IndexedOutcome[] = [];
    let start = 0;
    while (start < entries.length) {
      let end = start + 1;
      let bytes = (entries[start] as Entry).data.byteLength;
      while (end < entries.length) {
        const size = (entries[end] as Entry).data.byteLength;
        if (bytes + size > APPLY_SLICE_BYTES) break;
        bytes += size;
        end++;
      }
      if (start > 0) await yieldToEventLoop();
      const slice = start === 0 && end === entries.length ? entries : entries.slice(start, end);
      for (const result of await this.applySlice(slice)) results.push(result);
      start = end;
    }
    return results;
  }

  private async applySlice(entries: readonly Entry[]): Promise<IndexedOutcome[]> {
    const { outcomes, commands, stateIndexes } = await this.fsm.applyDecoded(entries);
    assert(outcomes.length === entries.length, "FSM returned a result count that differs from the entries");
    const results: IndexedOutcome[] = [];
    for (const [i, entry] of entries.entries()) {
      const outcome = outcomes[i];
      // Everyone past Raft (proposers, listeners, the API) speaks state indexes (fsm/tables.ts).
      const index = stateIndexes[i] as number;
      results.push({ index, outcome });
      if (entry.type !== "normal" || entry.data.length === 0 || outcome instanceof CommandRejectedError)
        continue;
      if (this.listeners.size === 0) continue;
      // The command as the FSM decoded it to apply it (never decoded twice).
      const command = commands[i];
      assert(command !== undefined, () => `applied entry ${entry.index} has no decoded command`);
      for (const listener of this.listeners) listener(index, command, outcome, entry.data);
    }
    return results;
  }

  /** The FSM's own (see StateMachine.persist). */
  get persist(): StateMachine["persist"] {
    return this.fsm.persist;
  }

  snapshot(): ReturnType<StateMachine["snapshot"]> {
    return this.fsm.snapshot();
  }

  /**
   * Raft's bootstrap snapshot (index 1, written by the founders, sent by a leader to a founder
   * that started late) carries the membership only, no FSM bytes. The FSM state at index 1 is
   * the empty state, so an empty stream at index ≤ 1 restores exactly that; anywhere else an
   * empty stream is corrupt and the FSM says so.
   */
  async restore(index: LogIndex, chunks: AsyncIterable<Uint8Array>): Promise<void> {
    const iterator = chunks[Symbol.asyncIterator]();
    const first = await iterator.next();
    if (first.done === true && index <= 1) {
      await this.fsm.restore(index, writeSnapshotStream({ ...emptyTables(), index }));
    } else {
      async function* replay(): AsyncGenerator<Uint8Array> {
        if (first.done !== true) yield first.value;
        for (let next = await iterator.next(); next.done !== true; next = await iterator.next())
          yield next.value;
      }
      await this.fsm.restore(index, replay());
    }
    const stateIndex = this.fsm.store.index;
    for (const listener of this.restoreListeners) listener(stateIndex);
  }
}

/**
 * The ServerContext (context.ts) and ClusterView (rpc/endpoints.ts) of a server agent, over the
 * real Raft node and FSM: proposals go through Raft and resolve once applied here; `barrier` is a
 * ReadIndex (Raft thesis §6.4), so a deposed leader never answers a read from old state.
 */
export class RaftServerContext implements ServerContext, ClusterView {
  private leaderWaiters = new Set<() => void>();

  constructor(
    private readonly node: RaftHandle,
    private readonly observed: ObservedFsm,
    readonly self: ServerAddress,
    readonly logger: Logger,
    readonly metrics: AgentMetrics,
    readonly clock: Clock,
  ) {
    node.onLeaderChange(() => {
      const waiters = this.leaderWaiters;
      this.leaderWaiters = new Set();
      for (const wake of waiters) wake();
    });
  }

  get selfId(): string {
    return this.self.id;
  }

  // ── ServerContext ──

  state(): StateReader {
    return this.observed.fsm.store.snapshot();
  }

  async waitForIndex(index: number, signal?: AbortSignal): Promise<void> {
    await this.observed.fsm.store.waitForIndex(index, signal);
  }

  async propose(command: Command): Promise<ProposeResult> {
    const raw = (await this.node.propose(encodeCommand(command))) as IndexedOutcome;
    if (raw.outcome instanceof CommandRejectedError) {
      // The FSM refused the command (state untouched): bad input that slipped past validation.
      throw new ValidationError(raw.outcome.message, command.type);
    }
    return { index: raw.index, result: raw.outcome };
  }

  /** A ReadIndex barrier; answers the state index the reads after it will see at least. */
  async barrier(): Promise<number> {
    const raftIndex = await this.node.readBarrier();
    const store = this.observed.fsm.store;
    // Every applied entry moves the state index by at least one, so waiting for the next state
    // index steps through the Raft log; the offset may grow on the way (a restore entry).
    while (store.raftIndex < raftIndex) await store.waitForIndex(store.index + 1);
    return store.index;
  }

  onApplied(listener: AppliedListener): () => void {
    return this.observed.onApplied(listener);
  }

  // ── ClusterView ──

  leader(): ServerAddress | undefined {
    const id = this.node.leaderId();
    if (id === undefined || id === "") return undefined;
    const rpcAddress = id === this.self.id ? this.self.rpcAddress : this.node.leaderAddress();
    if (rpcAddress === undefined) return undefined;
    return { id, rpcAddress };
  }

  leaderChanged(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, Math.max(0, timeoutMs));
      const waiters = this.leaderWaiters;
      function done(): void {
        clearTimeout(timer);
        waiters.delete(done);
        resolve();
      }
      waiters.add(done);
    });
  }

  lastContactMs(): number {
    // Time since this server last heard from the leader (0 on the leader itself). With no known
    // leader there is no contact to measure: X-Nomad-KnownLeader=false says so, and 0 keeps the
    // header and the uint64 wire field well-formed.
    const ms = this.node.lastContactMs();
    return Number.isFinite(ms) ? Math.round(ms) : 0;
  }

  peers(): ServerAddress[] {
    return this.node
      .configuration()
      .servers.filter((s) => s.voter)
      .map((s) => ({ id: s.id, rpcAddress: s.address }));
  }
}
