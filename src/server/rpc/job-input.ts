import {
  type Affinity,
  type Constraint,
  DEFAULT_NAMESPACE,
  DEFAULT_NODE_POOL,
  DEFAULT_REGION,
  JOB_TYPES,
  type Job,
  type JobType,
  type NetworkResource,
  type Port,
  type ReschedulePolicy,
  type Resources,
  type RestartPolicy,
  type Spread,
  type Task,
  type TaskGroup,
  type TaskLifecycle,
  type UpdateStrategy,
} from "../../fsm/index.js";
import { DEFAULT_BATCH_RESCHEDULE, DEFAULT_SERVICE_RESCHEDULE } from "../../scheduler/reschedule-policy.js";
import { ValidationError } from "../../shared/errors.js";

/**
 * Turns a job as it arrives from outside (HTTP JSON, an RPC's msgpack) into a complete `Job`:
 * Nomad's API accepts partial jobs and fills defaults server-side, so this does the same, and it
 * rejects what cannot be scheduled with an error that says what and where. It is deliberately
 * small (the job-file parser in src/jobspec/ owns the full specification); the server checks
 * here only what it needs to store and schedule the job without harm (invariant 7).
 */
type Obj = Record<string, unknown>;

const ID_RE = /^[a-zA-Z0-9][a-zA-Z0-9._-]{0,127}$/;

function isObj(value: unknown): value is Obj {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function str(o: Obj, key: string, where: string, fallback?: string): string {
  const value = o[key];
  if (value === undefined || value === null) {
    if (fallback !== undefined) return fallback;
    throw new ValidationError(`missing ${key}`, where);
  }
  if (typeof value !== "string") throw new ValidationError(`${key} must be a string`, where);
  return value;
}

function num(
  o: Obj,
  key: string,
  where: string,
  fallback: number,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const value = o[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || !Number.isInteger(value)) {
    throw new ValidationError(`${key} must be an integer`, where);
  }
  if (value < min || value > max)
    throw new ValidationError(`${key} must be in [${min}, ${max}], got ${value}`, where);
  return value;
}

function bool(o: Obj, key: string, where: string, fallback: boolean): boolean {
  const value = o[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "boolean") throw new ValidationError(`${key} must be a boolean`, where);
  return value;
}

function arr(o: Obj, key: string, where: string): unknown[] {
  const value = o[key];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new ValidationError(`${key} must be a list`, where);
  return value;
}

function strMap(o: Obj, key: string, where: string): Record<string, string> {
  const value = o[key];
  if (value === undefined || value === null) return {};
  if (!isObj(value)) throw new ValidationError(`${key} must be a map of strings`, where);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== "string") throw new ValidationError(`${key}.${k} must be a string`, where);
    out[k] = v;
  }
  return out;
}

function list<T>(o: Obj, key: string, where: string, each: (v: unknown, at: string) => T): T[] {
  return arr(o, key, where).map((v, i) => each(v, `${where}.${key}[${i}]`));
}

function passthrough<T>(v: unknown, at: string): T {
  if (!isObj(v)) throw new ValidationError("must be an object", at);
  return v as T;
}

function constraint(v: unknown, at: string): Constraint {
  if (!isObj(v)) throw new ValidationError("constraint must be an object", at);
  return {
    LTarget: str(v, "LTarget", at, ""),
    RTarget: str(v, "RTarget", at, ""),
    Operand: str(v, "Operand", at, "="),
  };
}

/** A network ask with Nomad's defaults for what it leaves out (null lists included). */
function network(value: unknown, where: string): NetworkResource {
  if (!isObj(value)) throw new ValidationError("network must be an object", where);
  return {
    Mode: str(value, "Mode", where, "host"),
    Device: str(value, "Device", where, ""),
    CIDR: str(value, "CIDR", where, ""),
    IP: str(value, "IP", where, ""),
    MBits: num(value, "MBits", where, 0),
    ReservedPorts: list(value, "ReservedPorts", where, (p, at) => port(p, at, true)),
    DynamicPorts: list(value, "DynamicPorts", where, (p, at) => port(p, at, false)),
  };
}

