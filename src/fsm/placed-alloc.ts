import { allocCompactor } from "./alloc-compactor.js";
import type { Allocation } from "./structs.js";

/**
 * A new allocation as a plan entry at `index` stores it. A pure function of the plan's alloc, the
 * index and the plan's `Now`: apply uses it, and so does the LevelDB loader, which rebuilds new
 * allocations from the stored plan entry instead of storing each one again (leveldb-state.ts).
 * The two must never diverge: that is why this is the only place that knows the rule.
 * `owned`: the caller owns `alloc` (decoded from bytes) and lets it be compacted in place;
 * `ownStrings`: its strings are its own and interned (decoded by fast-decode.ts).
 */
export function placedAlloc(
  alloc: Allocation,
  index: number,
  now: number,
  owned: boolean,
  ownStrings = false,
): Allocation {
  const stamp = {
    CreateIndex: index,
    ModifyIndex: index,
    AllocModifyIndex: index,
    CreateTime: now,
    ModifyTime: now,
  };
  const placed = owned
    ? allocCompactor.compactOwned(alloc, stamp, ownStrings)
    : allocCompactor.compact(alloc, stamp);
  if (placed.DeploymentStatus !== null)
    placed.DeploymentStatus = { ...placed.DeploymentStatus, ModifyIndex: index };
  return placed;
}
