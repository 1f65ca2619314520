import { ValidationError } from "../common/errors.js";
import type { RouteSchema } from "./router.js";

/**
 * JSON schemas of the API's requests: the first line of input validation, run by Fastify before a
 * handler. They check envelope shapes only (types of the fields a handler reads); values, ranges
 * and the deep job are checked by the handlers and by src/jobspec, which report every problem at
 * once with its location. Rules that keep Nomad's clients working:
 *
 * - Unknown fields are never refused (no `additionalProperties: false`): Nomad ignores them, so
 *   a newer client keeps working against an older agent.
 * - Every optional field may be `null`: Nomad's Go API client sends nil pointers as null.
 * - A body schema that admits null makes the body optional: an empty body is checked (and handed
 *   to the handler) as null.
 * - Query values are strings (the agent compiles schemas without type coercion), so numbers in
 *   the query are checked with patterns.
 */

/** JSON Schema types by the words an error message uses for them. */
const TYPE_WORDS: Record<string, string> = {
  string: "a string",
  integer: "an integer",
  number: "a number",
  boolean: "a boolean",
  object: "an object",
  array: "a list",
  null: "null",
};

/** Query patterns by what they mean, for error messages. */
const UNSIGNED = "^[0-9]*$";
/** A Go duration ("10s", "1m30s", "250ms") or a bare number of milliseconds; see src/common/duration.ts. */
const DURATION = "^\\s*(\\d+(\\.\\d+)?|(\\d+(\\.\\d+)?(ns|us|µs|ms|s|m|h))+)\\s*$";
const PATTERN_WORDS: Record<string, string> = {
  [UNSIGNED]: "a non-negative integer",
  [DURATION]: 'a duration such as "10s" or "1m30s"',
};

const nullable = (type: string, extra: object = {}): object => ({ type: [type, "null"], ...extra });
const STRING = nullable("string");
const INTEGER = nullable("integer");
const BOOLEAN = nullable("boolean");
const OBJECT = nullable("object");
const STRINGS = nullable("array", { items: { type: "string" } });
const listOf = (items: object): object => nullable("array", { items });
const objectWith = (properties: Record<string, object>): object => nullable("object", { properties });

/**
 * The query parameters every route shares (Nomad's QueryOptions and WriteRequest). Present on
 * every route; a route's own `querystring` schema adds to it.
 */
const COMMON_QUERY_PROPERTIES: Record<string, object> = {
  index: { type: "string", pattern: UNSIGNED },
  wait: { type: "string", pattern: DURATION },
  stale: { type: "string" },
  prefix: { type: "string" },
  namespace: { type: "string" },
  region: { type: "string" },
  cas: { type: "string", pattern: UNSIGNED },
  per_page: { type: "string", pattern: UNSIGNED },
  next_token: { type: "string" },
};

export const COMMON_QUERY: object = { type: "object", properties: COMMON_QUERY_PROPERTIES };

/** `querystring` is the common query plus a route's own parameters. */
export function withCommonQuery(schema: RouteSchema | undefined): RouteSchema {
  const own = (schema?.querystring ?? {}) as { properties?: Record<string, object> };
  if (own.properties === undefined) return { ...schema, querystring: COMMON_QUERY };
  return {
    ...schema,
    querystring: { ...own, type: "object", properties: { ...COMMON_QUERY_PROPERTIES, ...own.properties } },
  };
}

// ── bodies ──

const TASK = objectWith({
  Name: STRING,
  Driver: STRING,
  User: STRING,
  Config: OBJECT,
  Env: OBJECT,
  Meta: OBJECT,
  Resources: OBJECT,
});

const TASK_GROUP = objectWith({
  Name: STRING,
  Count: INTEGER,
  Tasks: listOf(TASK),
  Meta: OBJECT,
});

