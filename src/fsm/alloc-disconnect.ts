import type { StateReader } from "./state-reader.js";
import type { Allocation, AllocClientStatus, AllocState, DisconnectStrategy, Nanos } from "./structs.js";

/**
 * Rules of Nomad's disconnected clients that servers (heartbeats, endpoints) and the schedulers
 * share: which allocations may outlive a silent node, since when an allocation is unknown, and
 * when its window has run out. Pure functions of the allocation, its group's strategy and `now`.
 */

/** The `disconnect` strategy of the group an allocation runs (its own job version's), or null. */
export function allocDisconnect(state: StateReader, alloc: Allocation): DisconnectStrategy | null {
  const job =
    state.jobByVersion(alloc.Namespace, alloc.JobID, alloc.JobVersion) ??
    state.jobByID(alloc.Namespace, alloc.JobID);
  return job?.TaskGroups.find((g) => g.Name === alloc.TaskGroup)?.Disconnect ?? null;
}

/** Whether a group keeps its allocations `unknown` (not lost) while their node is disconnected. */
export function supportsDisconnect(strategy: DisconnectStrategy | null): strategy is DisconnectStrategy {
  return strategy !== null && strategy.LostAfter > 0;
}

/** The last ClientStatus the servers recorded for the allocation, or undefined when none. */
export function lastRecordedClientStatus(alloc: Allocation): AllocState | undefined {
  for (let i = alloc.AllocStates.length - 1; i >= 0; i--) {
    const state = alloc.AllocStates[i] as AllocState;
    if (state.Field === "ClientStatus") return state;
  }
  return undefined;
}

/**
 * Nomad's NeedsToReconnect: the servers marked the allocation unknown and have not yet
 * reconciled its return (whatever the client reported since).
 */
export function needsReconnect(alloc: Allocation): boolean {
  return lastRecordedClientStatus(alloc)?.Value === "unknown";
}

/**
 * Nomad's Expired: the allocation is unknown and its group's lost_after has run out since it was
 * marked so (it is lost from then on).
 */
export function disconnectExpired(
  alloc: Allocation,
  strategy: DisconnectStrategy | null,
  now: Nanos,
): boolean {
  if (alloc.ClientStatus !== "unknown" || !supportsDisconnect(strategy)) return false;
  const since = lastRecordedClientStatus(alloc);
  if (since === undefined || since.Value !== "unknown") return false;
  return now >= since.Time + strategy.LostAfter;
}

/** The allocation with one more recorded ClientStatus change. */
export function withRecordedClientStatus(
  alloc: Allocation,
  status: AllocClientStatus,
  now: Nanos,
): AllocState[] {
  return [...alloc.AllocStates, { Field: "ClientStatus", Value: status, Time: now }];
}
