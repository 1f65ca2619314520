import type { CommandType } from "../../fsm/commands.js";
import type { Commit } from "../../fsm/state-store.js";
import type { Allocation, Deployment, Evaluation, Job, Namespace, Node } from "../../fsm/structs.js";
import type { TableName } from "../../fsm/tables.js";
import type { EventBatch, EventTopic, StreamEvent } from "./event-broker.js";

/**
 * Nomad's event type per command (its MsgTypeEvents): every object an entry changed becomes an
 * event of the entry's type — the evaluation a job registration creates is a `JobRegistered`
 * event on the Evaluation topic, as in Nomad. Commands without a type publish nothing
 * (variables, scheduler configuration, garbage collection, snapshot restore).
 */
const EVENT_TYPES: Readonly<Record<CommandType, string | undefined>> = {
  "job-register": "JobRegistered",
  "job-deregister": "JobDeregistered",
  "eval-upsert": "EvaluationUpdated",
  "eval-delete": undefined,
  "gc-delete": undefined,
  "plan-apply": "PlanResult",
  "node-register": "NodeRegistration",
  "node-deregister": "NodeDeregistration",
  "node-status": "NodeEvent",
  "node-drain": "NodeDrain",
  "node-eligibility": "NodeEligibility",
  "alloc-client-update": "AllocationUpdated",
  "alloc-desired-transition": "AllocationUpdateDesiredStatus",
  "deployment-status": "DeploymentStatusUpdate",
  "deployment-promote": "DeploymentPromotion",
  "deployment-alloc-health": "DeploymentAllocHealth",
  "scheduler-config": undefined,
  // Nomad publishes no event for Job.Stability either.
  "job-stability": undefined,
  "var-put": undefined,
  "var-delete": undefined,
  "namespace-upsert": "NamespaceUpserted",
  "namespace-delete": "NamespaceDeleted",
  // No ACL topics: an event stream is readable by more tokens than ACL objects are.
  "acl-policy-upsert": undefined,
  "acl-policy-delete": undefined,
  "acl-token-upsert": undefined,
  "acl-token-delete": undefined,
  "acl-bootstrap": undefined,
  // The whole state changed: the agent resets every subscription instead.
  "snapshot-restore": undefined,
};

/** The tables that have a topic, in the order their events are listed within a batch. */
const TOPIC_TABLES: ReadonlyArray<readonly [TableName, EventTopic]> = [
  ["jobs", "Job"],
  ["evals", "Evaluation"],
  ["deployments", "Deployment"],
  ["allocs", "Allocation"],
  ["nodes", "Node"],
  ["namespaces", "Namespace"],
];

/** Splits a namespaced key (nsKey: namespace NUL id). */
function splitNsKey(key: string): { namespace: string; id: string } {
  const cut = key.indexOf("\u0000");
  return cut < 0 ? { namespace: "", id: key } : { namespace: key.slice(0, cut), id: key.slice(cut + 1) };
}

function eventOf(
  topic: EventTopic,
  type: string,
  index: number,
  key: string,
  value: unknown,
  deletedAlloc: Allocation | undefined,
): StreamEvent {
  switch (topic) {
    case "Job": {
      const { namespace, id } = splitNsKey(key);
      // A purged job is gone; its event names it.
      const job = (value as Job | null) ?? { ID: id, Namespace: namespace };
      return {
        Topic: topic,
        Type: type,
        Key: id,
        FilterKeys: [],
        Namespace: namespace,
        Index: index,
        Payload: { Job: job },
      };
    }
    case "Evaluation": {
      const evaluation = value as Evaluation | null;
      return {
        Topic: topic,
        Type: type,
        Key: key,
        FilterKeys:
          evaluation === null ? [] : [evaluation.JobID, evaluation.DeploymentID].filter((k) => k !== ""),
        Namespace: evaluation?.Namespace ?? "",
        Index: index,
        Payload: { Evaluation: evaluation ?? { ID: key } },
      };
    }
    case "Deployment": {
      const deployment = value as Deployment | null;
      return {
        Topic: topic,
        Type: type,
        Key: key,
        FilterKeys: deployment === null ? [] : [deployment.JobID],
        Namespace: deployment?.Namespace ?? "",
        Index: index,
        Payload: { Deployment: deployment ?? { ID: key } },
      };
    }
    case "Allocation": {
      const alloc = (value as Allocation | null) ?? deletedAlloc;
      return {
        Topic: topic,
        Type: type,
        Key: key,
        FilterKeys: alloc === undefined ? [] : [alloc.JobID, alloc.DeploymentID].filter((k) => k !== ""),
        Namespace: alloc?.Namespace ?? "",
        Index: index,
        Payload: { Allocation: alloc ?? { ID: key } },
      };
    }
    case "Node": {
      const node = value as Node | null;
      return {
        Topic: topic,
        Type: type,
        Key: key,
        FilterKeys: [],
        Namespace: "",
        Index: index,
        Payload: { Node: node ?? { ID: key } },
      };
    }
    case "Namespace": {
      const namespace = value as Namespace | null;
      return {
        Topic: topic,
        Type: type,
        Key: key,
        FilterKeys: [],
        Namespace: "",
        Index: index,
        Payload: { Namespace: namespace ?? { Name: key } },
      };
    }
  }
}

/**
 * The events of one applied entry, from what it changed (the objects as stored at the entry's
 * index, not as the command carried them). Undefined when the entry publishes nothing.
 */
export function eventsOfCommit(commit: Commit): EventBatch | undefined {
  if (commit.command === undefined || commit.changes.size === 0) return undefined;
  const type = EVENT_TYPES[commit.command.type];
  if (type === undefined) return undefined;
  const events: StreamEvent[] = [];
  for (const [table, topic] of TOPIC_TABLES) {
    const changed = commit.changes.get(table);
    if (changed === undefined) continue;
    for (const [key, value] of changed) {
      events.push(eventOf(topic, type, commit.index, key, value, commit.deletedAllocs.get(key)));
    }
  }
  return events.length === 0 ? undefined : { Index: commit.index, Events: events };
}
