import { makeEvaluation } from "../fsm/evaluation.js";
import type { AllocMetric, EvalTrigger, Evaluation, Nanos } from "../fsm/structs.js";

/** A new pending eval derived from `parent` (same job, namespace, priority and type). */
export function childEval(
  parent: Evaluation,
  id: string,
  trigger: EvalTrigger,
  now: Nanos,
  overrides: Partial<Evaluation> = {},
): Evaluation {
  return makeEvaluation(
    {
      ID: id,
      Namespace: parent.Namespace,
      Priority: parent.Priority,
      Type: parent.Type,
      TriggeredBy: trigger,
      JobID: parent.JobID,
      JobModifyIndex: parent.JobModifyIndex,
      PreviousEval: parent.ID,
      ...overrides,
    },
    now,
  );
}

/**
 * `evaluation` as a scheduler finishes it: complete, with the groups that failed to place and the
 * allocations left queued, as of the snapshot at `snapshotIndex`.
 */
export function completedEval(
  evaluation: Evaluation,
  failed: Record<string, AllocMetric>,
  queued: Record<string, number>,
  now: Nanos,
  snapshotIndex: number,
): Evaluation {
  return {
    ...evaluation,
    Status: "complete",
    StatusDescription: "",
    FailedTGAllocs: failed,
    QueuedAllocations: queued,
    ModifyTime: now,
    SnapshotIndex: snapshotIndex,
  };
}
