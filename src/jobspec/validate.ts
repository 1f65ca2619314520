import { Cron } from "croner";
import { pathComponentProblem } from "../common/names.js";
import {
  type Affinity,
  type Constraint,
  JOB_TYPES,
  type Job,
  type JobType,
  type NetworkResource,
  type Spread,
  type Task,
  type TaskGroup,
  type UpdateStrategy,
} from "../fsm/index.js";
import type { Sink } from "./canonicalize.js";

/**
 * Checks a canonical Job the way Nomad's `Job.Validate` does, reporting every problem (each with
 * its JSON path below the job) rather than stopping at the first. Messages are predicates about
 * the field at the path ("must be >= 0"), so the caller can put the field's name, as the user
 * wrote it, in front.
 */

// Job IDs name Raft keys, URLs and (through NOMAD_JOB_ID) task environments: no `/`, spaces, NUL
// or control characters, and never `.` or `..` since the first character is a letter or digit.
const ID_RE = /^[a-zA-Z0-9][a-zA-Z0-9._-]{0,127}$/;

/** Group and task names become directory and log file names on clients (alloc-dir.ts). */
function checkPathComponent(name: string, path: string, sink: Sink): void {
  const problem = pathComponentProblem(name);
  if (problem !== undefined) sink.error(path, problem);
}
const PORT_LABEL_RE = /^[a-zA-Z0-9_]+$/;
const MAX_COUNT = 100_000;

const CONSTRAINT_OPERANDS = [
  "=",
  "==",
  "is",
  "!=",
  "not",
  "<",
  "<=",
  ">",
  ">=",
  "regexp",
  "version",
  "semver",
  "set_contains",
  "set_contains_all",
  "set_contains_any",
  "is_set",
  "is_not_set",
  "distinct_hosts",
  "distinct_property",
];
const AFFINITY_OPERANDS = CONSTRAINT_OPERANDS.filter(
  (op) => !["distinct_hosts", "distinct_property", "is_set", "is_not_set"].includes(op),
);
const RESTART_MODES = ["fail", "delay"];
const DELAY_FUNCTIONS = ["constant", "exponential", "fibonacci"];
const UPDATE_HEALTH_CHECKS = ["checks", "task_states", "manual"];
const MIGRATE_HEALTH_CHECKS = ["checks", "task_states"];
const LIFECYCLE_HOOKS = ["prestart", "poststart", "poststop"];
const PAYLOAD_MODES = ["optional", "required", "forbidden"];

const oneOf = (values: readonly string[]) =>
  `must be one of ${values.map((v) => JSON.stringify(v)).join(", ")}`;
const dur = (ns: number) => (ns % 1e9 === 0 ? `${ns / 1e9}s` : `${ns / 1e6}ms`);

function validateConstraint(c: Constraint, path: string, sink: Sink): void {
  if (!CONSTRAINT_OPERANDS.includes(c.Operand)) {
    sink.error(`${path}.Operand`, `${JSON.stringify(c.Operand)} ${oneOf(CONSTRAINT_OPERANDS)}`);
    return;
  }
  if (c.Operand !== "distinct_hosts" && c.LTarget === "") sink.error(`${path}.LTarget`, "is required");
  if (c.Operand === "regexp") {
    try {
      new RegExp(c.RTarget);
    } catch (error) {
      sink.error(`${path}.RTarget`, `is not a valid regular expression: ${(error as Error).message}`);
    }
  }
  if (c.Operand === "distinct_property" && c.RTarget !== "" && !/^\d+$/.test(c.RTarget)) {
    sink.error(`${path}.RTarget`, "must be a whole number (the limit per value) for distinct_property");
  }
}

function validateAffinity(a: Affinity, path: string, sink: Sink): void {
  if (!AFFINITY_OPERANDS.includes(a.Operand)) {
    sink.error(`${path}.Operand`, `${JSON.stringify(a.Operand)} ${oneOf(AFFINITY_OPERANDS)}`);
  }
  if (a.LTarget === "") sink.error(`${path}.LTarget`, "is required");
  if (a.Weight === 0 || a.Weight < -100 || a.Weight > 100) {
    sink.error(`${path}.Weight`, `must be between -100 and 100 and not 0, got ${a.Weight}`);
  }
}

