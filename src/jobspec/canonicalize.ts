import {
  type Affinity,
  type Constraint,
  DEFAULT_NAMESPACE,
  DEFAULT_NODE_POOL,
  DEFAULT_REGION,
  DISCONNECT_RECONCILE,
  type DisconnectReconcile,
  type DisconnectStrategy,
  type DispatchPayloadConfig,
  type EphemeralDisk,
  type Job,
  type JobType,
  type LogConfig,
  type MigrateStrategy,
  type NetworkResource,
  type ParameterizedJobConfig,
  type PeriodicConfig,
  type Port,
  type ReschedulePolicy,
  type Resources,
  type RestartPolicy,
  type Spread,
  type SpreadTarget,
  type Task,
  type TaskGroup,
  type TaskLifecycle,
  type UpdateStrategy,
} from "../fsm/index.js";
import { didYouMean, isObj, type Obj, show } from "./issues.js";

/**
 * A job in Nomad's JSON API form (partial, as users and tools send it) → a complete `Job`, with
 * the defaults Nomad's `Job.Canonicalize` fills in: lists left out or null become [], a
 * `periodic` block without `Enabled` is enabled, a group's `update` is merged field by field over
 * the job's, restart/reschedule/migrate policies default by job type, and so on. Values of the
 * wrong type are reported (and defaulted so that the rest can still be checked); whether values
 * make sense is validate.ts's business. Server-owned fields (status, indexes) are reset.
 *
 * Paths in reports are JSON paths below the job: `TaskGroups[0].Count`.
 */
export interface Sink {
  error(path: string, message: string): void;
  warn(path: string, message: string): void;
}

const NS = 1e9;

/** Nomad's default update strategy (api.DefaultUpdateStrategy). */
export const DEFAULT_UPDATE: UpdateStrategy = {
  Stagger: 30 * NS,
  MaxParallel: 1,
  HealthCheck: "checks",
  MinHealthyTime: 10 * NS,
  HealthyDeadline: 300 * NS,
  ProgressDeadline: 600 * NS,
  AutoRevert: false,
  AutoPromote: false,
  Canary: 0,
};

/** Nomad's default restart policies by job type. */
export const DEFAULT_SERVICE_RESTART: RestartPolicy = {
  Attempts: 2,
  Interval: 1800 * NS,
  Delay: 15 * NS,
  Mode: "fail",
};
export const DEFAULT_BATCH_RESTART: RestartPolicy = {
  Attempts: 3,
  Interval: 86400 * NS,
  Delay: 15 * NS,
  Mode: "fail",
};

/** Nomad's default reschedule policies (service and batch; system jobs are not rescheduled). */
export const DEFAULT_SERVICE_RESCHEDULE: ReschedulePolicy = {
  Attempts: 0,
  Interval: 0,
  Delay: 30 * NS,
  DelayFunction: "exponential",
  MaxDelay: 3600 * NS,
  Unlimited: true,
};
export const DEFAULT_BATCH_RESCHEDULE: ReschedulePolicy = {
  Attempts: 1,
  Interval: 86400 * NS,
  Delay: 5 * NS,
  DelayFunction: "constant",
  MaxDelay: 0,
  Unlimited: false,
};

/** Nomad's default migrate strategy (service jobs). */
export const DEFAULT_MIGRATE: MigrateStrategy = {
  MaxParallel: 1,
  HealthCheck: "checks",
  MinHealthyTime: 10 * NS,
  HealthyDeadline: 300 * NS,
};

export const DEFAULT_EPHEMERAL_DISK: EphemeralDisk = { Sticky: false, SizeMB: 300, Migrate: false };
export const DEFAULT_LOG_CONFIG: LogConfig = { MaxFiles: 10, MaxFileSizeMB: 10 };
export const DEFAULT_KILL_TIMEOUT = 5 * NS;

