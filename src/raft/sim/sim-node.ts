/**
 * One simulated server: durable storage that survives crashes (MemoryStorage stands for the
 * fsynced disk), a RawNode while it is up, and a tiny application — a hash chain over the applied
 * entries, so that any divergence in what was applied shows up as a different hash.
 */

import { decodeConfChange } from "../core/confchange.js";
import type { RaftConfig } from "../core/config.js";
import { RawNode } from "../core/raw-node.js";
import type { MemoryStorage } from "../core/storage.js";
import type { ConfState, Entry, LogIndex, RaftId, ReadState, Ready, Snapshot } from "../core/types.js";
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

export interface ReadyHooks {
  persisted(node: SimNode, rd: Ready, prevHardState: import("../core/types.js").HardState): void;
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
   * Handles one Ready in the four steps the driver must follow: persist, send, apply, advance.
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
    // 1. persist (snapshot, entries, hard state)
    const prevHardState = this.storage.hardStateNow();
    if (rd.snapshot !== undefined) this.storage.applySnapshot(rd.snapshot);
    this.storage.append(rd.entries);
    if (rd.hardState !== undefined) this.storage.setHardState(rd.hardState);
    hooks.persisted(this, rd, prevHardState);
    // 2. send, only now that what the messages depend on is durable
    hooks.send(this, rd);
    // 3. apply
    if (rd.snapshot !== undefined) {
      const s = rd.snapshot;
      this.app = { applied: s.metadata.index, hash: decodeAppState(s.data), confState: s.metadata.confState };
      this.history = [];
      hooks.snapshotApplied(this, s);
    }
    for (const e of rd.committedEntries) {
      if (e.index <= this.app.applied) throw new Error(`${this.id}: entry ${e.index} applied twice`);
      if (e.index !== this.app.applied + 1) throw new Error(`${this.id}: gap before entry ${e.index}`);
      this.app.hash = chainHash(this.app.hash, e);
      this.app.applied = e.index;
      if (e.type === "confChange") this.app.confState = raw.applyConfChange(decodeConfChange(e.data));
      this.history.push({ ...this.app });
      hooks.applied(this, e);
    }
    for (const rs of rd.readStates) hooks.readState(this, rs);
    // 4. advance
    raw.advance(rd);
    return true;
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