function validateSpread(s: Spread, path: string, sink: Sink): void {
  if (s.Attribute === "") sink.error(`${path}.Attribute`, "is required");
  if (s.Weight <= 0 || s.Weight > 100)
    sink.error(`${path}.Weight`, `must be between 1 and 100, got ${s.Weight}`);
  let total = 0;
  const seen = new Set<string>();
  s.SpreadTarget.forEach((t, i) => {
    const at = `${path}.SpreadTarget[${i}]`;
    if (t.Percent < 0 || t.Percent > 100)
      sink.error(`${at}.Percent`, `must be between 0 and 100, got ${t.Percent}`);
    if (seen.has(t.Value)) sink.error(at, `target ${JSON.stringify(t.Value)} is given twice`);
    seen.add(t.Value);
    total += t.Percent;
  });
  if (total > 100) sink.error(`${path}.SpreadTarget`, `percentages must add up to at most 100, got ${total}`);
}

function validateUpdate(u: UpdateStrategy, path: string, sink: Sink, type: JobType): void {
  if (!UPDATE_HEALTH_CHECKS.includes(u.HealthCheck)) {
    sink.error(`${path}.HealthCheck`, `${JSON.stringify(u.HealthCheck)} ${oneOf(UPDATE_HEALTH_CHECKS)}`);
  }
  if (u.MaxParallel < 0) sink.error(`${path}.MaxParallel`, `must be >= 0, got ${u.MaxParallel}`);
  if (u.Canary < 0) sink.error(`${path}.Canary`, `must be >= 0, got ${u.Canary}`);
  if (u.Canary > 0 && type === "system") sink.error(`${path}.Canary`, "cannot be used with system jobs");
  if (u.Stagger < 0) sink.error(`${path}.Stagger`, "must be >= 0");
  if (u.MinHealthyTime < 0) sink.error(`${path}.MinHealthyTime`, "must be >= 0");
  if (u.HealthyDeadline <= 0) sink.error(`${path}.HealthyDeadline`, "must be > 0");
  if (u.ProgressDeadline < 0) sink.error(`${path}.ProgressDeadline`, "must be >= 0");
  if (u.HealthyDeadline > 0 && u.MinHealthyTime >= u.HealthyDeadline) {
    sink.error(
      `${path}.MinHealthyTime`,
      `(${dur(u.MinHealthyTime)}) must be less than the healthy deadline (${dur(u.HealthyDeadline)})`,
    );
  }
  if (u.ProgressDeadline !== 0 && u.HealthyDeadline >= u.ProgressDeadline) {
    sink.error(
      `${path}.HealthyDeadline`,
      `(${dur(u.HealthyDeadline)}) must be less than the progress deadline (${dur(u.ProgressDeadline)})`,
    );
  }
}

function validateNetworks(
  networks: readonly NetworkResource[],
  path: string,
  sink: Sink,
  labels: Map<string, string>,
  statics: Map<string, string>,
): void {
  networks.forEach((n, ni) => {
    const at = `${path}[${ni}]`;
    if (n.MBits < 0) sink.error(`${at}.MBits`, "must be >= 0");
    const ports = [
      ...n.ReservedPorts.map((p, i) => ({ p, at: `${at}.ReservedPorts[${i}]`, reserved: true })),
      ...n.DynamicPorts.map((p, i) => ({ p, at: `${at}.DynamicPorts[${i}]`, reserved: false })),
    ];
    for (const { p, at: portAt, reserved } of ports) {
      if (!PORT_LABEL_RE.test(p.Label)) {
        sink.error(`${portAt}.Label`, `${JSON.stringify(p.Label)} must be letters, digits and _`);
      } else if (labels.has(p.Label)) {
        sink.error(`${portAt}.Label`, `${JSON.stringify(p.Label)} is already used by another port`);
      } else labels.set(p.Label, portAt);
      if (reserved) {
        if (p.Value < 1 || p.Value > 65535)
          sink.error(`${portAt}.Value`, `must be a port in 1..65535, got ${p.Value}`);
        const key = `${p.HostNetwork}:${p.Value}`;
        if (statics.has(key)) {
          sink.error(
            `${portAt}.Value`,
            `static port ${p.Value} is already reserved by port ${statics.get(key)}`,
          );
        } else statics.set(key, JSON.stringify(p.Label));
      }
      if (p.To < -1 || p.To > 65535)
        sink.error(`${portAt}.To`, `must be -1 or a port in 0..65535, got ${p.To}`);
    }
  });
}

