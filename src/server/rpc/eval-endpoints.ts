import { StaleEvalTokenError, ValidationError } from "../../common/errors.js";
import type { Evaluation, Plan, PlanResult, SchedulerType } from "../../fsm/index.js";
import type { DequeueResult, QueryOptions, QueryResult, ServerApi } from "../../rpc/server-api.js";
import type { GcRequest } from "../../scheduler/schedule-types.js";
import { type EndpointContext, matchesQuery } from "./endpoint-context.js";

type EvalApi = Pick<
  ServerApi,
  "evalList" | "evalGet" | "evalDequeue" | "evalAck" | "evalNack" | "evalUpsert" | "planSubmit" | "gcCommit"
>;

/**
 * The evaluation endpoints (Nomad's eval_endpoint.go and plan_endpoint.go): the eval reads, and
 * the scheduler workers' RPCs to the leader's broker and plan queue (dequeue, ack/nack, eval
 * upsert, plan submit, GC commit), each checked against the worker's delivery token.
 */
export class EvalEndpoints implements EvalApi {
  constructor(private readonly c: EndpointContext) {}

  evalList(query: QueryOptions): Promise<QueryResult<Evaluation[]>> {
    return this.c.read(
      query,
      ["evals"],
      (s) => [...s.evals()].filter((e) => matchesQuery(e.Namespace, e.ID, query)),
      (c) => c.evalList(query),
    );
  }

  evalGet(id: string, query: QueryOptions): Promise<QueryResult<Evaluation | undefined>> {
    return this.c.read(
      query,
      ["evals"],
      (s) => s.evalByID(id),
      (c) => c.evalGet(id, query),
    );
  }

  evalDequeue(
    schedulers: readonly SchedulerType[],
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<DequeueResult> {
    return this.c.write(
      async () => {
        const got = await this.c.leaderDuties().dequeue(schedulers, timeoutMs, signal);
        if (got === null) return { eval: undefined, token: "", waitIndex: 0 };
        // The worker must see everything the leader has applied: the eval itself, its job, and
        // the plans of the job's earlier evals (acked only after their plans were applied here).
        const waitIndex = Math.max(got.eval.ModifyIndex, this.c.state().index);
        return { eval: got.eval, token: got.token, waitIndex };
      },
      (c) => c.evalDequeue(schedulers, timeoutMs, signal),
      true,
    );
  }

  evalAck(evalId: string, token: string): Promise<void> {
    return this.c.write(
      async () => this.c.leaderDuties().ack(evalId, token),
      (c) => c.evalAck(evalId, token),
    );
  }

  evalNack(evalId: string, token: string): Promise<void> {
    return this.c.write(
      async () => this.c.leaderDuties().nack(evalId, token),
      (c) => c.evalNack(evalId, token),
    );
  }

  evalUpsert(evals: Evaluation[], token: string, reblock: boolean): Promise<number> {
    if (!Array.isArray(evals) || evals.length === 0)
      throw new ValidationError("evals must be a non-empty list", "EvalUpsert");
    return this.c.write(
      async () => {
        const duties = this.c.leaderDuties();
        // A worker may update the eval it holds and create evals that follow from it.
        if (!evals.some((e) => duties.holds(e.ID, token))) {
          throw new StaleEvalTokenError(evals[0]?.ID ?? "", "eval upsert without an outstanding token");
        }
        const { index } = await this.c.propose({ type: "eval-upsert", Evals: evals });
        if (reblock) {
          for (const e of evals) duties.reblock(e, token);
        }
        return index;
      },
      (c) => c.evalUpsert(evals, token, reblock),
    );
  }

  planSubmit(plan: Plan): Promise<PlanResult> {
    return this.c.write(
      () => this.c.leaderDuties().submitPlan(plan),
      (c) => c.planSubmit(plan),
    );
  }

  gcCommit(request: GcRequest, evalId: string, token: string): Promise<number> {
    return this.c.write(
      () => this.c.leaderDuties().collectGarbage(request, evalId, token),
      (c) => c.gcCommit(request, evalId, token),
    );
  }
}
