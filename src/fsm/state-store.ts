import { AssertionError, assert } from "../common/assert.js";
import { applyCommand } from "./apply-command.js";
import { decodeCommand } from "./command-codec.js";
import type { Command, CommandResult, ResultOf } from "./commands.js";
import { CommandRejectedError, CorruptSnapshotError, InvalidCommandError } from "./errors.js";
import type { Owner } from "./persistent-map.js";
import { readSnapshotHeader } from "./snapshot-stream.js";
import { StateSnapshot } from "./state-snapshot.js";
import { type ChangeSet, StateTxn } from "./state-txn.js";
import type { Allocation } from "./structs.js";
import { emptyTables, isTableName, type TableName, type Tables } from "./tables.js";
import { WatchRegistry } from "./watch-registry.js";

/** One object-level watch: a table and a key in it (see WatchRegistry for the index keys). */
export interface WatchKey {
  table: TableName;
  key: string;
}

/** What one applied entry changed, handed to the persistence layer. */
export interface Commit {
  readonly index: number;
  readonly changes: ChangeSet;
  readonly tableIndexes: Readonly<Record<TableName, number>>;
  /** New allocations placed from the entry's plan, as stored (see placed-alloc.ts). */
  readonly placedFromEntry: ReadonlyMap<string, Allocation>;
  /** Allocations deleted, with their last value. */
  readonly deletedAllocs: ReadonlyMap<string, Allocation>;
  /** The entry's bytes, when the command came from them (applyEntry). */
  readonly entryData: Uint8Array | undefined;
  /**
   * The command applied (undefined for no-ops and membership entries): decoded once, here, and
   * handed on, so that whoever follows applied commands need not decode the entry again.
   */
  readonly command: Command | undefined;
}

const NO_ALLOCS: ReadonlyMap<string, Allocation> = new Map();

/** An entry applied in the current edit chain (see StateStore.chainOwner), kept to replay it. */
interface ChainLink {
  readonly index: number;
  readonly raftOffset: number;
  readonly data: Uint8Array;
}

/**
 * Bounds on an edit chain: a rejected command replays the chain's entries (decode and apply),
 * so a long chain would make a rare rejection slow; the entries' bytes are held meanwhile.
 */
const MAX_CHAIN_ENTRIES = 64;
const MAX_CHAIN_BYTES = 32 << 20;

/** The outcome of applying one Raft entry's bytes: a result, a rejection, or nothing (no-op). */
export type EntryOutcome = CommandResult | CommandRejectedError | undefined;

/**
 * The replicated state: the current immutable `Tables`, replaced by a new version per applied
 * entry. Reads take `snapshot()` (O(1), never changes afterwards). Writes are `apply(index,
 * command)`, synchronous and deterministic (no clock, no randomness, no I/O), called in Raft log
 * order with strictly increasing indexes.
 */
export class StateStore {
  private current: Tables;
  private readonly watches = new WatchRegistry();
  private indexWaiters: Array<{ index: number; wake: () => void }> = [];
  private readonly commitListeners: Array<(commit: Commit) => void> = [];
  /**
   * The HAMT edit owner shared by the transactions of entries applied since a reader last took
   * the state (snapshot(), tables()), or undefined when the next entry starts a new chain. Each
   * transaction of a chain edits in place the trie nodes that earlier links created instead of
   * copying their paths again: a plan's 1,000 inserts into the allocation table and its indexes
   * then copy each path once per chain rather than once per entry.
   *
   * Invariants: (1) no version published while the chain lives has been handed out: handing one
   * out (sealChain) ends the chain, so a snapshot never sees a later edit; (2) `chainBase` was
   * taken before the chain's owner existed, so none of its nodes belongs to that owner and it is
   * immutable; (3) `chain` lists every entry applied since `chainBase`, so that a command the
   * chain rejects half-way (having edited shared nodes in place) is undone by going back to
   * `chainBase` and applying those entries again under a new owner (apply is deterministic).
   */
  private chainOwner: Owner | undefined;
  private chainBase: Tables;
  private chain: ChainLink[] = [];
  private chainBytes = 0;

  constructor(initial: Tables = emptyTables()) {
    this.current = initial;
    this.chainBase = initial;
  }

  /** The state index of the last applied entry (tables.ts: Raft index + raftOffset). */
  get index(): number {
    return this.current.index;
  }

  /** The Raft index of the last applied entry. */
  get raftIndex(): number {
    return this.current.index - this.current.raftOffset;
  }

  snapshot(): StateSnapshot {
    this.sealChain();
    return new StateSnapshot(this.current);
  }

  /** The current immutable tables (for the snapshot writer and tests). */
  tables(): Tables {
    this.sealChain();
    return this.current;
  }

  /**
   * The current indexes, without taking the tables (which would end the edit chain): for the
   * persistence layer, which records them after every applied batch.
   */
  indexes(): Pick<Tables, "index" | "tableIndexes" | "raftOffset"> {
    const { index, tableIndexes, raftOffset } = this.current;
    return { index, tableIndexes, raftOffset };
  }

