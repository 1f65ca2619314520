import type { Command, DeploymentPromoteCommand, DeploymentStatusCommand } from "../fsm/commands.js";
import type { StateReader } from "../fsm/state-reader.js";
import type { Deployment, Job } from "../fsm/structs.js";
import type { CancelTimer } from "./clock.js";
import type { ServerContext } from "./context.js";
import { jobEvaluation } from "./new-evaluation.js";

export const DEPLOYMENT_FAILED_UNHEALTHY = "Failed due to unhealthy allocations";
export const DEPLOYMENT_FAILED_DEADLINE = "Failed due to progress deadline";
export const DEPLOYMENT_SUCCESSFUL = "Deployment completed successfully";

interface Watched {
  /** Healthy allocations seen last time, summed over groups: growth is progress. */
  healthy: number;
  /** Unix ns by which the deployment must make progress (0 = no deadline). */
  deadline: number;
  cancelDeadline: CancelTimer;
  /** A decision for it is being committed; don't decide again until it lands. */
  busy: boolean;
}

const ACTIVE: ReadonlySet<Deployment["Status"]> = new Set(["running"]);

/**
 * The leader's deployment watcher (Nomad's deploymentwatcher, reduced to its decisions): for each
 * running deployment it follows allocation health and the progress deadline and
 * - fails the deployment when an allocation is unhealthy or no progress was made by the deadline,
 *   rolling the job back to its latest stable version when the group asks for auto_revert;
 * - auto-promotes canaries once they are all healthy, when every canary group has auto_promote;
 * - creates an eval (trigger deployment-watcher) whenever allocations became healthy, so that the
 *   scheduler places the next batch of a rolling update;
 * - marks the deployment successful once every group has its desired healthy allocations (and its
 *   canaries promoted), which makes the job version stable.
 * Health verdicts themselves come from clients (alloc-client-update DeploymentStatus) or the
 * operator (deployment-alloc-health), as in Nomad.
 */
export class DeploymentWatcher {
  private enabled = false;
  private readonly watched = new Map<string, Watched>();
  private dirty = new Set<string>();
  private flushScheduled = false;

  constructor(private readonly ctx: ServerContext) {}

  setEnabled(enabled: boolean): void {
    this.enabled = enabled;
    for (const w of this.watched.values()) w.cancelDeadline();
    this.watched.clear();
    this.dirty.clear();
    if (!enabled) return;
    for (const d of this.ctx.state().deployments()) if (ACTIVE.has(d.Status)) this.touch(d.ID);
  }

  /** Deployments currently followed. */
  get active(): number {
    return this.watched.size;
  }

  /** The leader's applied-command hook: notes the deployments a command may have moved. */
  applied(command: Command, state: StateReader): void {
    if (!this.enabled) return;
    for (const id of touchedDeployments(command, state)) this.touch(id);
  }

  private touch(deploymentId: string): void {
    this.dirty.add(deploymentId);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // Decide once per burst of commands, not once per command.
    setImmediate(() => {
      this.flushScheduled = false;
      const ids = this.dirty;
      this.dirty = new Set();
      for (const id of ids) this.evaluate(id);
    });
  }

  private evaluate(deploymentId: string): void {
    if (!this.enabled) return;
    const state = this.ctx.state();
    const deployment = state.deploymentByID(deploymentId);
    const job = deployment === undefined ? undefined : state.jobByID(deployment.Namespace, deployment.JobID);
    const known = this.watched.get(deploymentId);
    if (deployment === undefined || job === undefined || !ACTIVE.has(deployment.Status)) {
      known?.cancelDeadline();
      this.watched.delete(deploymentId);
      return;
    }
    const now = this.ctx.clock.now();
    const groups = Object.values(deployment.TaskGroups);
    const healthy = groups.reduce((sum, g) => sum + g.HealthyAllocs, 0);
    const watched: Watched = known ?? { healthy: 0, deadline: 0, cancelDeadline: () => {}, busy: false };
    this.watched.set(deploymentId, watched);
    if (watched.busy) return;
    const progressed = healthy > watched.healthy;
    watched.healthy = healthy;
    this.armDeadline(deployment, watched, now, progressed || known === undefined);

    if (groups.some((g) => g.UnhealthyAllocs > 0)) {
      this.fail(deployment, job, state, DEPLOYMENT_FAILED_UNHEALTHY, watched);
    } else if (watched.deadline > 0 && now >= watched.deadline) {
      this.fail(deployment, job, state, DEPLOYMENT_FAILED_DEADLINE, watched);
    } else if (
      groups.every((g) => g.HealthyAllocs >= g.DesiredTotal && (g.DesiredCanaries === 0 || g.Promoted))
    ) {
      this.commit(
        deployment.ID,
        watched,
        this.statusCommand(deployment, job, "successful", DEPLOYMENT_SUCCESSFUL, null),
      );
    } else if (canAutoPromote(deployment)) {
      const promote: DeploymentPromoteCommand = {
        type: "deployment-promote",
        DeploymentID: deployment.ID,
        All: true,
        Groups: [],
        Eval: this.jobEval(job, deployment.ID),
      };
      this.commit(deployment.ID, watched, promote);
    } else if (progressed) {
      this.commit(deployment.ID, watched, {
        type: "eval-upsert",
        Evals: [this.jobEval(job, deployment.ID)],
      });
    }
  }

