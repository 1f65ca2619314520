import { unreachable } from "../common/assert.js";
import type { Command } from "../fsm/commands.js";
import type { StateReader } from "../fsm/state-reader.js";
import { allocClientTerminal } from "../fsm/structs.js";

/** What an applied command means for the leader's duties. */
export interface CommandEffects {
  /** Evals the command wrote (look them up in state: pending → broker, blocked → blocked evals). */
  evalIds: string[];
  /** Nodes where capacity may have appeared (ready/eligible again, allocations ended or stopped). */
  capacityNodeIds: string[];
  /** Jobs registered or updated (periodic jobs are (re)tracked). */
  registeredJobs: Array<{ namespace: string; id: string }>;
  /** Jobs stopped or purged (untracked from periodic launches and blocked evals). */
  deregisteredJobs: Array<{ namespace: string; id: string }>;
  /** Nodes that no longer need a heartbeat timer (deregistered or down). */
  forgottenNodeIds: string[];
}

/**
 * Reads an applied command (with the state right after it) for the leader: the FSM's apply stays
 * pure, and this is where the leader learns what to enqueue, block, unblock and track — Nomad does
 * the same in its FSM hooks into the eval broker and blocked evals.
 */
export function commandEffects(command: Command, state: StateReader): CommandEffects {
  const effects: CommandEffects = {
    evalIds: [],
    capacityNodeIds: [],
    registeredJobs: [],
    deregisteredJobs: [],
    forgottenNodeIds: [],
  };
  switch (command.type) {
    case "job-register":
      if (command.Eval !== null) effects.evalIds.push(command.Eval.ID);
      effects.registeredJobs.push({ namespace: command.Job.Namespace, id: command.Job.ID });
      break;
    case "job-deregister":
      if (command.Eval !== null) effects.evalIds.push(command.Eval.ID);
      effects.deregisteredJobs.push({ namespace: command.Namespace, id: command.JobID });
      break;
    case "eval-upsert":
      for (const e of command.Evals) effects.evalIds.push(e.ID);
      break;
    case "plan-apply":
      for (const e of command.Evals) effects.evalIds.push(e.ID);
      effects.capacityNodeIds.push(
        ...Object.keys(command.NodeUpdate),
        ...Object.keys(command.NodePreemptions),
      );
      break;
    case "node-register":
      for (const e of command.Evals) effects.evalIds.push(e.ID);
      for (const node of command.Nodes) effects.capacityNodeIds.push(node.ID);
      break;
    case "node-deregister":
      for (const e of command.Evals) effects.evalIds.push(e.ID);
      effects.forgottenNodeIds.push(...command.NodeIDs);
      break;
    case "node-status":
      for (const e of command.Evals) effects.evalIds.push(e.ID);
      for (const u of command.Updates) {
        if (u.Status === "ready") effects.capacityNodeIds.push(u.NodeID);
        if (u.Status === "down") effects.forgottenNodeIds.push(u.NodeID);
      }
      break;
    case "node-drain":
      for (const e of command.Evals) effects.evalIds.push(e.ID);
      for (const u of command.Updates) if (u.DrainStrategy === null) effects.capacityNodeIds.push(u.NodeID);
      break;
    case "node-eligibility":
      for (const e of command.Evals) effects.evalIds.push(e.ID);
      for (const u of command.Updates)
        if (u.Eligibility === "eligible") effects.capacityNodeIds.push(u.NodeID);
      break;
    case "alloc-client-update":
      for (const e of command.Evals) effects.evalIds.push(e.ID);
      for (const update of command.Allocs) {
        if (!allocClientTerminal(update)) continue;
        const alloc = state.allocByID(update.ID);
        if (alloc !== undefined) effects.capacityNodeIds.push(alloc.NodeID);
      }
      break;
    case "alloc-desired-transition":
      for (const e of command.Evals) effects.evalIds.push(e.ID);
      break;
    case "deployment-status":
    case "deployment-alloc-health":
      if (command.Eval !== null) effects.evalIds.push(command.Eval.ID);
      if (command.Job !== null)
        effects.registeredJobs.push({ namespace: command.Job.Namespace, id: command.Job.ID });
      break;
    case "deployment-promote":
      if (command.Eval !== null) effects.evalIds.push(command.Eval.ID);
      break;
    case "gc-delete":
      effects.forgottenNodeIds.push(...command.NodeIDs);
      for (const job of command.Jobs) effects.deregisteredJobs.push({ namespace: job.Namespace, id: job.ID });
      break;
    case "eval-delete":
    case "scheduler-config":
    case "job-stability":
    case "var-put":
    case "var-delete":
    case "namespace-upsert":
    case "namespace-delete":
    case "acl-policy-upsert":
    case "acl-policy-delete":
    case "acl-token-upsert":
    case "acl-token-delete":
    case "acl-bootstrap":
    // The leader re-establishes its duties from the restored state (ServerAgent).
    case "snapshot-restore":
      break;
    default:
      unreachable(command, "command");
  }
  return effects;
}
