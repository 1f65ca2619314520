import { assert } from "../common/assert.js";
import type { Entry, LogIndex } from "../raft/core/types.js";
import type { StateMachine } from "../raft/state-machine.js";
import type { Command, CommandType } from "./commands.js";
import { CommandRejectedError, CorruptSnapshotError } from "./errors.js";
import { LevelState, type LevelStateOptions } from "./leveldb-state.js";
import { tablesFromSnapshot, writeSnapshotStream } from "./snapshot-stream.js";
import { type Commit, type EntryOutcome, StateStore } from "./state-store.js";

/**
 * Measures each entry's apply from outside the FSM (the server passes one in): apply itself reads
 * no clock (invariant 2), it only brackets each command entry with start() and stop(). The
 * command is the entry's type, or "rejected" for a command the FSM refused.
 */
export interface ApplyTimer {
  start(): number;
  stop(started: number, command: CommandType | "rejected"): void;
}

/**
 * Drover's replicated state machine as the Raft driver sees it (src/raft/state-machine.ts): a
 * StateStore (the in-memory tables every reader uses) plus, on servers, its LevelDB copy.
 *
 * apply() results, one per entry: the command's result (see CommandResults in commands.ts),
 * `undefined` for no-op and membership entries, or a CommandRejectedError instance for a command
 * the FSM refused (state untouched, index advanced). Proposers check `instanceof
 * CommandRejectedError`.
 */
export class DroverFsm implements StateMachine {
  private pending: Commit[] = [];
  /** The command of the latest commit (see applyDecoded). */
  private lastCommand: Command | undefined;
  private timer: ApplyTimer | undefined;

  /** See StateMachine.persist: only an FSM with its LevelDB copy keeps its state itself. */
  readonly persist: (() => Promise<LogIndex>) | undefined;

  private constructor(
    readonly store: StateStore,
    private readonly level: LevelState | null,
  ) {
    this.persist =
      level === null
        ? undefined
        : async () => {
            // What was applied before the call, whatever is applied while it waits.
            const tables = store.tables();
            await level.persist(tables.index);
            return tables.index - tables.raftOffset;
          };
    store.onCommit((commit) => {
      this.lastCommand = commit.command;
      if (this.level !== null) this.pending.push(commit);
    });
  }

  /** A durable FSM in `dir`: loads the stored state (Raft replays entries after its index). */
  static async open(dir: string, options: LevelStateOptions = {}): Promise<DroverFsm> {
    const { level, tables } = await LevelState.open(dir, options);
    return new DroverFsm(new StateStore(tables), level);
  }

  /** An FSM kept only in memory (simulation and unit tests). */
  static inMemory(store: StateStore = new StateStore()): DroverFsm {
    return new DroverFsm(store, null);
  }

  /**
   * The durable applied Raft index (in-memory state may be ahead; Raft replays from here on
   * restart). Raft indexes and state indexes differ after a snapshot restore (tables.ts).
   */
  appliedIndex(): LogIndex {
    return this.level === null ? this.store.raftIndex : this.level.appliedRaftIndex;
  }

  /** Times every applied normal entry from now on (see ApplyTimer). */
  setApplyTimer(timer: ApplyTimer | undefined): void {
    this.timer = timer;
  }

  async apply(entries: readonly Entry[]): Promise<EntryOutcome[]> {
    return (await this.applyDecoded(entries)).outcomes;
  }

  /**
   * apply(), also answering each entry's decoded command (undefined for no-ops, membership
   * entries and rejected commands), so that callers who pass applied commands on (the server's
   * listeners) do not decode every entry a second time.
   */
  async applyDecoded(entries: readonly Entry[]): Promise<{
    outcomes: EntryOutcome[];
    commands: Array<Command | undefined>;
    /** The state index each entry applied at (its Raft index + raftOffset; see tables.ts). */
    stateIndexes: number[];
  }> {
    const outcomes: EntryOutcome[] = [];
    const commands: Array<Command | undefined> = [];
    const stateIndexes: number[] = [];
    for (const entry of entries) {
      this.lastCommand = undefined;
      if (entry.type !== "normal") {
        // Membership changes are Raft's business; the FSM only keeps its index exact.
        this.store.advanceRaft(entry.index);
        outcomes.push(undefined);
        commands.push(undefined);
        stateIndexes.push(this.store.index);
        continue;
      }
      // Empty data is a new leader's no-op entry: not a command, not timed.
      const started = entry.data.length > 0 ? this.timer?.start() : undefined;
      const outcome = this.store.applyRaftEntry(entry.index, entry.data);
      // Set by the store's commit listener during applyRaftEntry (TypeScript cannot see that).
      const command =
        outcome instanceof CommandRejectedError ? undefined : (this.lastCommand as Command | undefined);
      if (started !== undefined) this.timer?.stop(started, command?.type ?? "rejected");
      outcomes.push(outcome);
      commands.push(command);
      stateIndexes.push(this.store.index);
    }
    this.lastCommand = undefined;
    if (this.level !== null && entries.length > 0) {
      const commits = this.pending;
      this.pending = [];
      const tables = this.store.tables();
      await this.level.write(commits, tables.index, tables.tableIndexes, tables.raftOffset);
    }
    return { outcomes, commands, stateIndexes };
  }

  async snapshot(): Promise<{ index: LogIndex; chunks: AsyncIterable<Uint8Array> }> {
    // The immutable view taken here is what gets streamed, however long the stream takes.
    const tables = this.store.tables();
    const level = this.level;
    // Raft may compact its log up to this index once it has the snapshot; the entries it drops
    // must then be durable here too (LevelDB writes trail the in-memory state; see LevelState).
    // The stream waits for that before its first chunk, and Raft compacts only after the last:
    // the caller (Raft's apply loop) gets the view at once instead of stalling every apply
    // behind a LevelDB write (it showed in the write path's tail latency).
    async function* chunks(): AsyncGenerator<Uint8Array> {
      await level?.flushTo(tables.index);
      yield* writeSnapshotStream(tables);
    }
    return { index: tables.index - tables.raftOffset, chunks: chunks() };
  }

  /** Waits until every applied entry is durable in LevelDB. */
  async flush(): Promise<void> {
    await this.level?.flush();
  }

  async restore(index: LogIndex, chunks: AsyncIterable<Uint8Array>): Promise<void> {
    assert(this.pending.length === 0, "restore while an apply is persisting");
    const tables =
      this.level === null ? await tablesFromSnapshot(chunks) : await this.level.restore(index, chunks);
    const raftIndex = tables.index - tables.raftOffset;
    if (raftIndex !== index)
      throw new CorruptSnapshotError(`snapshot is at Raft index ${raftIndex}, expected ${index}`);
    this.store.replace(tables);
  }

  async close(): Promise<void> {
    await this.level?.close();
  }
}