function port(value: unknown, where: string, reserved: boolean): Port {
  if (!isObj(value)) throw new ValidationError("port must be an object", where);
  const label = str(value, "Label", where);
  if (!/^[a-zA-Z0-9_]+$/.test(label)) {
    throw new ValidationError(`Label ${JSON.stringify(label)} must be letters, digits and _`, where);
  }
  const portValue = num(value, "Value", where, 0, 0, 65535);
  if (reserved && portValue === 0) throw new ValidationError("a static port needs a Value", where);
  return {
    Label: label,
    // A dynamic port's value is the scheduler's to choose.
    Value: reserved ? portValue : 0,
    To: num(value, "To", where, 0, -1, 65535),
    HostNetwork: str(value, "HostNetwork", where, "default"),
  };
}

function resources(value: unknown, where: string): Resources {
  const o = value === undefined || value === null ? {} : value;
  if (!isObj(o)) throw new ValidationError("Resources must be an object", where);
  const memory = num(o, "MemoryMB", where, 300, 10);
  return {
    CPU: num(o, "CPU", where, 100, 1),
    Cores: num(o, "Cores", where, 0),
    MemoryMB: memory,
    MemoryMaxMB: num(o, "MemoryMaxMB", where, 0),
    DiskMB: num(o, "DiskMB", where, 0),
    Networks: list(o, "Networks", where, network),
  };
}

const DEFAULT_TASK_RESTART: RestartPolicy = { Attempts: 2, Interval: 30 * 60e9, Delay: 15e9, Mode: "fail" };

/** A restart policy given field by field over `base` (the group's under a task's, Nomad's defaults under a group's). */
function restartPolicy(value: unknown, where: string, from: RestartPolicy): RestartPolicy {
  if (value === undefined || value === null) return from;
  if (!isObj(value)) throw new ValidationError("RestartPolicy must be an object", where);
  const mode = str(value, "Mode", where, from.Mode);
  if (mode !== "fail" && mode !== "delay") {
    throw new ValidationError(`Mode must be "fail" or "delay", got ${JSON.stringify(mode)}`, where);
  }
  return {
    Attempts: num(value, "Attempts", where, from.Attempts),
    Interval: num(value, "Interval", where, from.Interval),
    Delay: num(value, "Delay", where, from.Delay),
    Mode: mode,
  };
}

function task(value: unknown, where: string, groupRestart: RestartPolicy): Task {
  if (!isObj(value)) throw new ValidationError("task must be an object", where);
  const name = str(value, "Name", where);
  if (name === "") throw new ValidationError("Name must not be empty", where);
  const driver = str(value, "Driver", where);
  const config = value["Config"] ?? {};
  if (!isObj(config)) throw new ValidationError("Config must be an object", where);
  return {
    Name: name,
    Driver: driver,
    User: str(value, "User", where, ""),
    Config: config,
    Env: strMap(value, "Env", where),
    Resources: resources(value["Resources"], `${where}.Resources`),
    Meta: strMap(value, "Meta", where),
    Constraints: list(value, "Constraints", where, constraint),
    Affinities: list<Affinity>(value, "Affinities", where, passthrough),
    RestartPolicy: isObj(value["RestartPolicy"])
      ? restartPolicy(value["RestartPolicy"], `${where}.RestartPolicy`, groupRestart)
      : null,
    KillTimeout: num(value, "KillTimeout", where, 5e9),
    KillSignal: str(value, "KillSignal", where, ""),
    Leader: bool(value, "Leader", where, false),
    LogConfig: isObj(value["LogConfig"])
      ? {
          MaxFiles: num(value["LogConfig"], "MaxFiles", where, 10, 1),
          MaxFileSizeMB: num(value["LogConfig"], "MaxFileSizeMB", where, 10, 1),
        }
      : { MaxFiles: 10, MaxFileSizeMB: 10 },
    Lifecycle: lifecycle(value["Lifecycle"], `${where}.Lifecycle`),
  };
}

const LIFECYCLE_HOOKS: readonly TaskLifecycle["Hook"][] = ["prestart", "poststart", "poststop"];