// Field names by object: the ones read here, and Nomad's that Drover has no use for yet.
const FIELDS = {
  Job: {
    known: [
      "Region",
      "Namespace",
      "ID",
      "Name",
      "Type",
      "Priority",
      "AllAtOnce",
      "Datacenters",
      "NodePool",
      "Constraints",
      "Affinities",
      "Spreads",
      "TaskGroups",
      "Update",
      "Periodic",
      "ParameterizedJob",
      "ParentID",
      "Dispatched",
      "Payload",
      "Meta",
      "Stop",
      "Reschedule",
      "Migrate",
      // Server-owned: accepted and reset.
      "Status",
      "StatusDescription",
      "Stable",
      "Version",
      "SubmitTime",
      "CreateIndex",
      "ModifyIndex",
      "JobModifyIndex",
    ],
    unsupported: [
      "Multiregion",
      "Vault",
      "VaultToken",
      "VaultNamespace",
      "ConsulToken",
      "ConsulNamespace",
      "NomadTokenID",
      "UI",
      "VersionTag",
      "DispatchIdempotencyToken",
    ],
  },
  TaskGroup: {
    known: [
      "Name",
      "Count",
      "Constraints",
      "Affinities",
      "Spreads",
      "Tasks",
      "RestartPolicy",
      "ReschedulePolicy",
      "Update",
      "Migrate",
      "EphemeralDisk",
      "Networks",
      "Meta",
      "StopAfterClientDisconnect",
      "MaxClientDisconnect",
      "Disconnect",
    ],
    unsupported: ["Services", "Volumes", "Scaling", "Consul", "ShutdownDelay", "PreventRescheduleOnLost"],
  },
  Task: {
    known: [
      "Name",
      "Driver",
      "User",
      "Config",
      "Env",
      "Resources",
      "Meta",
      "Constraints",
      "Affinities",
      "RestartPolicy",
      "KillTimeout",
      "KillSignal",
      "Leader",
      "LogConfig",
      "Lifecycle",
      "DispatchPayload",
    ],
    unsupported: [
      "Services",
      "Templates",
      "Artifacts",
      "VolumeMounts",
      "Vault",
      "Consul",
      "Identity",
      "Identities",
      "CSIPluginConfig",
      "ShutdownDelay",
      "Kind",
      "ScalingPolicies",
      "Actions",
      "Schedule",
    ],
  },
  Resources: {
    known: ["CPU", "Cores", "MemoryMB", "MemoryMaxMB", "DiskMB", "Networks"],
    unsupported: ["Devices", "IOPS", "NUMA", "SecretsMB"],
  },
  Network: {
    known: ["Mode", "Device", "CIDR", "IP", "MBits", "ReservedPorts", "DynamicPorts"],
    unsupported: ["DNS", "Hostname", "CNI"],
  },
  Port: { known: ["Label", "Value", "To", "HostNetwork"], unsupported: ["IgnoreCollision"] },
  RestartPolicy: { known: ["Attempts", "Interval", "Delay", "Mode"], unsupported: ["RenderTemplates"] },
  ReschedulePolicy: {
    known: ["Attempts", "Interval", "Delay", "DelayFunction", "MaxDelay", "Unlimited"],
    unsupported: [],
  },
  Update: {
    known: [
      "Stagger",
      "MaxParallel",
      "HealthCheck",
      "MinHealthyTime",
      "HealthyDeadline",
      "ProgressDeadline",
      "AutoRevert",
      "AutoPromote",
      "Canary",
    ],
    unsupported: [],
  },
  Migrate: { known: ["MaxParallel", "HealthCheck", "MinHealthyTime", "HealthyDeadline"], unsupported: [] },
  EphemeralDisk: { known: ["Sticky", "SizeMB", "Migrate"], unsupported: [] },
  Disconnect: { known: ["LostAfter", "Replace", "Reconcile", "StopOnClientAfter"], unsupported: [] },
  Periodic: {
    known: ["Enabled", "Spec", "Specs", "SpecType", "ProhibitOverlap", "TimeZone"],
    unsupported: [],
  },
  Parameterized: { known: ["Payload", "MetaRequired", "MetaOptional"], unsupported: [] },
  LogConfig: { known: ["MaxFiles", "MaxFileSizeMB"], unsupported: ["Disabled", "Enabled"] },
  Lifecycle: { known: ["Hook", "Sidecar"], unsupported: [] },
  DispatchPayload: { known: ["File"], unsupported: [] },
  Constraint: { known: ["LTarget", "RTarget", "Operand"], unsupported: [] },
  Affinity: { known: ["LTarget", "RTarget", "Operand", "Weight"], unsupported: [] },
  Spread: { known: ["Attribute", "Weight", "SpreadTarget"], unsupported: [] },
  SpreadTarget: { known: ["Value", "Percent"], unsupported: [] },
} as const;

