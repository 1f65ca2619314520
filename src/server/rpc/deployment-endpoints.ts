import { NotFoundError, ValidationError } from "../../common/errors.js";
import type { Command, DeploymentStatusCommand } from "../../fsm/commands.js";
import type { Deployment, Evaluation, Job, StateReader } from "../../fsm/index.js";
import type {
  DeploymentAction,
  EvalWriteResult,
  QueryOptions,
  QueryResult,
  ServerApi,
} from "../../rpc/server-api.js";
import { jobEvaluation } from "../new-evaluation.js";
import { type EndpointContext, matchesQuery } from "./endpoint-context.js";

type DeploymentApi = Pick<ServerApi, "deploymentList" | "deploymentGet" | "deploymentUpdate">;

/** Nomad's descriptions of an operator's deployment changes (structs.DeploymentStatusDescription*). */
export const DEPLOYMENT_FAILED_BY_USER = "Deployment marked as failed";
export const DEPLOYMENT_PAUSED = "Deployment is paused";
export const DEPLOYMENT_RUNNING = "Deployment is running";

const TERMINAL: ReadonlySet<Deployment["Status"]> = new Set(["failed", "successful", "cancelled"]);

/** Newest first: the order `deployment list` and `job deployments` show. */
export function byNewest(a: Deployment, b: Deployment): number {
  return b.CreateIndex - a.CreateIndex;
}

/**
 * The deployment endpoints (Nomad's deployment_endpoint.go): the reads, and the operator's
 * changes to a running deployment. The changes are the FSM commands the deployment watcher
 * proposes itself (deployment-promote, deployment-status, deployment-alloc-health), each with an
 * eval that lets the scheduler act on it; what would make the FSM refuse the command is checked
 * here first, so that the caller gets a 400/404 with the reason rather than a fault.
 */
export class DeploymentEndpoints implements DeploymentApi {
  constructor(private readonly c: EndpointContext) {}

  deploymentList(query: QueryOptions): Promise<QueryResult<Deployment[]>> {
    return this.c.read(
      query,
      ["deployments"],
      (s) => [...s.deployments()].filter((d) => matchesQuery(d.Namespace, d.ID, query)).sort(byNewest),
      (c) => c.deploymentList(query),
    );
  }

  deploymentGet(id: string, query: QueryOptions): Promise<QueryResult<Deployment | undefined>> {
    return this.c.read(
      query,
      ["deployments"],
      (s) => s.deploymentByID(id),
      (c) => c.deploymentGet(id, query),
    );
  }

  deploymentUpdate(deploymentId: string, change: DeploymentAction): Promise<EvalWriteResult> {
    checkAction(change);
    return this.c.write(
      async () => {
        this.c.leaderDuties();
        const state = this.c.state();
        const deployment = state.deploymentByID(deploymentId);
        if (deployment === undefined) throw new NotFoundError(`deployment ${deploymentId} not found`);
        const job = state.jobByID(deployment.Namespace, deployment.JobID);
        if (job === undefined) {
          throw new NotFoundError(`job ${deployment.JobID} of deployment ${deploymentId} not found`);
        }
        if (TERMINAL.has(deployment.Status)) {
          throw new ValidationError(
            `deployment ${deploymentId} has terminal status ${JSON.stringify(deployment.Status)}`,
          );
        }
        const command = this.commandFor(change, deployment, job, state);
        const { index } = await this.c.propose(command);
        const evaluation = evalOf(command);
        return {
          evalId: evaluation?.ID ?? "",
          evalCreateIndex: evaluation === null ? 0 : index,
          modifyIndex: index,
          index,
        };
      },
      (c) => c.deploymentUpdate(deploymentId, change),
    );
  }

