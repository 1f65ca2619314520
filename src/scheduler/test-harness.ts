/**
 * The scenario harness for scheduler tests (Nomad's scheduler Harness): a REAL state store
 * populated through its commands, a recording planner that verifies each plan node by node with
 * `allocsFit` (as the leader's plan applier does), commits what fits through the store's
 * plan-apply command, and remembers every plan and result for assertions.
 */
import type { AllocClientUpdate, Command, ResultOf } from "../fsm/commands.js";
import { makeEvaluation } from "../fsm/evaluation.js";
import type { StateReader } from "../fsm/state-reader.js";
import { StateStore } from "../fsm/state-store.js";
import type {
  Allocation,
  DrainStrategy,
  Evaluation,
  Job,
  Node,
  Plan,
  SchedulerConfiguration,
} from "../fsm/structs.js";
import { DEFAULT_SCHEDULER_CONFIGURATION } from "../fsm/structs.js";
import { allocsFit, proposedNodeAllocs } from "./fit.js";
import { schedule } from "./index.js";
import type { ScheduleResult } from "./schedule-types.js";

export interface ProcessOptions {
  seed?: number;
  /** Commit the plan (default true). */
  apply?: boolean;
  /** Reject these nodes' parts of the plan, as a plan applier facing a conflicting plan would. */
  rejectNodes?: readonly string[];
}

export interface Submission {
  plan: Plan;
  rejectedNodes: string[];
}

export class SchedulerHarness {
  readonly store = new StateStore();
  private index = 0;
  readonly submissions: Submission[] = [];
  readonly results: ScheduleResult[] = [];
  /** Scheduling time in ns; tests move it forward. */
  now = 1_000_000e9;

  apply<C extends Command>(command: C): ResultOf<C> {
    this.index++;
    return this.store.apply(this.index, command);
  }

  snapshot(): StateReader {
    return this.store.snapshot();
  }

  registerNodes(...nodes: Node[]): void {
    this.apply({ type: "node-register", Nodes: nodes, Evals: [] });
  }

  /** Registers the job and returns it as stored (with its version and indexes). */
  registerJob(job: Job): Job {
    this.apply({ type: "job-register", Job: job, Eval: null });
    return this.storedJob(job);
  }

  /** Deregisters the job without purging it and returns it as stored (stopped). */
  stopJob(job: Job): Job {
    this.deregister(job, false);
    return this.storedJob(job);
  }

  /** Deregisters the job and removes it from the state. */
  purgeJob(job: Job): void {
    this.deregister(job, true);
  }

  private storedJob(job: Job): Job {
    const stored = this.snapshot().jobByID(job.Namespace, job.ID);
    if (stored === undefined) throw new Error(`job ${job.ID} not stored`);
    return stored;
  }

  private deregister(job: Job, purge: boolean): void {
    this.apply({
      type: "job-deregister",
      Namespace: job.Namespace,
      JobID: job.ID,
      Purge: purge,
      SubmitTime: this.now,
      Eval: null,
    });
  }

  setSchedulerConfig(config: Partial<SchedulerConfiguration>): void {
    this.apply({
      type: "scheduler-config",
      Config: { ...DEFAULT_SCHEDULER_CONFIGURATION, ...config },
      CAS: null,
    });
  }

  /** An eval for the job as the job endpoint would create it, stored so that plans can reference it. */
  evalFor(job: Job, overrides: Partial<Evaluation> = {}): Evaluation {
    const evaluation = makeEvaluation(
      {
        ID: `eval-${this.index + 1}-${job.ID}`,
        Namespace: job.Namespace,
        Priority: job.Priority,
        Type: job.Type,
        TriggeredBy: "job-register",
        JobID: job.ID,
        JobModifyIndex: job.JobModifyIndex,
        ...overrides,
      },
      this.now,
    );
    this.apply({ type: "eval-upsert", Evals: [evaluation] });
    return evaluation;
  }

  /** Runs the scheduler on a fresh snapshot and (by default) commits the plan as the applier would. */
  process(evaluation: Evaluation, options: ProcessOptions = {}): ScheduleResult {
    const result = schedule(this.snapshot(), evaluation, { now: this.now, seed: options.seed ?? 42 });
    this.results.push(result);
    if (options.apply ?? true) this.commit(result, options.rejectNodes ?? []);
    return result;
  }

