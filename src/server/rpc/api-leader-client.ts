import { TimeoutError } from "../../common/errors.js";
import type { Evaluation, Plan, PlanResult, SchedulerType } from "../../fsm/index.js";
import type { ServerApi } from "../../rpc/server-api.js";
import type { GcRequest } from "../../scheduler/schedule-types.js";
import type { BrokerClient, PlanSubmitter, WorkItem } from "../leader-client.js";

/**
 * The worker protocol (leader-client.ts) over a ServerApi — in the agent, its own endpoints, which
 * run on the local Leader while this server leads and forward to the leader over gRPC otherwise.
 * So a worker does not care where the leader is, and keeps working across leader changes.
 */
export class ApiLeaderClient implements BrokerClient, PlanSubmitter {
  constructor(private readonly api: ServerApi) {}

  async dequeue(
    schedulers: readonly SchedulerType[],
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<WorkItem | null> {
    let res: Awaited<ReturnType<ServerApi["evalDequeue"]>>;
    try {
      res = await this.api.evalDequeue(schedulers, timeoutMs, signal);
    } catch (error) {
      // No leader within the forwarding deadline: an empty poll, as the contract asks. A worker
      // that is stopping cancelled the call itself: also just an empty poll.
      if (error instanceof TimeoutError || signal?.aborted === true) return null;
      throw error;
    }
    if (res.eval === undefined) return null;
    return { eval: res.eval, token: res.token, waitIndex: res.waitIndex };
  }

  ack(evalId: string, token: string): Promise<void> {
    return this.api.evalAck(evalId, token);
  }

  nack(evalId: string, token: string): Promise<void> {
    return this.api.evalNack(evalId, token);
  }

  submitPlan(plan: Plan): Promise<PlanResult> {
    return this.api.planSubmit(plan);
  }

  collectGarbage(request: GcRequest, evalId: string, token: string): Promise<number> {
    return this.api.gcCommit(request, evalId, token);
  }

  upsertEvals(evals: Evaluation[], token: string): Promise<number> {
    return this.api.evalUpsert(evals, token, false);
  }
}
