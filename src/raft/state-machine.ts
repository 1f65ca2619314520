import type { Entry, LogIndex, Term } from "./core/types.js";

/**
 * A committed entry as the state machine receives it: `data` without the proposer header, and
 * `proposal`, the tag (RaftNode.propose) of the pending proposal of this server it carries.
 */
export interface AppliedEntry extends Entry {
  readonly proposal?: number;
}

/**
 * The application that Raft replicates (Drover's FSM, or a test key/value store). The driver
 * (raft-node.ts) is its only caller: it applies committed entries strictly in log order, takes
 * snapshots for log compaction and restores snapshots received from a leader.
 *
 * Determinism (docs/architecture.md, invariant 2): `apply` must depend only on the entries and the
 * state built by earlier entries, so that every server reaches the same state (Raft §5.3).
 */
export interface StateMachine {
  /**
   * Index of the last entry applied and durably recorded (restart replays only later entries).
   * Called once when the driver starts, and after each restore.
   */
  appliedIndex(): LogIndex;

  /**
   * Applies committed entries in log order and returns one result per entry, which the driver
   * hands to the proposer's promise. Every committed entry is passed, so the applied index is
   * exact: entries with `type !== "normal"` (membership changes, which the driver applies to
   * Raft itself) and entries with empty `data` (a new leader's no-op, §5.4.2) must only advance
   * the applied index (result `undefined`). May be async for persistence, but the driver never
   * calls it again before the previous call has settled, and never with a gap.
   *
   * A state machine on another thread may resolve once the entries are queued for it in order
   * (thread/thread-state-machine.ts), before they took effect. It must then serve every later
   * call (apply, snapshot, restore) after them, so that a snapshot still covers exactly the
   * entries passed before it; whoever reads its state must wait for the index it needs there
   * (thread/state-machine-host.ts does for read barriers); and a later failure to apply them is
   * reported through `onFailure`.
   */
  apply(entries: readonly AppliedEntry[]): Promise<unknown[]>;

  /**
   * Only for a state machine whose `apply` resolves before the entries took effect: `handler`
   * is called (once) if applying them fails later. The driver stops, as it does when `apply`
   * rejects: a server that failed to apply an entry must not go on.
   */
  onFailure?(handler: (error: Error) => void): void;

  /**
   * Only for a state machine that keeps its applied state durably on its own (Drover's FSM in
   * LevelDB); absent otherwise. Resolves once every entry passed to `apply` before the call is
   * durable (fsynced), with the index of the last of them. Raft then compacts its log behind
   * that index without writing the state into a snapshot file, and calls `snapshot()` only when
   * a peer needs one (as etcd v3 sends its backend): the state machine's own copy is the
   * snapshot, so a restart replays the log from its durable index and never needs a file.
   */
  readonly persist?: (() => Promise<LogIndex>) | undefined;

  /**
   * A consistent snapshot of the state at `index` (= appliedIndex() at the call) as a byte
   * stream. The state must not change while the stream is read (take an immutable view first).
   */
  snapshot(): Promise<{ index: LogIndex; term?: Term; chunks: AsyncIterable<Uint8Array> }>;

  /**
   * Replaces all state atomically from a snapshot stream taken at `index`: either the whole new
   * state becomes visible (and durable) or the old state stays intact (crash mid-restore).
   * An empty stream (zero bytes) means the empty initial state: a server added to a young
   * cluster may receive the bootstrap snapshot (index 1), which holds no application state.
   */
  restore(index: LogIndex, chunks: AsyncIterable<Uint8Array>): Promise<void>;
}
