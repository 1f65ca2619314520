import { StaleEvalTokenError, StalePlanError } from "../common/errors.js";
import type { Evaluation, Plan, PlanResult, SchedulerType } from "../fsm/structs.js";
import type { GcRequest } from "../scheduler/schedule-types.js";
import type { ServerContext } from "./context.js";
import type { EvalBroker } from "./eval-broker.js";
import type { BrokerClient, PlanSubmitter, WorkItem } from "./leader-client.js";
import type { PlanQueue } from "./plan-queue.js";

/**
 * The leader's side of the worker protocol, in-process: the leader's own workers use it
 * directly, and the agent's gRPC endpoints (EvalDequeue/Ack/Nack, PlanSubmit, EvalUpsert) call
 * it on behalf of workers on followers.
 */
export class LocalLeaderClient implements BrokerClient, PlanSubmitter {
  constructor(
    private readonly ctx: ServerContext,
    private readonly broker: EvalBroker,
    private readonly plans: PlanQueue,
  ) {}

  async dequeue(
    schedulers: readonly SchedulerType[],
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<WorkItem | null> {
    const got = await this.broker.dequeue(schedulers, timeoutMs, signal);
    if (got === null) return null;
    // The worker must see everything the leader has applied: the eval itself, its job, and the
    // plans of the job's earlier evals (acked only after their plans were applied here).
    const waitIndex = Math.max(got.eval.ModifyIndex, this.ctx.state().index);
    return { eval: got.eval, token: got.token, waitIndex };
  }

  async ack(evalId: string, token: string): Promise<void> {
    this.broker.ack(evalId, token);
  }

  async nack(evalId: string, token: string): Promise<void> {
    this.broker.nack(evalId, token);
  }

  /** Rejects with StalePlanError when the token is not the eval's outstanding delivery. */
  async submitPlan(plan: Plan): Promise<PlanResult> {
    const checked = plan.EvalID !== "";
    if (checked && this.broker.outstanding(plan.EvalID) !== plan.EvalToken)
      throw new StalePlanError(plan.EvalID);
    // The eval must not be nacked while its plan waits behind others in the queue.
    if (checked) this.broker.pauseNackTimeout(plan.EvalID, plan.EvalToken);
    try {
      return await this.plans.enqueue(plan);
    } finally {
      if (checked && this.broker.outstanding(plan.EvalID) === plan.EvalToken) {
        this.broker.resumeNackTimeout(plan.EvalID, plan.EvalToken);
      }
    }
  }

  /** Rejects with StaleEvalTokenError when no eval in `evals` is held with `token`. */
  async upsertEvals(evals: Evaluation[], token: string): Promise<number> {
    const held = evals.some((e) => this.broker.outstanding(e.ID) === token);
    if (!held) throw new StaleEvalTokenError(evals[0]?.ID ?? "", "eval upsert without an outstanding token");
    const committed = await this.ctx.propose({ type: "eval-upsert", Evals: evals });
    return committed.index;
  }

  /** Rejects with StaleEvalTokenError when the core eval is not held with `token`. */
  async collectGarbage(request: GcRequest, evalId: string, token: string): Promise<number> {
    if (this.broker.outstanding(evalId) !== token)
      throw new StaleEvalTokenError(evalId, "gc without an outstanding token");
    const committed = await this.ctx.propose({ type: "gc-delete", ...request });
    return committed.index;
  }
}