type Shape = keyof typeof FIELDS;

const at = (path: string, key: string) => (path === "" ? key : `${path}.${key}`);

/** Typed reads of one object of the input, reporting what is of the wrong type. */
class Reader {
  constructor(
    readonly o: Obj,
    readonly path: string,
    readonly sink: Sink,
    shape: Shape,
  ) {
    const { known, unsupported } = FIELDS[shape];
    for (const key of Object.keys(o)) {
      if ((known as readonly string[]).includes(key)) continue;
      if ((unsupported as readonly string[]).includes(key)) {
        if (o[key] !== null && o[key] !== undefined) {
          sink.warn(at(path, key), "is not supported by Drover yet; ignored");
        }
        continue;
      }
      sink.warn(at(path, key), `unknown field; ignored${didYouMean(key, known)}`);
    }
  }

  private has(key: string): boolean {
    return this.o[key] !== undefined && this.o[key] !== null;
  }

  private wrong(key: string, what: string): void {
    this.sink.error(at(this.path, key), `must be ${what}, got ${show(this.o[key])}`);
  }

  str(key: string, fallback: string): string {
    if (!this.has(key)) return fallback;
    const v = this.o[key];
    if (typeof v === "string") return v;
    this.wrong(key, "a string");
    return fallback;
  }

  int(key: string, fallback: number): number {
    if (!this.has(key)) return fallback;
    const v = this.o[key];
    if (typeof v === "number" && Number.isSafeInteger(v)) return v;
    this.wrong(key, "an integer");
    return fallback;
  }

  /** An optional duration (ns): null when absent. */
  nullableInt(key: string): number | null {
    return this.has(key) ? this.int(key, 0) : null;
  }

  bool(key: string, fallback: boolean): boolean {
    if (!this.has(key)) return fallback;
    const v = this.o[key];
    if (typeof v === "boolean") return v;
    this.wrong(key, "true or false");
    return fallback;
  }

  strList(key: string): string[] {
    if (!this.has(key)) return [];
    const v = this.o[key];
    if (!Array.isArray(v)) {
      this.wrong(key, "a list of strings");
      return [];
    }
    const out: string[] = [];
    v.forEach((item, i) => {
      if (typeof item === "string") out.push(item);
      else this.sink.error(`${at(this.path, key)}[${i}]`, `must be a string, got ${show(item)}`);
    });
    return out;
  }

  strMap(key: string): Record<string, string> {
    if (!this.has(key)) return {};
    const v = this.o[key];
    if (!isObj(v)) {
      this.wrong(key, "a map of strings");
      return {};
    }
    const out: Record<string, string> = {};
    for (const [k, item] of Object.entries(v)) {
      if (typeof item === "string") out[k] = item;
      else this.sink.error(`${at(this.path, key)}.${k}`, `must be a string, got ${show(item)}`);
    }
    return out;
  }

  /** A nested object, or undefined when absent (or not an object, reported). */
  obj(key: string, shape: Shape): Reader | undefined {
    if (!this.has(key)) return undefined;
    const v = this.o[key];
    if (!isObj(v)) {
      this.wrong(key, "an object");
      return undefined;
    }
    return new Reader(v, at(this.path, key), this.sink, shape);
  }

  list<T>(key: string, shape: Shape, each: (r: Reader, i: number) => T): T[] {
    if (!this.has(key)) return [];
    const v = this.o[key];
    if (!Array.isArray(v)) {
      this.wrong(key, "a list");
      return [];
    }
    const out: T[] = [];
    v.forEach((item, i) => {
      const path = `${at(this.path, key)}[${i}]`;
      if (!isObj(item)) this.sink.error(path, `must be an object, got ${show(item)}`);
      else out.push(each(new Reader(item, path, this.sink, shape), i));
    });
    return out;
  }
}