  /**
   * The progress deadline (Nomad's progress_deadline): it starts with the deployment and moves
   * forward whenever allocations become healthy; the earliest group deadline counts.
   */
  private armDeadline(deployment: Deployment, watched: Watched, now: number, reset: boolean): void {
    if (!reset) return;
    let deadline = 0;
    for (const g of Object.values(deployment.TaskGroups)) {
      if (g.HealthyAllocs >= g.DesiredTotal) continue;
      const fromDeployment = g.RequireProgressBy;
      const fromProgress = g.ProgressDeadline > 0 && watched.healthy > 0 ? now + g.ProgressDeadline : 0;
      const groupDeadline = Math.max(fromDeployment, fromProgress);
      if (groupDeadline > 0 && (deadline === 0 || groupDeadline < deadline)) deadline = groupDeadline;
    }
    watched.cancelDeadline();
    watched.deadline = deadline;
    watched.cancelDeadline = () => {};
    if (deadline === 0) return;
    const waitMs = Math.max(0, (deadline - now) / 1e6);
    watched.cancelDeadline = this.ctx.clock.setTimeout(() => this.touch(deployment.ID), waitMs);
  }

  private fail(deployment: Deployment, job: Job, state: StateReader, why: string, watched: Watched): void {
    const autoRevert = Object.values(deployment.TaskGroups).some((g) => g.AutoRevert);
    const stable = autoRevert
      ? state.jobVersions(job.Namespace, job.ID).find((v) => v.Stable && v.Version < deployment.JobVersion)
      : undefined;
    if (stable === undefined) {
      this.commit(deployment.ID, watched, this.statusCommand(deployment, job, "failed", why, null));
      return;
    }
    const revert: Job = { ...stable, Stop: false, SubmitTime: this.ctx.clock.now() };
    this.commit(
      deployment.ID,
      watched,
      this.statusCommand(
        deployment,
        job,
        "failed",
        `${why} - rolling back to job version ${stable.Version}`,
        revert,
      ),
    );
  }

  private statusCommand(
    deployment: Deployment,
    job: Job,
    status: "failed" | "successful",
    description: string,
    revert: Job | null,
  ): DeploymentStatusCommand {
    return {
      type: "deployment-status",
      Update: { DeploymentID: deployment.ID, Status: status, StatusDescription: description },
      Job: revert,
      Eval: this.jobEval(job, deployment.ID),
    };
  }

  private jobEval(job: Job, deploymentId: string) {
    return jobEvaluation(job, "deployment-watcher", this.ctx.clock.now(), {
      JobModifyIndex: job.JobModifyIndex,
      DeploymentID: deploymentId,
    });
  }

  private commit(deploymentId: string, watched: Watched, command: Command): void {
    watched.busy = true;
    const done = (): void => {
      watched.busy = false;
      // Health may have moved while this decision was in flight: look again.
      if (this.enabled) this.touch(deploymentId);
    };
    this.ctx.propose(command).then(done, (error: unknown) => {
      this.ctx.logger.warn({ err: error, command: command.type }, "deployment watcher could not commit");
      done();
    });
  }
}

/** Every group with canaries has them all healthy, unpromoted, and asks for auto_promote. */
function canAutoPromote(deployment: Deployment): boolean {
  const canaryGroups = Object.values(deployment.TaskGroups).filter((g) => g.DesiredCanaries > 0);
  if (canaryGroups.length === 0) return false;
  return canaryGroups.every(
    (g) =>
      g.AutoPromote &&
      !g.Promoted &&
      g.PlacedCanaries.length >= g.DesiredCanaries &&
      g.HealthyAllocs >= g.DesiredCanaries,
  );
}

/** The deployments an applied command may have changed. */
function touchedDeployments(command: Command, state: StateReader): string[] {
  switch (command.type) {
    case "plan-apply": {
      const ids = new Set<string>();
      if (command.Deployment !== null) ids.add(command.Deployment.ID);
      for (const u of command.DeploymentUpdates) ids.add(u.DeploymentID);
      for (const allocs of Object.values(command.NodeAllocation)) {
        for (const alloc of allocs) if (alloc.DeploymentID !== "") ids.add(alloc.DeploymentID);
      }
      return [...ids];
    }
    case "alloc-client-update": {
      const ids = new Set<string>();
      for (const update of command.Allocs) {
        if (update.DeploymentStatus === null) continue;
        const alloc = state.allocByID(update.ID);
        if (alloc !== undefined && alloc.DeploymentID !== "") ids.add(alloc.DeploymentID);
      }
      return [...ids];
    }
    case "deployment-status":
      return [command.Update.DeploymentID];
    case "deployment-promote":
    case "deployment-alloc-health":
      return [command.DeploymentID];
    default:
      return [];
  }
}
