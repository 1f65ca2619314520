import type { Evaluation, Plan, PlanResult, SchedulerType } from "../fsm/structs.js";
import type { GcRequest } from "../scheduler/schedule-types.js";

/** An eval handed to a worker: the eval, the token that proves the delivery, and the state index
 * the worker's local FSM must reach before it schedules (so it sees the job and earlier plans). */
export interface WorkItem {
  readonly eval: Evaluation;
  readonly token: string;
  readonly waitIndex: number;
}

/**
 * The leader's eval broker as a worker reaches it: in-process on the leader (LocalLeaderClient),
 * over gRPC from a follower (the agent's client). Implementations never fail a dequeue because
 * there is no leader right now: they wait and answer null at the timeout.
 */
export interface BrokerClient {
  dequeue(
    schedulers: readonly SchedulerType[],
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<WorkItem | null>;
  ack(evalId: string, token: string): Promise<void>;
  nack(evalId: string, token: string): Promise<void>;
}

/** The leader's plan queue and eval writes as a worker reaches them. */
export interface PlanSubmitter {
  /** Queues the plan (its EvalToken set) and resolves with what the applier committed. */
  submitPlan(plan: Plan): Promise<PlanResult>;
  /**
   * Upserts the eval's update and the evals the scheduler created (blocked, follow-ups) for the
   * worker holding `token`; resolves with the Raft index of the write.
   */
  upsertEvals(evals: Evaluation[], token: string): Promise<number>;
  /**
   * Commits what a core (GC) eval found to delete (the fsm's gc-delete command) for the worker
   * holding `token` for core eval `evalId`; resolves with the Raft index.
   */
  collectGarbage(request: GcRequest, evalId: string, token: string): Promise<number>;
}
