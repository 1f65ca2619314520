import type { Command } from "../../fsm/commands.js";
import type { StateReader } from "../../fsm/index.js";

/**
 * What a woken stream should look at: the IDs of the allocations of its node that may have
 * changed since its last wake-up, or "all" (a new stream, or a change whose allocations cannot be
 * told): then it compares its node's whole set.
 */
export type AllocChanges = ReadonlySet<string> | "all";

/** Makes one stream look at its node's allocations now and push what changed. */
type Wake = (changes: AllocChanges) => void;

export interface AllocWatchHubOptions {
  /**
   * At most this many streams are woken in one event-loop turn; the rest wait for the next turns.
   * A plan over 5,000 nodes would otherwise encode and write 5,000 stream messages in one turn
   * and hold the event loop for all of it (invariant 6).
   */
  streamsPerTurn?: number;
  /** A turn also stops waking streams once it has run this long (ms by `clock`). */
  turnMs?: number;
  /** Milliseconds from any fixed origin (default performance.now). */
  clock?: () => number;
  /** Runs `fn` in a later turn (default setImmediate: after pending I/O, so Raft gets its turn). */
  defer?: (fn: () => void) => void;
}

const DEFAULT_STREAMS_PER_TURN = 256;
/** A push costs ~0.1 ms (mostly MessagePack), more on a loaded machine: 256 can take 50 ms. */
const DEFAULT_TURN_MS = 10;

/**
 * Routes "the allocations of node N may have changed" to the watch streams of node N only, and
 * spreads the wake-ups over event-loop turns.
 *
 * Routing: with thousands of client streams on one server, waking every stream on every alloc
 * write would cost O(nodes) per Raft entry; a plan names its nodes, and a client update names
 * allocs whose node the state knows, so most entries wake a handful of streams. Commands whose
 * nodes cannot be told (GC of allocs already gone) wake everyone: correct, and rare.
 *
 * Hints: each mark carries the allocation IDs the entry wrote on the node, so that a stream
 * compares only those, not its node's whole set: a node holding 200 allocations would otherwise
 * cost 200 comparisons per plan that places one more, O(allocs²/nodes) over a C1M run.
 *
 * Spreading: an applied entry only marks its nodes dirty; a drain wakes the streams of dirty
 * nodes, `streamsPerTurn` (or `turnMs`) at a time, oldest mark first. A stream reads the latest
 * state when it is woken and sends the difference to what it sent before, so marks coalesce: a
 * node marked again before its wake-up is woken once and sees both changes; a node marked after
 * its wake-up is queued again; the hints of coalesced marks are merged. Invariant: every change to a node's
 * allocations is followed by at least one wake-up of each of its streams, with the changed ID in
 * its hints (or "all"), that reads a state containing it, so every stream converges to its node's
 * full set; nothing is sent twice because the stream diffs against what it sent.
 */
export class AllocWatchHub {
  private readonly watchers = new Map<string, Set<Wake>>();
  /** Nodes whose streams must look again, with what to look at, in the order of their oldest mark. */
  private readonly dirty = new Map<string, Set<string> | "all">();
  private drainScheduled = false;
  private readonly streamsPerTurn: number;
  private readonly turnMs: number;
  private readonly clock: () => number;
  private readonly defer: (fn: () => void) => void;

  constructor(options: AllocWatchHubOptions = {}) {
    this.streamsPerTurn = options.streamsPerTurn ?? DEFAULT_STREAMS_PER_TURN;
    if (!(this.streamsPerTurn >= 1)) throw new Error("AllocWatchHub: streamsPerTurn must be at least 1");
    this.defer = options.defer ?? ((fn) => setImmediate(fn));
    this.turnMs = options.turnMs ?? DEFAULT_TURN_MS;
    this.clock = options.clock ?? (() => performance.now());
  }

