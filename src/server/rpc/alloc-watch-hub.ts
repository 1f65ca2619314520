import type { Command } from "../../fsm/commands.js";
import type { StateReader } from "../../fsm/index.js";

type Wake = () => void;

/**
 * Routes "the allocations of node N may have changed" to the watch streams of node N only.
 * With thousands of client streams on one server, waking every stream on every alloc write would
 * cost O(nodes) per Raft entry; a plan names its nodes, and a client update names allocs whose
 * node the state knows, so most entries wake a handful of streams. Commands whose nodes cannot be
 * told (GC of allocs already gone) wake everyone: correct, and rare.
 */
export class AllocWatchHub {
  private readonly watchers = new Map<string, Set<Wake>>();

  /** Registers a wake-up for `nodeId`; returns the unsubscribe function. */
  watch(nodeId: string, wake: Wake): () => void {
    let set = this.watchers.get(nodeId);
    if (set === undefined) {
      set = new Set();
      this.watchers.set(nodeId, set);
    }
    set.add(wake);
    return () => {
      const current = this.watchers.get(nodeId);
      current?.delete(wake);
      if (current !== undefined && current.size === 0) this.watchers.delete(nodeId);
    };
  }

  get size(): number {
    return this.watchers.size;
  }

  /** Called after the local FSM applied `command`; `state` is the state right after it. */
  applied(command: Command, state: StateReader): void {
    if (this.watchers.size === 0) return;
    switch (command.type) {
      case "plan-apply":
        for (const nodes of [command.NodeAllocation, command.NodeUpdate, command.NodePreemptions]) {
          for (const nodeId of Object.keys(nodes)) this.wake(nodeId);
        }
        return;
      case "alloc-client-update":
        for (const update of command.Allocs) this.wakeAlloc(state, update.ID);
        return;
      case "alloc-desired-transition":
        for (const allocId of Object.keys(command.Transitions)) this.wakeAlloc(state, allocId);
        return;
      case "node-deregister":
        for (const nodeId of command.NodeIDs) this.wake(nodeId);
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

  private wakeAlloc(state: StateReader, allocId: string): void {
    const alloc = state.allocByID(allocId);
    if (alloc === undefined) this.wakeAll();
    else this.wake(alloc.NodeID);
  }

  private wake(nodeId: string): void {
    const set = this.watchers.get(nodeId);
    if (set === undefined) return;
    for (const wake of [...set]) wake();
  }

  /** The state changed wholesale (a snapshot was installed): every stream looks again. */
  wakeAll(): void {
    for (const set of [...this.watchers.values()]) for (const wake of [...set]) wake();
  }
}