function validateTask(
  t: Task,
  path: string,
  sink: Sink,
  labels: Map<string, string>,
  statics: Map<string, string>,
): void {
  if (t.Name === "") sink.error(`${path}.Name`, "is required");
  else checkPathComponent(t.Name, `${path}.Name`, sink);
  if (t.Driver === "") sink.error(`${path}.Driver`, "is required");
  const r = t.Resources;
  const rp = `${path}.Resources`;
  if (r.CPU < 1) sink.error(`${rp}.CPU`, `must be >= 1 MHz, got ${r.CPU}`);
  if (r.Cores < 0) sink.error(`${rp}.Cores`, "must be >= 0");
  if (r.MemoryMB < 10) sink.error(`${rp}.MemoryMB`, `must be >= 10 MB, got ${r.MemoryMB}`);
  if (r.MemoryMaxMB !== 0 && r.MemoryMaxMB < r.MemoryMB) {
    sink.error(`${rp}.MemoryMaxMB`, `(${r.MemoryMaxMB}) must be >= memory (${r.MemoryMB})`);
  }
  if (r.DiskMB < 0) sink.error(`${rp}.DiskMB`, "must be >= 0");
  validateNetworks(r.Networks, `${rp}.Networks`, sink, labels, statics);
  t.Constraints.forEach((c, i) => {
    validateConstraint(c, `${path}.Constraints[${i}]`, sink);
  });
  t.Affinities.forEach((a, i) => {
    validateAffinity(a, `${path}.Affinities[${i}]`, sink);
  });
  if (t.RestartPolicy !== null) validateRestart(t.RestartPolicy, `${path}.RestartPolicy`, sink);
  if (t.KillTimeout < 0) sink.error(`${path}.KillTimeout`, "must be >= 0");
  if (t.LogConfig.MaxFiles < 1)
    sink.error(`${path}.LogConfig.MaxFiles`, `must be >= 1, got ${t.LogConfig.MaxFiles}`);
  if (t.LogConfig.MaxFileSizeMB < 1) {
    sink.error(`${path}.LogConfig.MaxFileSizeMB`, `must be >= 1, got ${t.LogConfig.MaxFileSizeMB}`);
  }
  if (t.DispatchPayload !== null) {
    const file = t.DispatchPayload.File;
    // Written under the task's local/ dir: a path that climbs out of it (or is absolute) is refused.
    if (file === "" || file.startsWith("/") || file.split("/").includes("..")) {
      sink.error(
        `${path}.DispatchPayload.File`,
        "must be a relative path inside the task's local/ directory",
      );
    }
  }
  if (t.Lifecycle !== null) {
    if (!LIFECYCLE_HOOKS.includes(t.Lifecycle.Hook)) {
      sink.error(`${path}.Lifecycle.Hook`, `${JSON.stringify(t.Lifecycle.Hook)} ${oneOf(LIFECYCLE_HOOKS)}`);
    } else if (t.Lifecycle.Sidecar && t.Lifecycle.Hook === "poststop") {
      sink.error(`${path}.Lifecycle.Sidecar`, "cannot be true for a poststop task");
    }
  }
}

function validateRestart(p: TaskGroup["RestartPolicy"], path: string, sink: Sink): void {
  if (!RESTART_MODES.includes(p.Mode))
    sink.error(`${path}.Mode`, `${JSON.stringify(p.Mode)} ${oneOf(RESTART_MODES)}`);
  if (p.Attempts < 0) sink.error(`${path}.Attempts`, `must be >= 0, got ${p.Attempts}`);
  if (p.Delay < 0) sink.error(`${path}.Delay`, "must be >= 0");
  if (p.Interval < 0) sink.error(`${path}.Interval`, "must be >= 0");
  if (p.Interval > 0 && p.Attempts * p.Delay > p.Interval) {
    sink.error(
      path,
      `cannot restart ${p.Attempts} times with a delay of ${dur(p.Delay)} within an interval of ${dur(p.Interval)}`,
    );
  }
}