  /**
   * Registers a stream of `nodeId`; returns the unsubscribe function. The stream's first wake-up
   * (its full push) comes through the drain like every other, so that thousands of clients
   * reconnecting at once (a new leader, a restarted server) are answered over several turns.
   */
  watch(nodeId: string, wake: Wake): () => void {
    let set = this.watchers.get(nodeId);
    if (set === undefined) {
      set = new Set();
      this.watchers.set(nodeId, set);
    }
    set.add(wake);
    this.mark(nodeId, "all");
    return () => {
      const current = this.watchers.get(nodeId);
      current?.delete(wake);
      if (current !== undefined && current.size === 0) {
        this.watchers.delete(nodeId);
        this.dirty.delete(nodeId);
      }
    };
  }

  /** Nodes with at least one stream. */
  get size(): number {
    return this.watchers.size;
  }

  /** Nodes marked and not yet woken. */
  get pending(): number {
    return this.dirty.size;
  }

  /** Called after the local FSM applied `command`; `state` is the state right after it. */
  applied(command: Command, state: StateReader): void {
    if (this.watchers.size === 0) return;
    switch (command.type) {
      case "plan-apply":
        for (const nodes of [command.NodeAllocation, command.NodeUpdate, command.NodePreemptions]) {
          for (const [nodeId, allocs] of Object.entries(nodes)) {
            this.mark(
              nodeId,
              allocs.map((a) => a.ID),
            );
          }
        }
        return;
      case "alloc-client-update":
        for (const update of command.Allocs) this.markAlloc(state, update.ID);
        return;
      case "alloc-desired-transition":
        for (const allocId of Object.keys(command.Transitions)) this.markAlloc(state, allocId);
        return;
      case "node-deregister":
        for (const nodeId of command.NodeIDs) this.mark(nodeId, "all");
        return;
      case "eval-delete":
      case "gc-delete":
        if (command.AllocIDs.length > 0) this.wakeAll();
        return;
      case "job-deregister":
        // A purge removes the job's allocs from the state.
        if (command.Purge) this.wakeAll();
        return;
      default:
        return;
    }
  }

  private markAlloc(state: StateReader, allocId: string): void {
    const alloc = state.allocByID(allocId);
    if (alloc === undefined) this.wakeAll();
    else this.mark(alloc.NodeID, [allocId]);
  }

  /** Queues a wake-up of `nodeId`'s streams (none if it has none) to look at `allocIds`. */
  private mark(nodeId: string, allocIds: readonly string[] | "all"): void {
    if (!this.watchers.has(nodeId)) return;
    const pending = this.dirty.get(nodeId);
    if (allocIds === "all") this.dirty.set(nodeId, "all");
    else if (pending === undefined) this.dirty.set(nodeId, new Set(allocIds));
    else if (pending !== "all") for (const id of allocIds) pending.add(id);
    this.scheduleDrain();
  }

  /**
   * Queues `nodeId`'s streams to look at `changes` again: a stream that held back a wake-up
   * while its previous push was still being sent hands the held changes back this way, so they
   * go out through the drain like any other.
   */
  requeue(nodeId: string, changes: AllocChanges): void {
    this.mark(nodeId, changes === "all" ? "all" : [...changes]);
  }

  /** The state changed wholesale (a snapshot was installed): every stream looks again. */
  wakeAll(): void {
    for (const nodeId of this.watchers.keys()) this.dirty.set(nodeId, "all");
    if (this.dirty.size > 0) this.scheduleDrain();
  }

  private scheduleDrain(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    this.defer(() => this.drain());
  }

  /**
   * Wakes the streams of the oldest dirty nodes, `streamsPerTurn` at most and for `turnMs` at
   * most (always at least one node, so that the drain progresses; a node's streams all at once).
   */
  private drain(): void {
    this.drainScheduled = false;
    let budget = this.streamsPerTurn;
    const started = this.clock();
    for (const [nodeId, changes] of this.dirty) {
      if (budget <= 0 || (budget < this.streamsPerTurn && this.clock() - started >= this.turnMs)) break;
      // Removed before waking: a mark made while (or after) its streams look is queued again.
      this.dirty.delete(nodeId);
      const set = this.watchers.get(nodeId);
      if (set === undefined) continue;
      for (const wake of [...set]) {
        wake(changes);
        budget--;
      }
    }
    if (this.dirty.size > 0) this.scheduleDrain();
  }
}
