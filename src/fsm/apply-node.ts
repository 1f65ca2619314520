import { upsertEvals } from "./apply-eval.js";
import type {
  IndexResult,
  NodeDeregisterCommand,
  NodeDrainCommand,
  NodeEligibilityCommand,
  NodeRegisterCommand,
  NodeStatusCommand,
} from "./commands.js";
import { InvalidCommandError } from "./errors.js";
import type { StateTxn } from "./state-txn.js";
import { MAX_RETAINED_NODE_EVENTS, type Node, type NodeEvent } from "./structs.js";

/**
 * Node registration (Nomad upsertNodeTxn): a re-registering node keeps what the servers decided
 * about it (drain strategy, eligibility) — the client is not the authority on those.
 */
export function applyNodeRegister(txn: StateTxn, command: NodeRegisterCommand): IndexResult {
  for (const node of command.Nodes) {
    if (typeof node.ID !== "string" || node.ID === "") throw new InvalidCommandError("node without an ID");
    if (typeof node.ComputedClass !== "string")
      throw new InvalidCommandError(`node ${node.ID}: ComputedClass missing`);
    const existing = txn.node(node.ID);
    txn.putNode({
      ...node,
      DrainStrategy: existing?.DrainStrategy ?? node.DrainStrategy,
      SchedulingEligibility: existing?.SchedulingEligibility ?? node.SchedulingEligibility,
      Events: existing === undefined ? nodeEvents(node) : nodeEvents(existing),
      CreateIndex: existing?.CreateIndex ?? txn.index,
      ModifyIndex: txn.index,
    });
  }
  upsertEvals(txn, command.Evals);
  return { Index: txn.index };
}

export function applyNodeDeregister(txn: StateTxn, command: NodeDeregisterCommand): IndexResult {
  for (const id of command.NodeIDs) {
    requireNode(txn, id);
    txn.deleteNode(id);
  }
  upsertEvals(txn, command.Evals);
  return { Index: txn.index };
}

export function applyNodeStatus(txn: StateTxn, command: NodeStatusCommand): IndexResult {
  for (const update of command.Updates) {
    const node = requireNode(txn, update.NodeID);
    txn.putNode({
      ...node,
      Status: update.Status,
      StatusDescription: update.StatusDescription,
      StatusUpdatedAt: update.UpdatedAt,
      ModifyIndex: txn.index,
    });
  }
  upsertEvals(txn, command.Evals);
  return { Index: txn.index };
}

/** Starting a drain makes the node ineligible; ending one may make it eligible again. */
export function applyNodeDrain(txn: StateTxn, command: NodeDrainCommand): IndexResult {
  for (const update of command.Updates) {
    const node = requireNode(txn, update.NodeID);
    // Entries written before the condition existed carry none (undefined): unconditional.
    const onlyIf = update.IfDrainStartedAt;
    if (typeof onlyIf === "number" && node.DrainStrategy?.StartedAt !== onlyIf) continue;
    let eligibility = node.SchedulingEligibility;
    if (update.DrainStrategy !== null) eligibility = "ineligible";
    else if (update.MarkEligible) eligibility = "eligible";
    txn.putNode({
      ...node,
      DrainStrategy: update.DrainStrategy,
      SchedulingEligibility: eligibility,
      StatusUpdatedAt: update.UpdatedAt,
      Events:
        update.Event === null
          ? nodeEvents(node)
          : appendEvent(nodeEvents(node), { ...update.Event, CreateIndex: txn.index }),
      ModifyIndex: txn.index,
    });
  }
  upsertEvals(txn, command.Evals);
  return { Index: txn.index };
}

export function applyNodeEligibility(txn: StateTxn, command: NodeEligibilityCommand): IndexResult {
  for (const update of command.Updates) {
    const node = requireNode(txn, update.NodeID);
    if (update.Eligibility === "eligible" && node.DrainStrategy !== null) {
      throw new InvalidCommandError(`node ${node.ID} is draining; it cannot be made eligible`);
    }
    txn.putNode({
      ...node,
      SchedulingEligibility: update.Eligibility,
      StatusUpdatedAt: update.UpdatedAt,
      ModifyIndex: txn.index,
    });
  }
  upsertEvals(txn, command.Evals);
  return { Index: txn.index };
}

/**
 * A node's events. Records stored before nodes had events, and nodes registered by older clients,
 * carry none: the field is absent there, which means an empty list (not a broken invariant).
 */
function nodeEvents(node: Node): NodeEvent[] {
  const events = (node as Partial<Node>).Events;
  return Array.isArray(events) ? events : [];
}

function appendEvent(events: readonly NodeEvent[], event: NodeEvent): NodeEvent[] {
  return [...events, event].slice(-MAX_RETAINED_NODE_EVENTS);
}

function requireNode(txn: StateTxn, id: string): Node {
  const node = txn.node(id);
  if (node === undefined) throw new InvalidCommandError(`node ${JSON.stringify(id)} not found`);
  return node;
}
