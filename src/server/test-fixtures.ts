import type { Evaluation } from "../fsm/structs.js";
import { newEvaluation } from "./new-evaluation.js";

/** A complete pending service eval with `fields` overriding the defaults (tests only). */
export function testEval(fields: Partial<Evaluation> = {}): Evaluation {
  const id = fields.ID ?? "eval-1";
  return newEvaluation(
    {
      ID: id,
      Namespace: "default",
      Priority: 50,
      Type: "service",
      TriggeredBy: "job-register",
      JobID: fields.JobID ?? `job-of-${id}`,
      CreateIndex: 1,
      ModifyIndex: 1,
      ...fields,
    },
    0,
  );
}
