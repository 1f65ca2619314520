import type { Evaluation } from "../fsm/structs.js";

/** A complete pending service eval with `fields` overriding the defaults (tests only). */
export function testEval(fields: Partial<Evaluation> = {}): Evaluation {
  const id = fields.ID ?? "eval-1";
  return {
    ID: id,
    Namespace: "default",
    Priority: 50,
    Type: "service",
    TriggeredBy: "job-register",
    JobID: fields.JobID ?? `job-of-${id}`,
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
    CreateIndex: 1,
    ModifyIndex: 1,
    CreateTime: 0,
    ModifyTime: 0,
    ...fields,
  };
}
