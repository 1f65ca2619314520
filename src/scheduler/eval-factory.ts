import { makeEvaluation } from "../fsm/evaluation.js";
import type { EvalTrigger, Evaluation, Nanos } from "../fsm/structs.js";

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