function lifecycle(value: unknown, where: string): TaskLifecycle | null {
  if (value === undefined || value === null) return null;
  if (!isObj(value)) throw new ValidationError("Lifecycle must be an object", where);
  const hook = str(value, "Hook", where);
  if (!(LIFECYCLE_HOOKS as readonly string[]).includes(hook)) {
    throw new ValidationError(
      `Hook must be one of ${LIFECYCLE_HOOKS.join(", ")}, got ${JSON.stringify(hook)}`,
      where,
    );
  }
  return { Hook: hook as TaskLifecycle["Hook"], Sidecar: bool(value, "Sidecar", where, false) };
}

const DEFAULT_UPDATE: UpdateStrategy = {
  Stagger: 30e9,
  MaxParallel: 1,
  HealthCheck: "checks",
  MinHealthyTime: 10e9,
  HealthyDeadline: 300e9,
  ProgressDeadline: 600e9,
  AutoRevert: false,
  AutoPromote: false,
  Canary: 0,
};

const HEALTH_CHECKS: readonly UpdateStrategy["HealthCheck"][] = ["checks", "task_states", "manual"];

/** An update block field by field over `base` (the job's under a group's, Nomad's defaults under the job's). */
function updateStrategy(value: unknown, where: string, base: UpdateStrategy | null): UpdateStrategy | null {
  if (value === undefined || value === null) return base;
  if (!isObj(value)) throw new ValidationError("Update must be an object", where);
  const from = base ?? DEFAULT_UPDATE;
  const healthCheck = str(value, "HealthCheck", where, from.HealthCheck);
  if (!(HEALTH_CHECKS as readonly string[]).includes(healthCheck)) {
    throw new ValidationError(`HealthCheck must be one of ${HEALTH_CHECKS.join(", ")}`, where);
  }
  return {
    Stagger: num(value, "Stagger", where, from.Stagger),
    MaxParallel: num(value, "MaxParallel", where, from.MaxParallel),
    HealthCheck: healthCheck as UpdateStrategy["HealthCheck"],
    MinHealthyTime: num(value, "MinHealthyTime", where, from.MinHealthyTime),
    HealthyDeadline: num(value, "HealthyDeadline", where, from.HealthyDeadline),
    ProgressDeadline: num(value, "ProgressDeadline", where, from.ProgressDeadline),
    AutoRevert: bool(value, "AutoRevert", where, from.AutoRevert),
    AutoPromote: bool(value, "AutoPromote", where, from.AutoPromote),
    Canary: num(value, "Canary", where, from.Canary),
  };
}

/** A reschedule block field by field over the job type's defaults. */
function reschedule(value: unknown, where: string, jobType: JobType): ReschedulePolicy | null {
  if (value === undefined || value === null) return null;
  if (!isObj(value)) throw new ValidationError("ReschedulePolicy must be an object", where);
  const from =
    jobType === "batch" || jobType === "sysbatch" ? DEFAULT_BATCH_RESCHEDULE : DEFAULT_SERVICE_RESCHEDULE;
  const fn = str(value, "DelayFunction", where, from.DelayFunction);
  if (fn !== "constant" && fn !== "exponential" && fn !== "fibonacci") {
    throw new ValidationError("DelayFunction must be constant, exponential or fibonacci", where);
  }
  return {
    Attempts: num(value, "Attempts", where, from.Attempts),
    Interval: num(value, "Interval", where, from.Interval),
    Delay: num(value, "Delay", where, from.Delay),
    DelayFunction: fn,
    MaxDelay: num(value, "MaxDelay", where, from.MaxDelay),
    Unlimited: bool(value, "Unlimited", where, from.Unlimited),
  };
}