/** The skeleton of Nomad's Job; src/jobspec reads and checks the rest. */
const JOB = {
  type: "object",
  properties: {
    ID: STRING,
    Name: STRING,
    Type: STRING,
    Namespace: STRING,
    Region: STRING,
    Priority: INTEGER,
    Datacenters: STRINGS,
    Meta: OBJECT,
    TaskGroups: listOf(TASK_GROUP),
  },
};

/** POST /v1/jobs, /v1/job/:id (register). */
export const JOB_REGISTER: RouteSchema = {
  body: {
    type: "object",
    required: ["Job"],
    properties: { Job: JOB, EnforceIndex: BOOLEAN, JobModifyIndex: INTEGER, PreserveCounts: BOOLEAN },
  },
};

/** PUT /v1/validate/job. */
export const JOB_VALIDATE: RouteSchema = {
  body: { type: "object", required: ["Job"], properties: { Job: JOB } },
};

/** POST /v1/job/:id/plan. */
export const JOB_PLAN: RouteSchema = {
  body: { type: "object", required: ["Job"], properties: { Job: JOB, Diff: BOOLEAN } },
};

/** POST /v1/jobs/parse. */
export const JOB_PARSE: RouteSchema = {
  body: {
    type: "object",
    required: ["JobHCL"],
    properties: { JobHCL: { type: "string" }, Variables: STRING, Canonicalize: BOOLEAN },
  },
};

/** POST /v1/job/:id/scale. */
export const JOB_SCALE: RouteSchema = {
  body: {
    type: ["object", "null"],
    properties: {
      Count: INTEGER,
      Target: objectWith({ Group: STRING }),
      EnforceIndex: BOOLEAN,
      JobModifyIndex: INTEGER,
      JobID: STRING,
      Message: STRING,
      Error: BOOLEAN,
      Meta: OBJECT,
    },
  },
};

/** POST /v1/job/:id/dispatch (Payload is base64; Meta values are checked by the handler). */
export const JOB_DISPATCH: RouteSchema = {
  body: nullable("object", { properties: { Payload: STRING, Meta: OBJECT } }),
};

/** PUT /v1/var/:path*. */
export const VAR_PUT: RouteSchema = {
  body: {
    type: "object",
    // A schema for the values, not a ban on unknown keys: item names are the user's.
    properties: {
      Path: STRING,
      Namespace: STRING,
      Items: { type: "object", additionalProperties: { type: "string" } },
    },
  },
};

/** POST /v1/node/:id/drain. */
export const NODE_DRAIN: RouteSchema = {
  body: {
    type: "object",
    properties: {
      DrainSpec: objectWith({ Deadline: INTEGER, IgnoreSystemJobs: BOOLEAN }),
      MarkEligible: BOOLEAN,
      Meta: OBJECT,
    },
  },
};

/** POST /v1/node/:id/eligibility (the value itself is checked by the handler). */
export const NODE_ELIGIBILITY: RouteSchema = {
  body: { type: "object", required: ["Eligibility"], properties: { Eligibility: { type: "string" } } },
};

const DEPLOYMENT_ID = { DeploymentID: STRING };

/** POST /v1/deployment/promote/:id. */
export const DEPLOYMENT_PROMOTE: RouteSchema = {
  body: nullable("object", { properties: { ...DEPLOYMENT_ID, All: BOOLEAN, Groups: STRINGS } }),
};

/** POST /v1/deployment/fail/:id. */
export const DEPLOYMENT_FAIL: RouteSchema = {
  body: nullable("object", { properties: DEPLOYMENT_ID }),
};

/** POST /v1/deployment/pause/:id (Pause is required; the handler says so). */
export const DEPLOYMENT_PAUSE: RouteSchema = {
  body: nullable("object", { properties: { ...DEPLOYMENT_ID, Pause: BOOLEAN } }),
};

/** POST /v1/deployment/allocation-health/:id. */
export const DEPLOYMENT_ALLOC_HEALTH: RouteSchema = {
  body: nullable("object", {
    properties: { ...DEPLOYMENT_ID, HealthyAllocationIDs: STRINGS, UnhealthyAllocationIDs: STRINGS },
  }),
};