function constraint(r: Reader): Constraint {
  return { LTarget: r.str("LTarget", ""), RTarget: r.str("RTarget", ""), Operand: r.str("Operand", "=") };
}

function affinity(r: Reader): Affinity {
  return {
    LTarget: r.str("LTarget", ""),
    RTarget: r.str("RTarget", ""),
    Operand: r.str("Operand", "="),
    Weight: r.int("Weight", 50),
  };
}

function spread(r: Reader): Spread {
  return {
    Attribute: r.str("Attribute", ""),
    Weight: r.int("Weight", 50),
    SpreadTarget: r.list(
      "SpreadTarget",
      "SpreadTarget",
      (t): SpreadTarget => ({ Value: t.str("Value", ""), Percent: t.int("Percent", 0) }),
    ),
  };
}

function port(r: Reader, reserved: boolean): Port {
  return {
    Label: r.str("Label", ""),
    // A dynamic port's value is the scheduler's to choose.
    Value: reserved ? r.int("Value", 0) : 0,
    To: r.int("To", 0),
    HostNetwork: r.str("HostNetwork", "default") || "default",
  };
}

function network(r: Reader): NetworkResource {
  return {
    Mode: r.str("Mode", "host") || "host",
    Device: r.str("Device", ""),
    CIDR: r.str("CIDR", ""),
    IP: r.str("IP", ""),
    MBits: r.int("MBits", 0),
    ReservedPorts: r.list("ReservedPorts", "Port", (p) => port(p, true)),
    DynamicPorts: r.list("DynamicPorts", "Port", (p) => port(p, false)),
  };
}

function resources(r: Reader | undefined, path: string, sink: Sink): Resources {
  const o = r ?? new Reader({}, path, sink, "Resources");
  return {
    CPU: o.int("CPU", 100),
    Cores: o.int("Cores", 0),
    MemoryMB: o.int("MemoryMB", 300),
    MemoryMaxMB: o.int("MemoryMaxMB", 0),
    DiskMB: o.int("DiskMB", 0),
    Networks: o.list("Networks", "Network", network),
  };
}

function restartPolicy(r: Reader, from: RestartPolicy): RestartPolicy {
  return {
    Attempts: r.int("Attempts", from.Attempts),
    Interval: r.int("Interval", from.Interval),
    Delay: r.int("Delay", from.Delay),
    Mode: r.str("Mode", from.Mode) as RestartPolicy["Mode"],
  };
}

function reschedulePolicy(r: Reader, from: ReschedulePolicy): ReschedulePolicy {
  return {
    Attempts: r.int("Attempts", from.Attempts),
    Interval: r.int("Interval", from.Interval),
    Delay: r.int("Delay", from.Delay),
    DelayFunction: r.str("DelayFunction", from.DelayFunction) as ReschedulePolicy["DelayFunction"],
    MaxDelay: r.int("MaxDelay", from.MaxDelay),
    Unlimited: r.bool("Unlimited", from.Unlimited),
  };
}

function updateStrategy(r: Reader, from: UpdateStrategy): UpdateStrategy {
  return {
    Stagger: r.int("Stagger", from.Stagger),
    MaxParallel: r.int("MaxParallel", from.MaxParallel),
    HealthCheck: r.str("HealthCheck", from.HealthCheck) as UpdateStrategy["HealthCheck"],
    MinHealthyTime: r.int("MinHealthyTime", from.MinHealthyTime),
    HealthyDeadline: r.int("HealthyDeadline", from.HealthyDeadline),
    ProgressDeadline: r.int("ProgressDeadline", from.ProgressDeadline),
    AutoRevert: r.bool("AutoRevert", from.AutoRevert),
    AutoPromote: r.bool("AutoPromote", from.AutoPromote),
    Canary: r.int("Canary", from.Canary),
  };
}

