import { AssertionError, assert } from "../common/assert.js";
import { applyCommand } from "./apply-command.js";
import { decodeCommand } from "./command-codec.js";
import type { Command, CommandResult, ResultOf } from "./commands.js";
import { CommandRejectedError, CorruptSnapshotError, InvalidCommandError } from "./errors.js";
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
  /** How many placements the entry's plan listed (StateTxn.placementsListed; 0 without a plan). */
  readonly placementsListed: number;
  /** Allocations deleted, with their last value. */
  readonly deletedAllocs: ReadonlyMap<string, Allocation>;
  /** Allocations rewritten, as they were before this entry (StateTxn.allocsBefore). */
  readonly allocsBefore: ReadonlyMap<string, Allocation>;
  /** The entry's bytes, when the command came from them (applyEntry). */
  readonly entryData: Uint8Array | undefined;
  /**
   * The command applied (undefined for no-ops and membership entries): decoded once, here, and
   * handed on, so that whoever follows applied commands need not decode the entry again.
   */
  readonly command: Command | undefined;
}

const NO_ALLOCS: ReadonlyMap<string, Allocation> = new Map();
const NO_KEYS: ReadonlySet<string> = new Set();

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

  constructor(initial: Tables = emptyTables()) {
    this.current = initial;
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
    return new StateSnapshot(this.current);
  }

  /** The current immutable tables (for the snapshot writer and tests). */
  tables(): Tables {
    return this.current;
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
    const txn = new StateTxn(this.current, index, true, entryData !== undefined);
    txn.raftOffset = raftOffset;
    let result: CommandResult;
    try {
      result = applyCommand(txn, command);
    } catch (error) {
      txn.abort();
      throw asRejection(error, command.type);
    }
    this.publish(txn.commit(), txn.changes, txn.touched, txn.touchedAllocNodes, {
      placedFromEntry: txn.placedFromEntry,
      placementsListed: txn.placementsListed,
      deletedAllocs: txn.deletedAllocs,
      allocsBefore: txn.allocsBefore,
      entryData,
      command,
    });
    return result as ResultOf<C>;
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
    this.publish({ ...this.current, index }, new Map(), NO_KEYS, NO_KEYS, {
      placedFromEntry: NO_ALLOCS,
      placementsListed: 0,
      deletedAllocs: NO_ALLOCS,
      allocsBefore: NO_ALLOCS,
      entryData: undefined,
      command: undefined,
    });
  }

  /** Replaces the whole state (restore, load). Every watcher wakes. */
  replace(tables: Tables): void {
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
    touchedAllocNodes: ReadonlySet<string>,
    allocs: Pick<
      Commit,
      "placedFromEntry" | "placementsListed" | "deletedAllocs" | "allocsBefore" | "entryData" | "command"
    >,
  ): void {
    this.current = next;
    const commit: Commit = { index: next.index, changes, tableIndexes: next.tableIndexes, ...allocs };
    for (const listener of this.commitListeners) listener(commit);
    if (changes.size > 0) this.watches.fireCommit(changes, touched, touchedAllocNodes);
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
