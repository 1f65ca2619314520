import { randomUUID } from "node:crypto";
import { makeEvaluation } from "../fsm/evaluation.js";
import type { Evaluation, Job, Nanos } from "../fsm/structs.js";

/** The fields every new evaluation must be given; the rest take Nomad's defaults. */
export type NewEvaluationFields = Pick<
  Evaluation,
  "Namespace" | "Priority" | "Type" | "TriggeredBy" | "JobID"
> &
  Partial<Evaluation>;

/**
 * A new pending evaluation created by the leader's duties (preemption, node down, periodic
 * launches, failed follow-ups, core GC). The ID and times are chosen here, before proposing, so
 * that the FSM's apply stays deterministic (invariant 2); the FSM sets CreateIndex/ModifyIndex.
 */
export function newEvaluation(fields: NewEvaluationFields, now: Nanos): Evaluation {
  return makeEvaluation({ ID: randomUUID(), ...fields }, now);
}

/** A new evaluation of `job` (its namespace, ID, priority and type), plus `fields`. */
export function jobEvaluation(
  job: Pick<Job, "Namespace" | "ID" | "Priority" | "Type">,
  triggeredBy: Evaluation["TriggeredBy"],
  now: Nanos,
  fields: Partial<Evaluation> = {},
): Evaluation {
  return newEvaluation(
    {
      Namespace: job.Namespace,
      Priority: job.Priority,
      Type: job.Type,
      TriggeredBy: triggeredBy,
      JobID: job.ID,
      ...fields,
    },
    now,
  );
}