  /** Ends the edit chain: the current version may now be read, so nothing may edit its nodes. */
  private sealChain(): void {
    if (this.chainOwner === undefined) return;
    this.chainOwner = undefined;
    this.chain = [];
    this.chainBytes = 0;
  }

  /** Called after every commit, synchronously, in index order (the LevelDB layer listens). */
  onCommit(listener: (commit: Commit) => void): void {
    this.commitListeners.push(listener);
  }

  /**
   * Applies one command at Raft index `index`. Throws a CommandRejectedError (and keeps the state,
   * index included, exactly as it was) when the command cannot apply.
   */
  apply<C extends Command>(index: number, command: C): ResultOf<C> {
    return this.applyAt(index, command, undefined);
  }

  private applyAt<C extends Command>(
    index: number,
    command: C,
    entryData: Uint8Array | undefined,
    raftOffset = this.current.raftOffset,
  ): ResultOf<C> {
    this.checkIndex(index);
    // Only entries given as bytes can be replayed, and a restore replaces everything anyway.
    const chained = entryData !== undefined && command.type !== "snapshot-restore";
    if (!chained) this.sealChain();
    else if (this.chainOwner === undefined) {
      this.chainOwner = {};
      this.chainBase = this.current;
    }
    const txn = new StateTxn(this.current, index, true, entryData !== undefined, this.chainOwner);
    txn.raftOffset = raftOffset;
    let result: CommandResult;
    try {
      result = applyCommand(txn, command);
    } catch (error) {
      if (chained) this.rollBackChain();
      throw asRejection(error, command.type);
    }
    const next = txn.commit();
    if (chained && entryData !== undefined) {
      this.chain.push({ index, raftOffset, data: entryData });
      this.chainBytes += entryData.length;
    }
    this.publish(next, txn.changes, txn.touched, {
      placedFromEntry: txn.placedFromEntry,
      deletedAllocs: txn.deletedAllocs,
      entryData,
      command,
    });
    if (this.chain.length >= MAX_CHAIN_ENTRIES || this.chainBytes >= MAX_CHAIN_BYTES) this.sealChain();
    return result as ResultOf<C>;
  }

  /**
   * After a command of the chain failed half-way: its transaction may have edited, in place,
   * nodes that the current version shares. Rebuilds the current version from `chainBase` by
   * applying the chain's entries again under a new owner; they applied before, so they apply
   * again to the same state (apply is deterministic). Nothing is published again.
   */
  private rollBackChain(): void {
    const links = this.chain;
    this.current = this.chainBase;
    this.chainOwner = {};
    this.chain = [];
    this.chainBytes = 0;
    for (const link of links) {
      const txn = new StateTxn(this.current, link.index, true, true, this.chainOwner);
      txn.raftOffset = link.raftOffset;
      applyCommand(txn, decodeCommand(link.data));
      this.current = txn.commit();
      this.chain.push(link);
      this.chainBytes += link.data.length;
    }
  }

  /**
   * Applies an entry's bytes at state index `index` (the scheduler thread's replica, which is
   * handed the state indexes the agent applied at). Empty data is a no-op (a new leader's entry,
   * Raft §5.4.2) and only advances the index; so does a rejected command, whose rejection is
   * returned (every server rejects the same entry the same way, so the applied index stays exact
   * everywhere).
   */
  applyEntry(index: number, data: Uint8Array): EntryOutcome {
    return this.applyBytes(index, data, undefined);
  }

  /**
   * applyEntry() for the entry at Raft index `raftIndex`: the state index is `raftIndex +
   * raftOffset`, except for a snapshot restore whose records are ahead of it. That entry applies
   * at one past the snapshot's state index, and the offset grows by the jump, so that no index
   * handed out before or after (X-Nomad-Index, ModifyIndex, EnforceIndex, ?cas) goes backwards.
   * Deterministic: every server applies the same entries at the same state indexes.
   */
  applyRaftEntry(raftIndex: number, data: Uint8Array): EntryOutcome {
    return this.applyBytes(raftIndex + this.current.raftOffset, data, raftIndex);
  }

  private applyBytes(index: number, data: Uint8Array, raftIndex: number | undefined): EntryOutcome {
    if (data.length === 0) {
      this.advance(index);
      return undefined;
    }
    try {
      const command = decodeCommand(data);
      if (raftIndex === undefined || command.type !== "snapshot-restore") {
        return this.applyAt(index, command, data);
      }
      const restoredAt = Math.max(index, snapshotIndexOf(command.Snapshot) + 1);
      return this.applyAt(restoredAt, command, data, restoredAt - raftIndex);
    } catch (error) {
      if (!(error instanceof CommandRejectedError)) throw error;
      this.advance(index);
      return error;
    }
  }

  /** advance() for a no-op or membership entry at Raft index `raftIndex`. */
  advanceRaft(raftIndex: number): void {
    this.advance(raftIndex + this.current.raftOffset);
  }

  /** Moves the applied index without changing any table (no-op and membership entries). */
  advance(index: number): void {
    this.checkIndex(index);
    this.publish({ ...this.current, index }, new Map(), new Set(), {
      placedFromEntry: NO_ALLOCS,
      deletedAllocs: NO_ALLOCS,
      entryData: undefined,
      command: undefined,
    });
  }