  private commandFor(
    change: DeploymentAction,
    deployment: Deployment,
    job: Job,
    state: StateReader,
  ): Command {
    const now = this.c.now();
    const evaluation = jobEvaluation(job, "deployment-watcher", now, {
      JobModifyIndex: job.JobModifyIndex,
      DeploymentID: deployment.ID,
    });
    switch (change.action) {
      case "promote":
        checkPromotion(deployment, change.all, change.groups, state);
        return {
          type: "deployment-promote",
          DeploymentID: deployment.ID,
          All: change.all,
          Groups: change.groups,
          Eval: evaluation,
        };
      case "fail":
        return failCommand(deployment, job, state, now, evaluation);
      case "pause":
      case "resume": {
        const pause = change.action === "pause";
        const update: DeploymentStatusCommand = {
          type: "deployment-status",
          Update: {
            DeploymentID: deployment.ID,
            Status: pause ? "paused" : "running",
            StatusDescription: pause ? DEPLOYMENT_PAUSED : DEPLOYMENT_RUNNING,
          },
          Job: null,
          // Nomad: only resuming needs the scheduler (to place what the pause held back).
          Eval: pause ? null : evaluation,
        };
        return update;
      }
      case "alloc-health":
        for (const id of [...change.healthy, ...change.unhealthy]) {
          const alloc = state.allocByID(id);
          if (alloc === undefined) throw new NotFoundError(`allocation ${id} not found`);
          if (alloc.DeploymentID !== deployment.ID) {
            throw new ValidationError(`allocation ${id} is not part of deployment ${deployment.ID}`);
          }
        }
        return {
          type: "deployment-alloc-health",
          DeploymentID: deployment.ID,
          HealthyAllocationIDs: change.healthy,
          UnhealthyAllocationIDs: change.unhealthy,
          Timestamp: now,
          DeploymentUpdate: null,
          Job: null,
          Eval: evaluation,
        };
    }
  }
}

function evalOf(command: Command): Evaluation | null {
  switch (command.type) {
    case "deployment-promote":
    case "deployment-status":
    case "deployment-alloc-health":
      return command.Eval;
    default:
      return null;
  }
}

function checkAction(change: DeploymentAction): void {
  if (change.action === "promote" && !change.all && change.groups.length === 0) {
    throw new ValidationError("give All or at least one task group to promote", "promote");
  }
  if (change.action === "alloc-health" && change.healthy.length + change.unhealthy.length === 0) {
    throw new ValidationError("give at least one healthy or unhealthy allocation ID", "allocation-health");
  }
}

/**
 * What the FSM's promote checks (apply-deployment.ts), asked first: every named group exists,
 * something is left to promote, and each group to promote has all its canaries healthy.
 */
function checkPromotion(
  deployment: Deployment,
  all: boolean,
  groups: readonly string[],
  state: StateReader,
): void {
  for (const name of groups) {
    if (!Object.hasOwn(deployment.TaskGroups, name)) {
      throw new ValidationError(`deployment ${deployment.ID} has no task group ${JSON.stringify(name)}`);
    }
  }
  let promotable = 0;
  for (const [name, group] of Object.entries(deployment.TaskGroups)) {
    if (!all && !groups.includes(name)) continue;
    if (group.DesiredCanaries === 0 || group.Promoted) continue;
    const healthy = group.PlacedCanaries.filter(
      (id) => state.allocByID(id)?.DeploymentStatus?.Healthy === true,
    ).length;
    if (healthy < group.DesiredCanaries) {
      throw new ValidationError(
        `task group ${JSON.stringify(name)} has ${healthy} of ${group.DesiredCanaries} canaries healthy; promote once they all are`,
      );
    }
    promotable++;
  }
  if (promotable === 0) throw new ValidationError(`deployment ${deployment.ID} has no canaries to promote`);
}

/**
 * Nomad's Deployment.Fail: the deployment fails; when a group asks for auto_revert, the job goes
 * back to its latest stable version before this one, as the deployment watcher does.
 */
function failCommand(
  deployment: Deployment,
  job: Job,
  state: StateReader,
  now: number,
  evaluation: Evaluation,
): DeploymentStatusCommand {
  const autoRevert = Object.values(deployment.TaskGroups).some((g) => g.AutoRevert);
  const stable = autoRevert
    ? state.jobVersions(job.Namespace, job.ID).find((v) => v.Stable && v.Version < deployment.JobVersion)
    : undefined;
  return {
    type: "deployment-status",
    Update: {
      DeploymentID: deployment.ID,
      Status: "failed",
      StatusDescription:
        stable === undefined
          ? DEPLOYMENT_FAILED_BY_USER
          : `${DEPLOYMENT_FAILED_BY_USER} - rolling back to job version ${stable.Version}`,
    },
    Job: stable === undefined ? null : { ...stable, Stop: false, SubmitTime: now },
    Eval: evaluation,
  };
}