const SCHEDULER_CONFIG_PROPERTIES = {
  SchedulerAlgorithm: STRING,
  PreemptionConfig: objectWith({
    SystemSchedulerEnabled: BOOLEAN,
    SysBatchSchedulerEnabled: BOOLEAN,
    BatchSchedulerEnabled: BOOLEAN,
    ServiceSchedulerEnabled: BOOLEAN,
  }),
  MemoryOversubscriptionEnabled: BOOLEAN,
  RejectJobRegistration: BOOLEAN,
  PauseEvalBroker: BOOLEAN,
};

/** PUT /v1/operator/scheduler/configuration: bare, or wrapped as the GET answers it. */
export const SCHEDULER_CONFIG: RouteSchema = {
  body: nullable("object", {
    properties: { ...SCHEDULER_CONFIG_PROPERTIES, SchedulerConfig: objectWith(SCHEDULER_CONFIG_PROPERTIES) },
  }),
};

/** DELETE /v1/operator/raft/peer and PUT transfer-leadership: `?id=` or `?address=`. */
export const RAFT_PEER: RouteSchema = {
  querystring: { type: "object", properties: { id: { type: "string" }, address: { type: "string" } } },
};

// ── errors ──

/** One failure as Ajv reports it (the fields this module reads). */
export interface SchemaFailure {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

/**
 * A JSON pointer as a field path: `/Job/TaskGroups/0/Count` → `.Job.TaskGroups[0].Count`.
 * Keys that are not identifiers are quoted (`["a b"]`).
 */
function fieldPath(pointer: string): string {
  let out = "";
  if (pointer === "") return out;
  for (const raw of pointer.slice(1).split("/")) {
    const key = raw.replaceAll("~1", "/").replaceAll("~0", "~");
    if (/^\d+$/.test(key)) out += `[${key}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(key)) out += `.${key}`;
    else out += `[${JSON.stringify(key)}]`;
  }
  return out;
}

/** What a failed keyword demands, in words. */
function demand(failure: SchemaFailure): string {
  const { keyword, params } = failure;
  if (keyword === "type") {
    const types = String(params["type"])
      .split(",")
      .filter((t) => t !== "null");
    const nullable = String(params["type"]).split(",").includes("null");
    return `must be ${types.map((t) => TYPE_WORDS[t] ?? t).join(" or ")}${nullable ? " (or null)" : ""}`;
  }
  if (keyword === "pattern") {
    const pattern = String(params["pattern"]);
    return `must be ${PATTERN_WORDS[pattern] ?? `a string matching ${pattern}`}`;
  }
  return failure.message ?? `fails the "${keyword}" check`;
}

/**
 * The ValidationError for failed schema checks (Fastify's schemaErrorFormatter): one located
 * message for the first failure, such as `body.Job.TaskGroups[0].Count must be an integer (or
 * null)`, `body.Job is required`, `?index must be a non-negative integer`.
 */
export function schemaError(failures: readonly SchemaFailure[], part: string): ValidationError {
  const failure = failures[0];
  if (failure === undefined) return new ValidationError(`${part} is invalid`);
  const path = fieldPath(failure.instancePath);
  const where =
    part === "querystring"
      ? `?${path.replace(/^\./, "")}`
      : part === "params"
        ? `path parameter ${path.replace(/^\./, "")}`
        : `${part}${path}`;
  if (failure.keyword === "required") {
    const missing = String(failure.params["missingProperty"]);
    return new ValidationError(
      part === "querystring" ? `?${missing} is required` : `${where}.${missing} is required`,
    );
  }
  if (part === "body" && path === "" && failure.keyword === "type") {
    return new ValidationError("body must be a JSON object");
  }
  return new ValidationError(`${where} ${demand(failure)}`);
}
