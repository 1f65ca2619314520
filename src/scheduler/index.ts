/**
 * Public surface of src/scheduler: `schedule(reader, eval, options)` turns one evaluation into a
 * plan, as a pure function of a frozen snapshot, the eval, `now` and a seed. The plan applier's
 * fit check (`allocsFit`, `proposedNodeAllocs`) and the node class hash (`computeNodeClass`) are
 * exported for the server.
 */
import type { StateReader } from "../fsm/state-reader.js";
import type { Evaluation } from "../fsm/structs.js";
import { scheduleCore } from "./core-scheduler.js";
import { scheduleGeneric } from "./generic-scheduler.js";
import type { ScheduleOptions, ScheduleResult } from "./schedule-types.js";
import { scheduleSystem } from "./system-scheduler.js";

export { computeNodeClass } from "./computed-class.js";
export {
  CORE_JOB_DEPLOYMENT_GC,
  CORE_JOB_EVAL_GC,
  CORE_JOB_FORCE_GC,
  CORE_JOB_JOB_GC,
  CORE_JOB_NODE_GC,
} from "./core-scheduler.js";
export {
  type AllocUsage,
  allocsFit,
  allocUsage,
  type FitOptions,
  type FitResult,
  nodeCapacity,
  proposedNodeAllocs,
} from "./fit.js";
export { BLOCKED_EVAL_DESCRIPTION } from "./generic-scheduler.js";
export { parsePortSpec } from "./port-spec.js";
export {
  DEFAULT_GC_THRESHOLDS,
  type GcRequest,
  type GcThresholds,
  type ScheduleOptions,
  type ScheduleResult,
} from "./schedule-types.js";

/** Nomad's limit on plan submissions per eval for service and batch jobs before it fails or blocks. */
export const MAX_PLAN_ATTEMPTS = 5;

export function schedule(
  reader: StateReader,
  evaluation: Evaluation,
  options: ScheduleOptions,
): ScheduleResult {
  switch (evaluation.Type) {
    case "service":
    case "batch":
      return scheduleGeneric(reader, evaluation, options);
    case "system":
    case "sysbatch":
      return scheduleSystem(reader, evaluation, options);
    case "_core":
      return scheduleCore(reader, evaluation, options);
    default:
      return {
        plan: null,
        eval: {
          ...evaluation,
          Status: "failed",
          StatusDescription: `unknown scheduler type ${JSON.stringify(evaluation.Type)}`,
          ModifyTime: options.now,
        },
        createEvals: [],
        gc: null,
      };
  }
}