function validateGroup(g: TaskGroup, path: string, job: Job, sink: Sink): void {
  if (g.Name === "") sink.error(`${path}.Name`, "is required");
  else checkPathComponent(g.Name, `${path}.Name`, sink);
  if (g.Count < 0) sink.error(`${path}.Count`, `must be >= 0, got ${g.Count}`);
  else if (g.Count > MAX_COUNT) sink.error(`${path}.Count`, `must be <= ${MAX_COUNT}, got ${g.Count}`);
  if (job.Type === "system" || job.Type === "sysbatch") {
    if (g.Count > 1) sink.error(`${path}.Count`, `cannot exceed 1 for a ${job.Type} job, got ${g.Count}`);
    if (g.ReschedulePolicy !== null)
      sink.error(`${path}.ReschedulePolicy`, `cannot be used with ${job.Type} jobs`);
    if (g.Affinities.length > 0) sink.error(`${path}.Affinities`, `cannot be used with ${job.Type} jobs`);
    if (g.Spreads.length > 0) sink.error(`${path}.Spreads`, `cannot be used with ${job.Type} jobs`);
  }
  if (g.Tasks.length === 0) sink.error(`${path}.Tasks`, "must hold at least one task");
  g.Constraints.forEach((c, i) => {
    validateConstraint(c, `${path}.Constraints[${i}]`, sink);
  });
  g.Affinities.forEach((a, i) => {
    validateAffinity(a, `${path}.Affinities[${i}]`, sink);
  });
  g.Spreads.forEach((s, i) => {
    validateSpread(s, `${path}.Spreads[${i}]`, sink);
  });
  validateRestart(g.RestartPolicy, `${path}.RestartPolicy`, sink);
  const r = g.ReschedulePolicy;
  if (r !== null) {
    const rp = `${path}.ReschedulePolicy`;
    if (!DELAY_FUNCTIONS.includes(r.DelayFunction)) {
      sink.error(`${rp}.DelayFunction`, `${JSON.stringify(r.DelayFunction)} ${oneOf(DELAY_FUNCTIONS)}`);
    }
    if (r.Attempts < 0) sink.error(`${rp}.Attempts`, "must be >= 0");
    if (r.Delay < 0) sink.error(`${rp}.Delay`, "must be >= 0");
    if (r.Interval < 0) sink.error(`${rp}.Interval`, "must be >= 0");
    if (r.DelayFunction !== "constant" && r.MaxDelay < r.Delay) {
      sink.error(`${rp}.MaxDelay`, `(${dur(r.MaxDelay)}) must be >= the delay (${dur(r.Delay)})`);
    }
  }
  if (g.Update !== null) validateUpdate(g.Update, `${path}.Update`, sink, job.Type);
  const m = g.Migrate;
  if (m !== null) {
    const mp = `${path}.Migrate`;
    if (!MIGRATE_HEALTH_CHECKS.includes(m.HealthCheck)) {
      sink.error(`${mp}.HealthCheck`, `${JSON.stringify(m.HealthCheck)} ${oneOf(MIGRATE_HEALTH_CHECKS)}`);
    }
    if (m.MaxParallel < 0) sink.error(`${mp}.MaxParallel`, "must be >= 0");
    if (m.MinHealthyTime < 0) sink.error(`${mp}.MinHealthyTime`, "must be >= 0");
    if (m.MinHealthyTime >= m.HealthyDeadline) {
      sink.error(
        `${mp}.MinHealthyTime`,
        `(${dur(m.MinHealthyTime)}) must be less than the healthy deadline (${dur(m.HealthyDeadline)})`,
      );
    }
  }
  if (g.EphemeralDisk.SizeMB < 0) sink.error(`${path}.EphemeralDisk.SizeMB`, "must be >= 0");
  if (g.Networks.length > 1) sink.error(`${path}.Networks`, "only one network is allowed per group");
  // The disconnect block is checked where it is canonicalized (it may come from two forms).

  const labels = new Map<string, string>();
  const statics = new Map<string, string>();
  validateNetworks(g.Networks, `${path}.Networks`, sink, labels, statics);
  const names = new Set<string>();
  let leaders = 0;
  let logMB = 0;
  g.Tasks.forEach((t, i) => {
    const tp = `${path}.Tasks[${i}]`;
    if (t.Name !== "" && names.has(t.Name))
      sink.error(`${tp}.Name`, `${JSON.stringify(t.Name)} is used by another task`);
    names.add(t.Name);
    if (t.Leader) leaders++;
    logMB += t.LogConfig.MaxFiles * t.LogConfig.MaxFileSizeMB;
    validateTask(t, tp, sink, labels, statics);
  });
  if (leaders > 1) sink.error(`${path}.Tasks`, `only one task may be the leader, ${leaders} are`);
  if (g.Tasks.length > 0 && g.Tasks.every((t) => t.Lifecycle !== null && !t.Lifecycle.Sidecar)) {
    sink.warn(`${path}.Tasks`, "every task has a lifecycle hook: the group has no main task");
  }
  if (g.EphemeralDisk.SizeMB > 0 && logMB >= g.EphemeralDisk.SizeMB) {
    sink.warn(
      `${path}.EphemeralDisk.SizeMB`,
      `the tasks' logs may use ${logMB} MB, not less than the ephemeral disk (${g.EphemeralDisk.SizeMB} MB)`,
    );
  }
}

