/**
 * One simulated server: durable storage that survives crashes (MemoryStorage stands for the
 * fsynced disk), a RawNode while it is up, and a tiny application — a hash chain over the applied
 * entries, so that any divergence in what was applied shows up as a different hash.
 *
 * With `asyncWrites`, a leader's Ready that may be written asynchronously (RawNode.mayAdvanceAsync)
 * is handled as the production driver does: its messages leave at once and its entries (with any
 * commit-only hard state) wait in `pendingWrites` — written but not fsynced — until `syncOne()`
 * makes the oldest one durable and reports it (advanceDurable). A crash loses every pending write.
 * Writes land in order: a Ready persisted synchronously first syncs every pending write.
 */

import { decodeConfChange } from "../core/confchange.js";
import type { RaftConfig } from "../core/config.js";
import { RawNode } from "../core/raw-node.js";
import type { MemoryStorage } from "../core/storage.js";
import type {
  ConfState,
  Entry,
  HardState,
  LogIndex,
  RaftId,
  ReadState,
  Ready,
  Snapshot,
} from "../core/types.js";
import { chainHash } from "./invariants.js";

export interface AppState {
  applied: LogIndex;
  hash: number;
  confState: ConfState;
}

export function encodeAppState(hash: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, hash);
  return b;
}

export function decodeAppState(data: Uint8Array): number {
  if (data.byteLength === 0) return 0;
  return new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(0);
}

/** A write handed to the disk but not yet fsynced (lost if the node crashes). */
export interface PendingWrite {
  readonly entries: readonly Entry[];
  readonly hardState: HardState | undefined;
}

export interface ReadyHooks {
  /** The Ready's role change, if any (before its messages leave). */
  softState(node: SimNode, rd: Ready): void;
  /** `write` is durable now (`prevHardState` was the durable hard state before it). */
  persisted(node: SimNode, write: PendingWrite, prevHardState: HardState): void;
  send(node: SimNode, rd: Ready): void;
  applied(node: SimNode, e: Entry): void;
  snapshotApplied(node: SimNode, snap: Snapshot): void;
  readState(node: SimNode, rs: ReadState): void;
}

export class SimNode {
  raw: RawNode | undefined;
  app: AppState;
  /** Application state after each applied index since the last snapshot (to snapshot at any of them). */
  private history: AppState[] = [];
  /** Leader writes sent before their fsync, oldest first (see the header). */
  pendingWrites: PendingWrite[] = [];
  /** Handle eligible leader Readies as the production driver does (send before fsync). */
  asyncWrites = false;

  constructor(
    readonly id: RaftId,
    readonly storage: MemoryStorage,
    private readonly makeConfig: (id: RaftId, storage: MemoryStorage, applied: LogIndex) => RaftConfig,
  ) {
    this.app = this.appFromSnapshot();
    this.raw = new RawNode(makeConfig(id, storage, this.app.applied));
  }

  get up(): boolean {
    return this.raw !== undefined;
  }

  private appFromSnapshot(): AppState {
    const snap = this.storage.snapshot();
    return {
      applied: snap.metadata.index,
      hash: decodeAppState(snap.data),
      confState: snap.metadata.confState,
    };
  }

  /** Loses everything not in storage: the RawNode (unstable log, volatile state) and the app. */
  crash(): void {
    this.raw = undefined;
    this.pendingWrites = [];
  }

  restart(): void {
    this.app = this.appFromSnapshot();
    this.history = [];
    this.raw = new RawNode(this.makeConfig(this.id, this.storage, this.app.applied));
  }

  rawNode(): RawNode {
    const raw = this.raw;
    if (raw === undefined) throw new Error(`node ${this.id} is down`);
    return raw;
  }