  /** Replaces the whole state (restore, load). Every watcher wakes. */
  replace(tables: Tables): void {
    this.sealChain();
    this.current = tables;
    this.watches.fireAll();
    this.wakeIndexWaiters();
  }

  /** Resolves with a snapshot at or after `index`; rejects with the signal's reason on abort. */
  waitForIndex(index: number, signal?: AbortSignal): Promise<StateSnapshot> {
    if (this.current.index >= index) return Promise.resolve(this.snapshot());
    return new Promise((resolve, reject) => {
      const waiter = {
        index,
        wake: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve(this.snapshot());
        },
      };
      const onAbort = (): void => {
        this.indexWaiters = this.indexWaiters.filter((w) => w !== waiter);
        reject(signal?.reason);
      };
      if (signal?.aborted === true) {
        reject(signal.reason);
        return;
      }
      signal?.addEventListener("abort", onAbort, { once: true });
      this.indexWaiters.push(waiter);
    });
  }

  /**
   * Blocking-query wait: resolves with the highest index of `tables` once any of them passes
   * `afterIndex`. On abort (the query's wait time is over) it resolves with the current value —
   * possibly still ≤ afterIndex — because a timed-out blocking query answers the current state.
   */
  watch(tables: readonly string[], afterIndex: number, signal?: AbortSignal): Promise<number> {
    for (const table of tables)
      assert(isTableName(table), () => `watch: unknown table ${JSON.stringify(table)}`);
    const indexOf = (): number =>
      Math.max(0, ...tables.map((t) => this.current.tableIndexes[t as TableName]));
    return this.waitOn([...tables], indexOf, afterIndex, signal);
  }

  /**
   * Object-level wait: resolves once a commit after `afterIndex` touches one of the keys (or, on
   * abort, with the state index). Resolves with the index of the waking commit.
   */
  watchKeys(keys: readonly WatchKey[], afterIndex: number, signal?: AbortSignal): Promise<number> {
    let woke = 0;
    const names = keys.map((k) => `${k.table}:${k.key}`);
    return this.waitOn(
      names,
      () => woke,
      afterIndex,
      signal,
      (index) => {
        woke = index;
      },
    );
  }

  private waitOn(
    keys: string[],
    indexOf: () => number,
    afterIndex: number,
    signal: AbortSignal | undefined,
    onWake?: (index: number) => void,
  ): Promise<number> {
    const now = indexOf();
    if (now > afterIndex || signal?.aborted === true) return Promise.resolve(now);
    return new Promise((resolve) => {
      const onAbort = (): void => {
        remove();
        resolve(onWake === undefined ? indexOf() : this.current.index);
      };
      const wakeAndCheck = (): void => {
        onWake?.(this.current.index);
        const index = indexOf();
        if (index > afterIndex) {
          signal?.removeEventListener("abort", onAbort);
          resolve(index);
          return;
        }
        remove = this.watches.add(keys, wakeAndCheck);
      };
      let remove = this.watches.add(keys, wakeAndCheck);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  private publish(
    next: Tables,
    changes: ChangeSet,
    touched: ReadonlySet<string>,
    allocs: Pick<Commit, "placedFromEntry" | "deletedAllocs" | "entryData" | "command">,
  ): void {
    this.current = next;
    const commit: Commit = { index: next.index, changes, tableIndexes: next.tableIndexes, ...allocs };
    for (const listener of this.commitListeners) listener(commit);
    if (changes.size > 0) this.watches.fire([...changes.keys(), ...touched]);
    this.wakeIndexWaiters();
  }

  private wakeIndexWaiters(): void {
    if (this.indexWaiters.length === 0) return;
    const ready = this.indexWaiters.filter((w) => w.index <= this.current.index);
    if (ready.length === 0) return;
    this.indexWaiters = this.indexWaiters.filter((w) => w.index > this.current.index);
    for (const waiter of ready) waiter.wake();
  }

  private checkIndex(index: number): void {
    assert(
      Number.isSafeInteger(index) && index > this.current.index,
      () => `apply at index ${index} after ${this.current.index}: entries must be applied in order, once`,
    );
  }
}

/**
 * Anything a command throws while applying is a rejection of that command — except broken
 * invariants, which are bugs and must stay loud. Malformed nested data (a TypeError deep in a
 * command) is bad input like any other (docs/architecture.md, invariant 7).
 */
/** The state index a snapshot-restore command's snapshot was taken at (a damaged one is refused). */
function snapshotIndexOf(snapshot: Uint8Array): number {
  try {
    return readSnapshotHeader(snapshot).index;
  } catch (error) {
    if (!(error instanceof CorruptSnapshotError)) throw error;
    throw new InvalidCommandError(`snapshot-restore: ${error.message}`);
  }
}

function asRejection(error: unknown, type: string): Error {
  if (error instanceof CommandRejectedError || error instanceof AssertionError) return error;
  if (error instanceof Error) return new InvalidCommandError(`${type}: malformed command: ${error.message}`);
  return new InvalidCommandError(`${type}: malformed command: ${String(error)}`);
}
