import type { EvalTrigger, Evaluation, Nanos } from "../fsm/structs.js";

/** A new pending eval derived from `parent` (same job, namespace, priority and type). */
export function childEval(
  parent: Evaluation,
  id: string,
  trigger: EvalTrigger,
  now: Nanos,
  overrides: Partial<Evaluation> = {},
): Evaluation {
  return {
    ID: id,
    Namespace: parent.Namespace,
    Priority: parent.Priority,
    Type: parent.Type,
    TriggeredBy: trigger,
    JobID: parent.JobID,
    JobModifyIndex: parent.JobModifyIndex,
    NodeID: "",
    NodeModifyIndex: 0,
    DeploymentID: "",
    Status: "pending",
    StatusDescription: "",
    Wait: 0,
    WaitUntil: 0,
    NextEval: "",
    PreviousEval: parent.ID,
    BlockedEval: "",
    FailedTGAllocs: {},
    ClassEligibility: {},
    EscapedComputedClass: false,
    QuotaLimitReached: "",
    AnnotatePlan: false,
    QueuedAllocations: {},
    SnapshotIndex: 0,
    CreateIndex: 0,
    ModifyIndex: 0,
    CreateTime: now,
    ModifyTime: now,
    ...overrides,
  };
}