  /**
   * Handles one Ready in the four steps the driver must follow: persist, send, apply, advance —
   * or, for an eligible leader Ready with `asyncWrites`, send, queue the write, apply, advance.
   * `crashBeforePersist` simulates a crash between ready() and the fsync: nothing is kept or sent.
   */
  handleReady(hooks: ReadyHooks, crashBeforePersist = false): boolean {
    const raw = this.raw;
    if (raw === undefined || !raw.hasReady()) return false;
    const rd = raw.ready();
    if (crashBeforePersist) {
      this.crash();
      return true;
    }
    hooks.softState(this, rd);
    if (this.asyncWrites && raw.mayAdvanceAsync(rd)) {
      // Sent before the write is durable; the core counts our copy only once syncOne reports it.
      hooks.send(this, rd);
      if (rd.entries.length > 0 || rd.hardState !== undefined) {
        this.pendingWrites.push({ entries: rd.entries, hardState: rd.hardState });
      }
      this.apply(raw, hooks, rd);
      raw.advanceAsync(rd);
      return true;
    }
    // 1. persist (every earlier pending write first, then snapshot, entries, hard state)
    while (this.pendingWrites.length > 0) this.syncOne(hooks);
    const prevHardState = this.storage.hardStateNow();
    if (rd.snapshot !== undefined) this.storage.applySnapshot(rd.snapshot);
    this.storage.append(rd.entries);
    if (rd.hardState !== undefined) this.storage.setHardState(rd.hardState);
    hooks.persisted(this, { entries: rd.entries, hardState: rd.hardState }, prevHardState);
    // 2. send, only now that what the messages depend on is durable
    hooks.send(this, rd);
    // 3. apply
    this.apply(raw, hooks, rd);
    // 4. advance
    raw.advance(rd);
    return true;
  }

  /** Makes the oldest pending write durable and reports it to the core. */
  syncOne(hooks: ReadyHooks): boolean {
    const write = this.pendingWrites.shift();
    if (write === undefined) return false;
    const prevHardState = this.storage.hardStateNow();
    this.storage.append(write.entries);
    if (write.hardState !== undefined) this.storage.setHardState(write.hardState);
    hooks.persisted(this, write, prevHardState);
    const last = write.entries[write.entries.length - 1];
    if (last !== undefined) this.raw?.advanceDurable(last.index, last.term);
    return true;
  }

  private apply(raw: RawNode, hooks: ReadyHooks, rd: Ready): void {
    if (rd.snapshot !== undefined) {
      const s = rd.snapshot;
      this.app = { applied: s.metadata.index, hash: decodeAppState(s.data), confState: s.metadata.confState };
      this.history = [];
      hooks.snapshotApplied(this, s);
    }
    for (const e of rd.committedEntries) {
      if (e.index <= this.app.applied) throw new Error(`${this.id}: entry ${e.index} applied twice`);
      if (e.index !== this.app.applied + 1) throw new Error(`${this.id}: gap before entry ${e.index}`);
      // The application's state must be recoverable from durable storage: never apply an entry
      // this node could lose in a crash (Drover's FSM is not fsynced; it replays the Raft log).
      if (e.index > this.storage.lastIndex() || this.storage.term(e.index) !== e.term) {
        throw new Error(`${this.id}: applying entry ${e.index}/${e.term}, which is not durable here`);
      }
      this.app.hash = chainHash(this.app.hash, e);
      this.app.applied = e.index;
      if (e.type === "confChange") this.app.confState = raw.applyConfChange(decodeConfChange(e.data));
      this.history.push({ ...this.app });
      hooks.applied(this, e);
    }
    for (const rs of rd.readStates) hooks.readState(this, rs);
  }

  /**
   * The application state at `index` as a snapshot, without compacting: what a server whose state
   * machine keeps its own state sends a peer, taken when it sends (snapshots.ts), at an index
   * between its log's snapshot and its applied index. Undefined outside that range.
   */
  snapshotAt(index: LogIndex): Snapshot | undefined {
    const snap = this.storage.snapshot();
    if (index === snap.metadata.index) return snap;
    const state = this.history.find((h) => h.applied === index);
    if (state === undefined) return undefined;
    return {
      metadata: { index, term: this.storage.term(index), confState: state.confState },
      data: encodeAppState(state.hash),
    };
  }

  /** Snapshots the application state at `index` (<= applied) and compacts the log up to it. */
  compact(index: LogIndex): boolean {
    const snapIndex = this.storage.snapshot().metadata.index;
    if (index > this.app.applied || index <= snapIndex) return false;
    const at = this.history.findIndex((h) => h.applied === index);
    if (at < 0) return false;
    const state = this.history[at] as AppState;
    this.storage.createSnapshot(index, state.confState, encodeAppState(state.hash));
    this.storage.compact(index);
    this.history = this.history.slice(at + 1);
    return true;
  }
}
