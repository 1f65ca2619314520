import { randomUUID } from "node:crypto";
import { makeEvaluation } from "../fsm/evaluation.js";
import type { Evaluation, Nanos } from "../fsm/structs.js";

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