function group(value: unknown, where: string, jobType: JobType, jobUpdate: UpdateStrategy | null): TaskGroup {
  if (!isObj(value)) throw new ValidationError("task group must be an object", where);
  const name = str(value, "Name", where);
  if (name === "") throw new ValidationError("Name must not be empty", where);
  const groupRestart = restartPolicy(value["RestartPolicy"], `${where}.RestartPolicy`, DEFAULT_TASK_RESTART);
  const tasks = list(value, "Tasks", where, (t, at) => task(t, at, groupRestart));
  if (tasks.length === 0) throw new ValidationError("a task group needs at least one task", where);
  const names = new Set<string>();
  for (const t of tasks) {
    if (names.has(t.Name)) throw new ValidationError(`duplicate task name ${JSON.stringify(t.Name)}`, where);
    names.add(t.Name);
  }
  const disk = value["EphemeralDisk"];
  return {
    Name: name,
    Count: num(value, "Count", where, 1, 0, 100_000),
    Constraints: list(value, "Constraints", where, constraint),
    Affinities: list<Affinity>(value, "Affinities", where, passthrough),
    Spreads: list<Spread>(value, "Spreads", where, passthrough),
    Tasks: tasks,
    RestartPolicy: groupRestart,
    ReschedulePolicy: reschedule(value["ReschedulePolicy"], `${where}.ReschedulePolicy`, jobType),
    Update: updateStrategy(value["Update"], `${where}.Update`, jobUpdate),
    Migrate: isObj(value["Migrate"]) ? passthrough(value["Migrate"], where) : null,
    EphemeralDisk: isObj(disk)
      ? {
          Sticky: bool(disk, "Sticky", where, false),
          SizeMB: num(disk, "SizeMB", where, 300),
          Migrate: bool(disk, "Migrate", where, false),
        }
      : { Sticky: false, SizeMB: 300, Migrate: false },
    Networks: list(value, "Networks", where, network),
    Meta: strMap(value, "Meta", where),
    StopAfterClientDisconnect: null,
    MaxClientDisconnect: null,
  };
}

/** A complete, validated Job from outside input. Server-owned fields (indexes, status) are reset. */
export function jobFromInput(input: unknown, submitTime: number): Job {
  const where = "Job";
  if (!isObj(input)) throw new ValidationError("must be an object", where);
  const id = str(input, "ID", where);
  if (!ID_RE.test(id))
    throw new ValidationError(`ID ${JSON.stringify(id)} must match ${ID_RE.source}`, where);
  const type = str(input, "Type", where, "service");
  if (!JOB_TYPES.includes(type as JobType)) {
    throw new ValidationError(
      `Type must be one of ${JOB_TYPES.join(", ")}, got ${JSON.stringify(type)}`,
      where,
    );
  }
  const jobUpdate = updateStrategy(input["Update"], `${where}.Update`, null);
  const groups = list(input, "TaskGroups", where, (g, at) => group(g, at, type as JobType, jobUpdate));
  if (groups.length === 0) throw new ValidationError("a job needs at least one task group", where);
  const names = new Set<string>();
  for (const g of groups) {
    if (names.has(g.Name))
      throw new ValidationError(`duplicate task group name ${JSON.stringify(g.Name)}`, where);
    names.add(g.Name);
  }
  const datacenters = list(input, "Datacenters", where, (v, at) => {
    if (typeof v !== "string") throw new ValidationError("must be a string", at);
    return v;
  });
  return {
    Region: str(input, "Region", where, DEFAULT_REGION) || DEFAULT_REGION,
    Namespace: str(input, "Namespace", where, DEFAULT_NAMESPACE) || DEFAULT_NAMESPACE,
    ID: id,
    Name: str(input, "Name", where, id) || id,
    Type: type as JobType,
    Priority: num(input, "Priority", where, 50, 1, 100),
    AllAtOnce: bool(input, "AllAtOnce", where, false),
    Datacenters: datacenters.length === 0 ? ["*"] : datacenters,
    NodePool: str(input, "NodePool", where, DEFAULT_NODE_POOL) || DEFAULT_NODE_POOL,
    Constraints: list(input, "Constraints", where, constraint),
    Affinities: list<Affinity>(input, "Affinities", where, passthrough),
    Spreads: list<Spread>(input, "Spreads", where, passthrough),
    TaskGroups: groups,
    Update: jobUpdate,
    Periodic: isObj(input["Periodic"]) ? passthrough(input["Periodic"], where) : null,
    ParameterizedJob: isObj(input["ParameterizedJob"]) ? passthrough(input["ParameterizedJob"], where) : null,
    ParentID: str(input, "ParentID", where, ""),
    Dispatched: bool(input, "Dispatched", where, false),
    Payload: str(input, "Payload", where, ""),
    Meta: strMap(input, "Meta", where),
    Stop: bool(input, "Stop", where, false),
    Status: "pending",
    StatusDescription: "",
    Stable: false,
    Version: 0,
    SubmitTime: submitTime,
    CreateIndex: 0,
    ModifyIndex: 0,
    JobModifyIndex: 0,
  };
}
