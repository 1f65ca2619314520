import type { Evaluation, Nanos } from "./structs.js";

/** What every new evaluation must be given; the rest take Nomad's defaults. */
export type EvaluationFields = Pick<
  Evaluation,
  "ID" | "Namespace" | "Priority" | "Type" | "TriggeredBy" | "JobID"
> &
  Partial<Evaluation>;

/**
 * A pending evaluation with Nomad's defaults for every field not given. The caller chooses the
 * ID and `now` before proposing (invariant 2: apply() never invents them); the FSM sets
 * CreateIndex/ModifyIndex when it stores the eval.
 */
export function makeEvaluation(fields: EvaluationFields, now: Nanos): Evaluation {
  return {
    JobModifyIndex: 0,
    NodeID: "",
    NodeModifyIndex: 0,
    DeploymentID: "",
    Status: "pending",
    StatusDescription: "",
    Wait: 0,
    WaitUntil: 0,
    NextEval: "",
    PreviousEval: "",
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
    ...fields,
  };
}
