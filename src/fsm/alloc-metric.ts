import type { AllocMetric } from "./structs.js";

/**
 * An AllocMetric with nothing recorded yet. Its key order is part of the on-disk format: the
 * record codec's shared structure for metrics is taken from it, so only ever append keys.
 */
export function emptyAllocMetric(): AllocMetric {
  return {
    NodesEvaluated: 0,
    NodesFiltered: 0,
    NodesInPool: 0,
    NodesAvailable: {},
    ClassFiltered: {},
    ConstraintFiltered: {},
    NodesExhausted: 0,
    ClassExhausted: {},
    DimensionExhausted: {},
    QuotaExhausted: [],
    ScoreMetaData: [],
    AllocationTime: 0,
    CoalescedFailures: 0,
  };
}
