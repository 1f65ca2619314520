import { unreachable } from "../common/assert.js";
import {
  applyAclBootstrap,
  applyAclPolicyDelete,
  applyAclPolicyUpsert,
  applyAclTokenDelete,
  applyAclTokenUpsert,
} from "./apply-acl.js";
import { applyAllocClientUpdate, applyAllocDesiredTransition } from "./apply-alloc.js";
import {
  applyDeploymentAllocHealth,
  applyDeploymentPromote,
  applyDeploymentStatus,
} from "./apply-deployment.js";
import { upsertEvals } from "./apply-eval.js";
import { applyGcDelete } from "./apply-gc.js";
import { applyJobDeregister, applyJobRegister, applyJobStability } from "./apply-job.js";
import { applyNamespaceDelete, applyNamespaceUpsert } from "./apply-namespace.js";
import {
  applyNodeDeregister,
  applyNodeDrain,
  applyNodeEligibility,
  applyNodeRegister,
  applyNodeStatus,
} from "./apply-node.js";
import { applyPlan } from "./apply-plan.js";
import { applySchedulerConfig } from "./apply-scheduler-config.js";
import { applySnapshotRestore } from "./apply-snapshot-restore.js";
import { applyVarDelete, applyVarPut } from "./apply-variable.js";
import type { Command, CommandResult } from "./commands.js";
import { settleJobStatuses } from "./job-status.js";
import type { StateTxn } from "./state-txn.js";

const NONE: ReadonlySet<string> = new Set();

/**
 * Applies one command to a transaction: an exhaustive switch over the command union (so that a
 * new command fails to compile until it is handled here), then the job statuses the command may
 * have changed. Pure: the transaction and the command are all it reads. Throws
 * CommandRejectedError subclasses for commands that cannot apply; the caller then drops the
 * transaction, so nothing of a rejected command is kept.
 */
export function applyCommand(txn: StateTxn, command: Command): CommandResult {
  let evalsDeletedJobs = NONE;
  let result: CommandResult;
  switch (command.type) {
    case "job-register":
      result = applyJobRegister(txn, command);
      break;
    case "job-deregister":
      result = applyJobDeregister(txn, command);
      break;
    case "eval-upsert":
      upsertEvals(txn, command.Evals);
      result = { Index: txn.index };
      break;
    case "eval-delete":
    case "gc-delete": {
      const gc = applyGcDelete(txn, command);
      evalsDeletedJobs = gc.evalsDeletedJobs;
      result = gc.result;
      break;
    }
    case "plan-apply":
      result = applyPlan(txn, command);
      break;
    case "node-register":
      result = applyNodeRegister(txn, command);
      break;
    case "node-deregister":
      result = applyNodeDeregister(txn, command);
      break;
    case "node-status":
      result = applyNodeStatus(txn, command);
      break;
    case "node-drain":
      result = applyNodeDrain(txn, command);
      break;
    case "node-eligibility":
      result = applyNodeEligibility(txn, command);
      break;
    case "alloc-client-update":
      result = applyAllocClientUpdate(txn, command);
      break;
    case "alloc-desired-transition":
      result = applyAllocDesiredTransition(txn, command);
      break;
    case "deployment-status":
      result = applyDeploymentStatus(txn, command);
      break;
    case "deployment-promote":
      result = applyDeploymentPromote(txn, command);
      break;
    case "deployment-alloc-health":
      result = applyDeploymentAllocHealth(txn, command);
      break;
    case "scheduler-config":
      result = applySchedulerConfig(txn, command);
      break;
    case "job-stability":
      result = applyJobStability(txn, command);
      break;
    case "var-put":
      result = applyVarPut(txn, command);
      break;
    case "var-delete":
      result = applyVarDelete(txn, command);
      break;
    case "namespace-upsert":
      result = applyNamespaceUpsert(txn, command);
      break;
    case "namespace-delete":
      result = applyNamespaceDelete(txn, command);
      break;
    case "acl-policy-upsert":
      result = applyAclPolicyUpsert(txn, command);
      break;
    case "acl-policy-delete":
      result = applyAclPolicyDelete(txn, command);
      break;
    case "acl-token-upsert":
      result = applyAclTokenUpsert(txn, command);
      break;
    case "acl-token-delete":
      result = applyAclTokenDelete(txn, command);
      break;
    case "acl-bootstrap":
      result = applyAclBootstrap(txn, command);
      break;
    case "snapshot-restore":
      result = applySnapshotRestore(txn, command);
      break;
    default:
      return unreachable(command, "command");
  }
  settleJobStatuses(txn, evalsDeletedJobs);
  return result;
}