  /** Verifies the plan per node against the latest state and commits the nodes that fit. */
  commit(result: ScheduleResult, rejectNodes: readonly string[] = []): string[] {
    const rejected: string[] = [];
    if (result.plan !== null) {
      const plan = result.plan;
      const reader = this.snapshot();
      const nodes = new Set([...Object.keys(plan.NodeAllocation), ...Object.keys(plan.NodeUpdate)]);
      const accepted: Plan = { ...plan, NodeUpdate: {}, NodeAllocation: {}, NodePreemptions: {} };
      for (const nodeId of nodes) {
        const node = reader.nodeByID(nodeId);
        const placing = (plan.NodeAllocation[nodeId] ?? []).length > 0;
        const fits =
          node === undefined
            ? !placing
            : allocsFit(node, proposedNodeAllocs(reader.allocsByNode(nodeId), plan, nodeId)).fit;
        if (!fits || rejectNodes.includes(nodeId)) {
          rejected.push(nodeId);
          continue;
        }
        if (plan.NodeUpdate[nodeId] !== undefined) accepted.NodeUpdate[nodeId] = plan.NodeUpdate[nodeId];
        if (plan.NodeAllocation[nodeId] !== undefined)
          accepted.NodeAllocation[nodeId] = plan.NodeAllocation[nodeId];
        if (plan.NodePreemptions[nodeId] !== undefined) {
          accepted.NodePreemptions[nodeId] = plan.NodePreemptions[nodeId];
        }
      }
      this.submissions.push({ plan, rejectedNodes: rejected });
      this.apply({
        type: "plan-apply",
        EvalID: plan.EvalID,
        NodeUpdate: accepted.NodeUpdate,
        NodeAllocation: accepted.NodeAllocation,
        NodePreemptions: accepted.NodePreemptions,
        Deployment: plan.Deployment,
        DeploymentUpdates: plan.DeploymentUpdates,
        Evals: result.createEvals,
        Now: this.now,
      });
    } else if (result.createEvals.length > 0) {
      this.apply({ type: "eval-upsert", Evals: result.createEvals });
    }
    this.apply({ type: "eval-upsert", Evals: [result.eval] });
    return rejected;
  }

  allocs(job: Job): readonly Allocation[] {
    return this.snapshot().allocsByJob(job.Namespace, job.ID);
  }

  /** Allocations the servers want running (desired run, not ended by the client). */
  liveAllocs(job: Job): Allocation[] {
    return this.allocs(job).filter(
      (a) =>
        a.DesiredStatus === "run" &&
        a.ClientStatus !== "complete" &&
        a.ClientStatus !== "failed" &&
        a.ClientStatus !== "lost",
    );
  }

  /** Reports client statuses (and optionally deployment health) for allocations. */
  clientUpdate(allocs: readonly Allocation[], change: Partial<AllocClientUpdate>): void {
    this.apply({
      type: "alloc-client-update",
      Allocs: allocs.map((a) => ({
        ID: a.ID,
        ClientStatus: a.ClientStatus,
        ClientDescription: "",
        TaskStates: a.TaskStates,
        DeploymentStatus: null,
        ModifyTime: this.now,
        ...change,
      })),
      Evals: [],
    });
  }

  /** Starts (or, with null, ends) a drain of the node. */
  drainNode(nodeId: string, strategy: DrainStrategy | null, markEligible = false): void {
    this.apply({
      type: "node-drain",
      Updates: [
        {
          NodeID: nodeId,
          DrainStrategy: strategy,
          MarkEligible: markEligible,
          UpdatedAt: this.now,
          Event: null,
          IfDrainStartedAt: null,
        },
      ],
      Evals: [],
    });
  }

  /** Marks the allocations for migration, as the drainer does for a draining node's allocations. */
  markForMigration(allocs: readonly Allocation[]): void {
    const transitions = Object.fromEntries(
      allocs.map((a) => [a.ID, { Migrate: true, Reschedule: false, ForceReschedule: false }]),
    );
    this.apply({ type: "alloc-desired-transition", Transitions: transitions, Evals: [] });
  }

  setNodeStatus(nodeId: string, status: Node["Status"]): void {
    this.apply({
      type: "node-status",
      Updates: [{ NodeID: nodeId, Status: status, StatusDescription: "", UpdatedAt: this.now }],
      Evals: [],
    });
  }
}