/** Whether `tz` is a time zone this runtime knows. */
function validTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export function validate(job: Job, sink: Sink): void {
  if (job.ID === "") sink.error("ID", "is required");
  else if (!ID_RE.test(job.ID)) sink.error("ID", `${JSON.stringify(job.ID)} must match ${ID_RE.source}`);
  if (!JOB_TYPES.includes(job.Type)) sink.error("Type", `${JSON.stringify(job.Type)} ${oneOf(JOB_TYPES)}`);
  if (job.Priority < 1 || job.Priority > 100)
    sink.error("Priority", `must be between 1 and 100, got ${job.Priority}`);
  job.Datacenters.forEach((dc, i) => {
    if (dc === "") sink.error(`Datacenters[${i}]`, "must not be empty");
  });
  if (job.TaskGroups.length === 0) sink.error("TaskGroups", "a job needs at least one task group");
  job.Constraints.forEach((c, i) => {
    validateConstraint(c, `Constraints[${i}]`, sink);
  });
  if ((job.Type === "system" || job.Type === "sysbatch") && job.Affinities.length > 0) {
    sink.error("Affinities", `cannot be used with ${job.Type} jobs`);
  }
  if ((job.Type === "system" || job.Type === "sysbatch") && job.Spreads.length > 0) {
    sink.error("Spreads", `cannot be used with ${job.Type} jobs`);
  }
  job.Affinities.forEach((a, i) => {
    validateAffinity(a, `Affinities[${i}]`, sink);
  });
  job.Spreads.forEach((s, i) => {
    validateSpread(s, `Spreads[${i}]`, sink);
  });
  if (job.Update !== null) validateUpdate(job.Update, "Update", sink, job.Type);
  const names = new Set<string>();
  job.TaskGroups.forEach((g, i) => {
    if (g.Name !== "" && names.has(g.Name)) {
      sink.error(`TaskGroups[${i}].Name`, `${JSON.stringify(g.Name)} is used by another group`);
    }
    names.add(g.Name);
    validateGroup(g, `TaskGroups[${i}]`, job, sink);
  });
  const p = job.Periodic;
  if (p?.Enabled) {
    if (job.Type !== "batch" && job.Type !== "sysbatch") {
      sink.error("Periodic", `can only be used with batch or sysbatch jobs, not ${job.Type}`);
    }
    if (p.SpecType !== "cron")
      sink.error("Periodic.SpecType", `${JSON.stringify(p.SpecType)} must be "cron"`);
    if (p.Spec === "") sink.error("Periodic.Spec", "is required");
    else {
      try {
        new Cron(p.Spec, { paused: true });
      } catch (error) {
        sink.error(
          "Periodic.Spec",
          `${JSON.stringify(p.Spec)} is not a valid cron expression: ${(error as Error).message}`,
        );
      }
    }
    if (!validTimeZone(p.TimeZone))
      sink.error("Periodic.TimeZone", `${JSON.stringify(p.TimeZone)} is not a known time zone`);
  }
  const pj = job.ParameterizedJob;
  if (pj !== null) {
    if (job.Type !== "batch" && job.Type !== "sysbatch") {
      sink.error("ParameterizedJob", `can only be used with batch or sysbatch jobs, not ${job.Type}`);
    }
    if (!PAYLOAD_MODES.includes(pj.Payload)) {
      sink.error("ParameterizedJob.Payload", `${JSON.stringify(pj.Payload)} ${oneOf(PAYLOAD_MODES)}`);
    }
    for (const key of pj.MetaRequired) {
      if (pj.MetaOptional.includes(key)) {
        sink.error(
          "ParameterizedJob.MetaOptional",
          `${JSON.stringify(key)} is also in the required meta keys`,
        );
      }
    }
  }
}