function migrateStrategy(r: Reader, from: MigrateStrategy): MigrateStrategy {
  return {
    MaxParallel: r.int("MaxParallel", from.MaxParallel),
    HealthCheck: r.str("HealthCheck", from.HealthCheck) as MigrateStrategy["HealthCheck"],
    MinHealthyTime: r.int("MinHealthyTime", from.MinHealthyTime),
    HealthyDeadline: r.int("HealthyDeadline", from.HealthyDeadline),
  };
}

function lifecycle(r: Reader | undefined): TaskLifecycle | null {
  if (r === undefined) return null;
  return { Hook: r.str("Hook", "") as TaskLifecycle["Hook"], Sidecar: r.bool("Sidecar", false) };
}

function task(r: Reader, groupRestart: RestartPolicy): Task {
  const rawConfig = r.o["Config"];
  if (rawConfig !== undefined && rawConfig !== null && !isObj(rawConfig)) {
    r.sink.error(at(r.path, "Config"), `must be an object, got ${show(rawConfig)}`);
  }
  const restart = r.obj("RestartPolicy", "RestartPolicy");
  const logs = r.obj("LogConfig", "LogConfig");
  return {
    Name: r.str("Name", ""),
    Driver: r.str("Driver", ""),
    User: r.str("User", ""),
    // Driver-specific: checked by the driver, kept as given.
    Config: isObj(rawConfig) ? rawConfig : {},
    Env: r.strMap("Env"),
    Resources: resources(r.obj("Resources", "Resources"), at(r.path, "Resources"), r.sink),
    Meta: r.strMap("Meta"),
    Constraints: r.list("Constraints", "Constraint", constraint),
    Affinities: r.list("Affinities", "Affinity", affinity),
    RestartPolicy: restart === undefined ? null : restartPolicy(restart, groupRestart),
    KillTimeout: r.int("KillTimeout", DEFAULT_KILL_TIMEOUT),
    KillSignal: r.str("KillSignal", ""),
    Leader: r.bool("Leader", false),
    LogConfig:
      logs === undefined
        ? { ...DEFAULT_LOG_CONFIG }
        : {
            MaxFiles: logs.int("MaxFiles", DEFAULT_LOG_CONFIG.MaxFiles),
            MaxFileSizeMB: logs.int("MaxFileSizeMB", DEFAULT_LOG_CONFIG.MaxFileSizeMB),
          },
    Lifecycle: lifecycle(r.obj("Lifecycle", "Lifecycle")),
    DispatchPayload: dispatchPayload(r.obj("DispatchPayload", "DispatchPayload")),
  };
}

function dispatchPayload(r: Reader | undefined): DispatchPayloadConfig | null {
  return r === undefined ? null : { File: r.str("File", "") };
}

interface JobDefaults {
  type: JobType;
  update: UpdateStrategy | null;
  reschedule: Reader | undefined;
  migrate: Reader | undefined;
}

