import type { Allocation, DisconnectStrategy, TaskGroup } from "../fsm/structs.js";

/**
 * Which of an original allocation that reconnected and a replacement keeps running (Nomad's
 * pickReconnectingAlloc): a replacement of a newer job version always; otherwise the group's
 * reconcile strategy. Only the allocations' own fields are read, so the choice is deterministic.
 */
export function pickReconnecting(
  disconnect: DisconnectStrategy,
  group: TaskGroup,
  original: Allocation,
  replacement: Allocation,
): Allocation {
  if (replacement.JobVersion > original.JobVersion) return replacement;
  switch (disconnect.Reconcile) {
    case "keep_original":
      return original;
    case "keep_replacement":
      return replacement;
    case "longest_running": {
      const originalStart = runningSince(original, group);
      const replacementStart = runningSince(replacement, group);
      if (originalStart === 0) return replacementStart === 0 ? original : replacement;
      if (replacementStart === 0) return original;
      return originalStart < replacementStart ? original : replacement;
    }
    case "best_score": {
      const originalScore = placementScore(original);
      const replacementScore = placementScore(replacement);
      if (replacementScore === null) return original;
      return originalScore === null || replacementScore > originalScore ? replacement : original;
    }
  }
}

/** When the allocation started: its leader task's start, else its oldest main task's (0: never). */
function runningSince(alloc: Allocation, group: TaskGroup): number {
  const main = group.Tasks.filter((t) => t.Lifecycle === null);
  const leader = main.find((t) => t.Leader);
  const starts = (leader === undefined ? main : [leader])
    .map((t) => alloc.TaskStates[t.Name]?.StartedAt ?? 0)
    .filter((t) => t > 0);
  return starts.length === 0 ? 0 : Math.min(...starts);
}

/** The normalized score the allocation's node had when it was placed, or null when not recorded. */
function placementScore(alloc: Allocation): number | null {
  const scores = alloc.Metrics?.ScoreMetaData ?? [];
  const own = scores.find((s) => s.NodeID === alloc.NodeID);
  if (own !== undefined) return own.NormScore;
  return scores.length === 0 ? null : Math.max(...scores.map((s) => s.NormScore));
}
