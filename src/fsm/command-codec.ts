import { Packr } from "msgpackr";
import { assert } from "../common/assert.js";
import type { Command, CommandType } from "./commands.js";
import { CorruptCommandError, UnknownCommandError } from "./errors.js";
import { fastDecode } from "./fast-decode.js";

/**
 * The wire form of FSM commands inside Raft entries: msgpack (msgpackr). Records (msgpackr's
 * repeated-structure encoding) keep a plan of 1,000 allocations compact; each message carries its
 * own record definitions, so any server decodes any entry without shared codec state.
 */
const packr = new Packr({ useRecords: true, mapsAsObjects: true, moreTypes: false });

export function encodeCommand(command: Command): Uint8Array {
  return packr.pack(command);
}

/**
 * Decodes and shape-checks an entry's bytes. Throws CorruptCommandError (undecodable or missing
 * fields) or UnknownCommandError; never returns something apply() would choke on half-way.
 */
export function decodeCommand(data: Uint8Array): Command {
  // The fast decoder covers what commands are made of; anything else (and every error) is msgpackr's.
  let value = fastDecode(data);
  if (value === undefined) {
    try {
      value = packr.unpack(data);
    } catch (error) {
      throw new CorruptCommandError(
        `undecodable command (${data.length} bytes): ${(error as Error).message}`,
      );
    }
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new CorruptCommandError(`command is not an object (${data.length} bytes)`);
  }
  const type = (value as { type?: unknown }).type;
  if (typeof type !== "string" || !Object.hasOwn(SHAPES, type)) throw new UnknownCommandError(type);
  checkShape(value as Record<string, unknown>, type as CommandType);
  return value as Command;
}

type Kind = "string" | "number" | "boolean" | "array" | "object" | "object?" | "number?" | "bytes";
type Shape = Readonly<Record<string, Kind>>;

/** The top-level fields each command must carry (nested objects are checked where they are used). */
const SHAPES: Readonly<Record<CommandType, Shape>> = {
  "job-register": { Job: "object", Eval: "object?" },
  "job-deregister": {
    Namespace: "string",
    JobID: "string",
    Purge: "boolean",
    SubmitTime: "number",
    Eval: "object?",
  },
  "eval-upsert": { Evals: "array" },
  "eval-delete": { EvalIDs: "array", AllocIDs: "array" },
  "plan-apply": {
    EvalID: "string",
    NodeUpdate: "object",
    NodeAllocation: "object",
    NodePreemptions: "object",
    Deployment: "object?",
    DeploymentUpdates: "array",
    Evals: "array",
    Now: "number",
  },
  "node-register": { Nodes: "array", Evals: "array" },
  "node-deregister": { NodeIDs: "array", Evals: "array" },
  "node-status": { Updates: "array", Evals: "array" },
  "node-drain": { Updates: "array", Evals: "array" },
  "node-eligibility": { Updates: "array", Evals: "array" },
  "alloc-client-update": { Allocs: "array", Evals: "array" },
  "alloc-desired-transition": { Transitions: "object", Evals: "array" },
  "deployment-status": { Update: "object", Job: "object?", Eval: "object?" },
  "deployment-promote": { DeploymentID: "string", All: "boolean", Groups: "array", Eval: "object?" },
  "deployment-alloc-health": {
    DeploymentID: "string",
    HealthyAllocationIDs: "array",
    UnhealthyAllocationIDs: "array",
    Timestamp: "number",
    DeploymentUpdate: "object?",
    Job: "object?",
    Eval: "object?",
  },
  "scheduler-config": { Config: "object", CAS: "number?" },
  "job-stability": { Namespace: "string", JobID: "string", JobVersion: "number", Stable: "boolean" },
  "var-put": { Var: "object", CAS: "number?", Now: "number" },
  "var-delete": { Namespace: "string", Path: "string", CAS: "number?" },
  "namespace-upsert": { Namespaces: "array" },
  "namespace-delete": { Names: "array" },
  "acl-policy-upsert": { Policies: "array" },
  "acl-policy-delete": { Names: "array" },
  "acl-token-upsert": { Tokens: "array" },
  "acl-token-delete": { AccessorIDs: "array" },
  "acl-bootstrap": { Token: "object" },
  "gc-delete": {
    EvalIDs: "array",
    AllocIDs: "array",
    Jobs: "array",
    NodeIDs: "array",
    DeploymentIDs: "array",
  },
  "snapshot-restore": { Snapshot: "bytes" },
};

/** SHAPES as field lists, built once (checkShape runs for every applied entry on every server). */
const SHAPE_FIELDS = new Map<string, ReadonlyArray<readonly [string, Kind]>>(
  Object.entries(SHAPES).map(([type, shape]) => [type, Object.entries(shape)]),
);

function checkShape(value: Record<string, unknown>, type: CommandType): void {
  const fields = SHAPE_FIELDS.get(type);
  assert(fields !== undefined, () => `no shape for command type ${type}`);
  for (const [field, kind] of fields) {
    const got = value[field];
    if (!matches(got, kind)) {
      throw new CorruptCommandError(
        `${String(value["type"])}: field ${field} should be ${kind}, got ${got === null ? "null" : typeof got}`,
      );
    }
  }
}

function matches(value: unknown, kind: Kind): boolean {
  switch (kind) {
    case "string":
      return typeof value === "string";
    case "number":
      return typeof value === "number" && Number.isFinite(value);
    case "boolean":
      return typeof value === "boolean";
    case "array":
      return Array.isArray(value);
    case "object":
      return typeof value === "object" && value !== null && !Array.isArray(value);
    case "object?":
      return value === null || (typeof value === "object" && !Array.isArray(value));
    case "number?":
      return value === null || (typeof value === "number" && Number.isFinite(value));
    case "bytes":
      return value instanceof Uint8Array;
  }
}