function group(r: Reader, job: JobDefaults): TaskGroup {
  const batch = job.type === "batch" || job.type === "sysbatch";
  const restartReader = r.obj("RestartPolicy", "RestartPolicy");
  const groupRestart = restartPolicy(
    restartReader ?? new Reader({}, "", r.sink, "RestartPolicy"),
    batch ? DEFAULT_BATCH_RESTART : DEFAULT_SERVICE_RESTART,
  );

  // Reschedule: the type's default, then the job's block, then the group's, field by field.
  const rescheduleReader = r.obj("ReschedulePolicy", "ReschedulePolicy");
  let reschedule: ReschedulePolicy | null = null;
  if (job.type === "service" || job.type === "batch") {
    reschedule = batch ? DEFAULT_BATCH_RESCHEDULE : DEFAULT_SERVICE_RESCHEDULE;
  }
  if (job.reschedule !== undefined || rescheduleReader !== undefined) {
    let base = reschedule ?? DEFAULT_SERVICE_RESCHEDULE;
    if (job.reschedule !== undefined) base = reschedulePolicy(job.reschedule, base);
    reschedule = rescheduleReader === undefined ? base : reschedulePolicy(rescheduleReader, base);
  }
  if (reschedule !== null) reschedule = { ...reschedule };

  // Update: the group's block over the job's (itself over Nomad's defaults).
  const updateReader = r.obj("Update", "Update");
  const update =
    updateReader === undefined
      ? job.update === null
        ? null
        : { ...job.update }
      : updateStrategy(updateReader, job.update ?? DEFAULT_UPDATE);

  // Migrate: Nomad's default for service jobs, then the job's block, then the group's.
  const migrateReader = r.obj("Migrate", "Migrate");
  let migrate: MigrateStrategy | null = job.type === "service" ? { ...DEFAULT_MIGRATE } : null;
  if (job.migrate !== undefined || migrateReader !== undefined) {
    let base = migrate ?? DEFAULT_MIGRATE;
    if (job.migrate !== undefined) base = migrateStrategy(job.migrate, base);
    migrate = migrateReader === undefined ? base : migrateStrategy(migrateReader, base);
  }

  const disk = r.obj("EphemeralDisk", "EphemeralDisk");
  return {
    Name: r.str("Name", ""),
    Count: r.int("Count", 1),
    Constraints: r.list("Constraints", "Constraint", constraint),
    Affinities: r.list("Affinities", "Affinity", affinity),
    Spreads: r.list("Spreads", "Spread", spread),
    Tasks: r.list("Tasks", "Task", (t) => task(t, groupRestart)),
    RestartPolicy: groupRestart,
    ReschedulePolicy: reschedule,
    Update: update,
    Migrate: migrate,
    EphemeralDisk:
      disk === undefined
        ? { ...DEFAULT_EPHEMERAL_DISK }
        : {
            Sticky: disk.bool("Sticky", DEFAULT_EPHEMERAL_DISK.Sticky),
            SizeMB: disk.int("SizeMB", DEFAULT_EPHEMERAL_DISK.SizeMB),
            Migrate: disk.bool("Migrate", DEFAULT_EPHEMERAL_DISK.Migrate),
          },
    Networks: r.list("Networks", "Network", network),
    Meta: r.strMap("Meta"),
    Disconnect: disconnectStrategy(r, job.type),
  };
}

/**
 * The group's disconnect block, or the older group fields it replaces (Nomad 1.8): there is one
 * struct either way, and mixing the two forms is an error at the older field. Checked here, where
 * the form the user wrote is still known, so that errors point at what was written.
 */
function disconnectStrategy(r: Reader, jobType: JobType): DisconnectStrategy | null {
  const maxClient = r.nullableInt("MaxClientDisconnect");
  const stopAfter = r.nullableInt("StopAfterClientDisconnect");
  const block = r.obj("Disconnect", "Disconnect");
  const old = (key: string, replacement: string): void =>
    r.sink.error(
      at(r.path, key),
      `cannot be used together with a disconnect block (use disconnect.${replacement} instead)`,
    );
  let strategy: DisconnectStrategy;
  let lostAfterAt = at(r.path, "MaxClientDisconnect");
  let stopAt = at(r.path, "StopAfterClientDisconnect");
  if (block !== undefined) {
    if (maxClient !== null) old("MaxClientDisconnect", "lost_after");
    if (stopAfter !== null) old("StopAfterClientDisconnect", "stop_on_client_after");
    lostAfterAt = at(block.path, "LostAfter");
    stopAt = at(block.path, "StopOnClientAfter");
    const reconcile = block.str("Reconcile", "") || "best_score";
    if (!(DISCONNECT_RECONCILE as readonly string[]).includes(reconcile)) {
      r.sink.error(
        at(block.path, "Reconcile"),
        `must be one of ${DISCONNECT_RECONCILE.join(", ")}, got ${JSON.stringify(reconcile)}`,
      );
    }
    strategy = {
      LostAfter: block.int("LostAfter", 0),
      Replace: block.bool("Replace", true),
      Reconcile: reconcile as DisconnectReconcile,
      StopOnClientAfter: block.nullableInt("StopOnClientAfter"),
    };
  } else if (maxClient !== null || stopAfter !== null) {
    strategy = {
      LostAfter: maxClient ?? 0,
      Replace: true,
      Reconcile: "best_score",
      StopOnClientAfter: stopAfter,
    };
  } else {
    return null;
  }
  if (strategy.LostAfter < 0) r.sink.error(lostAfterAt, "must not be a negative duration");
  if (strategy.StopOnClientAfter !== null && strategy.StopOnClientAfter < 0) {
    r.sink.error(stopAt, "must not be a negative duration");
  }
  if (strategy.LostAfter > 0 && strategy.StopOnClientAfter !== null) {
    r.sink.error(stopAt, "cannot be used together with lost_after (max_client_disconnect)");
  }
  if (strategy.StopOnClientAfter !== null && jobType !== "service" && jobType !== "batch") {
    r.sink.error(stopAt, `can only be set in service and batch jobs, not ${jobType}`);
  }
  return strategy;
}

function periodic(r: Reader | undefined): PeriodicConfig | null {
  if (r === undefined) return null;
  let spec = r.str("Spec", "");
  const specs = r.strList("Specs");
  if (spec === "" && specs.length > 0) spec = specs[0] as string;
  if (specs.length > 1) {
    r.sink.warn(at(r.path, "Specs"), `only the first cron expression (${JSON.stringify(spec)}) is used`);
  }
  return {
    Enabled: r.bool("Enabled", true),
    Spec: spec,
    SpecType: r.str("SpecType", "cron") as PeriodicConfig["SpecType"],
    ProhibitOverlap: r.bool("ProhibitOverlap", false),
    TimeZone: r.str("TimeZone", "UTC") || "UTC",
  };
}

function parameterized(r: Reader | undefined): ParameterizedJobConfig | null {
  if (r === undefined) return null;
  return {
    Payload: (r.str("Payload", "optional") || "optional") as ParameterizedJobConfig["Payload"],
    MetaRequired: r.strList("MetaRequired"),
    MetaOptional: r.strList("MetaOptional"),
  };
}

/** The complete Job for an input in JSON API form; problems go to `sink`. */
export function canonicalize(input: unknown, submitTime: number, sink: Sink): Job {
  const o = isObj(input) ? input : {};
  if (!isObj(input)) sink.error("", `a job must be an object, got ${show(input)}`);
  const r = new Reader(o, "", sink, "Job");
  const id = r.str("ID", "");
  const typeText = r.str("Type", "service") || "service";
  const type = typeText as JobType;
  const defaultsType: JobType = ["service", "batch", "system", "sysbatch"].includes(typeText)
    ? type
    : "service";
  const updateReader = r.obj("Update", "Update");
  const update = updateReader === undefined ? null : updateStrategy(updateReader, DEFAULT_UPDATE);
  const defaults: JobDefaults = {
    type: defaultsType,
    update,
    reschedule: r.obj("Reschedule", "ReschedulePolicy"),
    migrate: r.obj("Migrate", "Migrate"),
  };
  const datacenters = r.strList("Datacenters");
  return {
    Region: r.str("Region", DEFAULT_REGION) || DEFAULT_REGION,
    Namespace: r.str("Namespace", DEFAULT_NAMESPACE) || DEFAULT_NAMESPACE,
    ID: id,
    Name: r.str("Name", id) || id,
    Type: type,
    Priority: r.int("Priority", 50),
    AllAtOnce: r.bool("AllAtOnce", false),
    Datacenters: datacenters.length === 0 ? ["*"] : datacenters,
    NodePool: r.str("NodePool", DEFAULT_NODE_POOL) || DEFAULT_NODE_POOL,
    Constraints: r.list("Constraints", "Constraint", constraint),
    Affinities: r.list("Affinities", "Affinity", affinity),
    Spreads: r.list("Spreads", "Spread", spread),
    TaskGroups: r.list("TaskGroups", "TaskGroup", (g) => group(g, defaults)),
    Update: update,
    Periodic: periodic(r.obj("Periodic", "Periodic")),
    ParameterizedJob: parameterized(r.obj("ParameterizedJob", "Parameterized")),
    ParentID: r.str("ParentID", ""),
    Dispatched: r.bool("Dispatched", false),
    Payload: r.str("Payload", ""),
    Meta: r.strMap("Meta"),
    Stop: r.bool("Stop", false),
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
