import type { Job, Task, TaskGroup } from "../fsm/structs.js";

/**
 * Nomad's structured job diff (nomad/structs/diff.go), as `job plan` shows it: field by field,
 * for the job, its task groups and their tasks, with blocks (Update, RestartPolicy, Resources,
 * Networks, Config, …) as nested objects. Pure: the scheduler's annotations (a group's Updates,
 * a task's "forces create/destroy update") are added by job-plan.ts.
 *
 * Conventions (Nomad's): maps such as Env and Meta are fields named `Env[KEY]`; Config is one
 * object whose fields are its flattened leaves (`args[0]`, `port_map[0][db]`); lists of primitives
 * (Datacenters) are an object of set members; lists of blocks are paired by position. Inside an
 * edited object, unchanged fields are listed with Type "None" for context (Nomad's contextual
 * diff); added and deleted objects list all their fields.
 */
export type DiffType = "Added" | "Deleted" | "Edited" | "None";

export interface FieldDiff {
  Type: DiffType;
  Name: string;
  Old: string;
  New: string;
  Annotations: string[] | null;
}

export interface ObjectDiff {
  Type: DiffType;
  Name: string;
  Fields: FieldDiff[] | null;
  Objects: ObjectDiff[] | null;
}

export interface TaskDiff {
  Type: DiffType;
  Name: string;
  Fields: FieldDiff[] | null;
  Objects: ObjectDiff[] | null;
  Annotations: string[] | null;
}

export interface TaskGroupDiff {
  Type: DiffType;
  Name: string;
  Fields: FieldDiff[] | null;
  Objects: ObjectDiff[] | null;
  Tasks: TaskDiff[] | null;
  /** Nomad's update words ("create", "in-place update", …) → count; filled in by the plan. */
  Updates: Record<string, number> | null;
}

export interface JobDiff {
  Type: DiffType;
  ID: string;
  Fields: FieldDiff[] | null;
  Objects: ObjectDiff[] | null;
  TaskGroups: TaskGroupDiff[] | null;
}

/** Job fields the store manages, never part of a diff (Nomad's diff ignores them too). */
const JOB_IGNORED = new Set([
  "TaskGroups",
  "Version",
  "Stable",
  "Status",
  "StatusDescription",
  "SubmitTime",
  "CreateIndex",
  "ModifyIndex",
  "JobModifyIndex",
]);
/** Maps whose entries are fields of their parent: `Meta[key]`, `Env[KEY]`. */
const MAP_FIELDS = new Set(["Meta", "Env"]);
/** Blocks shown as one object of flattened leaves. */
const FLAT_OBJECTS = new Set(["Config"]);
/** The object name of one element of a list of blocks. */
const ELEMENT_NAME: Record<string, string> = {
  Constraints: "Constraint",
  Affinities: "Affinity",
  Spreads: "Spread",
  SpreadTarget: "SpreadTarget",
  Networks: "Network",
  ReservedPorts: "Static Port",
  DynamicPorts: "Dynamic Port",
};

type Value = unknown;
type Obj = Record<string, Value>;

const isObject = (v: Value): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const isPrimitive = (v: Value): boolean =>
  typeof v === "string" || typeof v === "number" || typeof v === "boolean";
/** Absent, null, and empty blocks are "not there". */
const absent = (v: Value): boolean => v === undefined || v === null;

function text(v: Value): string {
  return absent(v) ? "" : String(v);
}

function fieldDiff(name: string, old: Value, now: Value, contextual: boolean): FieldDiff | null {
  const o = absent(old) ? undefined : text(old);
  const n = absent(now) ? undefined : text(now);
  if (o === undefined && n === undefined) return null;
  let type: DiffType;
  if (o === undefined) type = "Added";
  else if (n === undefined) type = "Deleted";
  else if (o !== n) type = "Edited";
  else if (contextual) type = "None";
  else return null;
  return { Type: type, Name: name, Old: o ?? "", New: n ?? "", Annotations: null };
}

/** Leaves of a nested value as `prefix[key]` / `prefix[i]` → text (Nomad's flatmap). */
function flatten(value: Value, prefix: string, out: Map<string, string>): void {
  if (absent(value)) return;
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) flatten(v, `${prefix}[${i}]`, out);
  } else if (isObject(value)) {
    for (const key of Object.keys(value).sort()) {
      flatten(value[key], prefix === "" ? key : `${prefix}[${key}]`, out);
    }
  } else out.set(prefix, text(value));
}

function flatFieldDiffs(old: Value, now: Value, prefix: string, contextual: boolean): FieldDiff[] {
  const a = new Map<string, string>();
  const b = new Map<string, string>();
  flatten(old, prefix, a);
  flatten(now, prefix, b);
  const names = [...new Set([...a.keys(), ...b.keys()])].sort();
  const out: FieldDiff[] = [];
  for (const name of names) {
    const d = fieldDiff(name, a.get(name), b.get(name), contextual);
    if (d !== null) out.push(d);
  }
  return out;
}

function typeOf(fields: readonly FieldDiff[], objects: readonly ObjectDiff[]): DiffType {
  return fields.some((f) => f.Type !== "None") || objects.some((o) => o.Type !== "None") ? "Edited" : "None";
}

function orNull<T>(list: T[]): T[] | null {
  return list.length === 0 ? null : list;
}

/**
 * The fields and nested objects of two versions of a struct: primitives and maps become fields
 * (changed ones, or all when `contextual`); blocks and lists become objects (changed ones only).
 */
function structDiff(
  old: Obj | undefined,
  now: Obj | undefined,
  contextual: boolean,
  ignore: ReadonlySet<string> = new Set(),
): { fields: FieldDiff[]; objects: ObjectDiff[] } {
  const fields: FieldDiff[] = [];
  const objects: ObjectDiff[] = [];
  const keys = [...new Set([...Object.keys(old ?? {}), ...Object.keys(now ?? {})])]
    .filter((k) => !ignore.has(k))
    .sort();
  for (const key of keys) {
    const a = old?.[key];
    const b = now?.[key];
    const sample = absent(b) ? a : b;
    if (absent(sample) || isPrimitive(sample)) {
      const d = fieldDiff(key, a, b, contextual);
      if (d !== null) fields.push(d);
    } else if (MAP_FIELDS.has(key)) {
      fields.push(...flatFieldDiffs(a, b, key, contextual));
    } else if (FLAT_OBJECTS.has(key)) {
      const flat = flatFieldDiffs(a, b, "", true);
      const type = objectType(a, b, flat, []);
      if (type !== "None") objects.push({ Type: type, Name: key, Fields: orNull(flat), Objects: null });
    } else if (Array.isArray(sample)) {
      objects.push(...listDiff(key, asList(a), asList(b)));
    } else {
      const d = objectDiff(key, a as Obj | undefined, b as Obj | undefined);
      if (d !== null) objects.push(d);
    }
  }
  return { fields, objects };
}

function asList(v: Value): Value[] {
  return Array.isArray(v) ? v : [];
}

function objectType(a: Value, b: Value, fields: FieldDiff[], objects: ObjectDiff[]): DiffType {
  if (absent(a) && !absent(b)) return "Added";
  if (!absent(a) && absent(b)) return "Deleted";
  return typeOf(fields, objects);
}

/** One block (Update, Resources, …): null when it did not change or is absent on both sides. */
export function objectDiff(
  name: string,
  old: object | null | undefined,
  now: object | null | undefined,
): ObjectDiff | null {
  if (absent(old) && absent(now)) return null;
  const { fields, objects } = structDiff(
    (old ?? undefined) as Obj | undefined,
    (now ?? undefined) as Obj | undefined,
    true,
  );
  const type = objectType(old, now, fields, objects);
  if (type === "None") return null;
  return { Type: type, Name: name, Fields: orNull(fields), Objects: orNull(objects) };
}

/** A list: primitives as one object of set members, blocks paired by position. */
function listDiff(key: string, old: Value[], now: Value[]): ObjectDiff[] {
  const sample = now[0] ?? old[0];
  if (sample === undefined) return [];
  if (isPrimitive(sample)) {
    const a = new Set(old.map(text));
    const b = new Set(now.map(text));
    const fields: FieldDiff[] = [];
    for (const v of [...new Set([...a, ...b])].sort()) {
      const d = fieldDiff(key, a.has(v) ? v : undefined, b.has(v) ? v : undefined, true);
      if (d !== null) fields.push(d);
    }
    const type = old.length === 0 ? "Added" : now.length === 0 ? "Deleted" : typeOf(fields, []);
    return type === "None" ? [] : [{ Type: type, Name: key, Fields: orNull(fields), Objects: null }];
  }
  const name = ELEMENT_NAME[key] ?? key;
  const out: ObjectDiff[] = [];
  for (let i = 0; i < Math.max(old.length, now.length); i++) {
    const d = objectDiff(name, old[i] as Obj | undefined, now[i] as Obj | undefined);
    if (d !== null) out.push(d);
  }
  return out;
}

/** A task of two group versions (matched by name). */
export function taskDiff(old: Task | undefined, now: Task | undefined): TaskDiff {
  const name = (now ?? old)?.Name ?? "";
  const { fields, objects } = structDiff(
    old as unknown as Obj | undefined,
    now as unknown as Obj | undefined,
    false,
    new Set(["Name"]),
  );
  const type = objectType(old, now, fields, objects);
  return { Type: type, Name: name, Fields: orNull(fields), Objects: orNull(objects), Annotations: null };
}

/** A task group of two job versions (matched by name), with its tasks in name order. */
export function taskGroupDiff(old: TaskGroup | undefined, now: TaskGroup | undefined): TaskGroupDiff {
  const name = (now ?? old)?.Name ?? "";
  const { fields, objects } = structDiff(
    old as unknown as Obj | undefined,
    now as unknown as Obj | undefined,
    false,
    new Set(["Name", "Tasks"]),
  );
  const names = [...new Set([...(old?.Tasks ?? []), ...(now?.Tasks ?? [])].map((t) => t.Name))].sort();
  const tasks = names.map((n) =>
    taskDiff(
      old?.Tasks.find((t) => t.Name === n),
      now?.Tasks.find((t) => t.Name === n),
    ),
  );
  let type = objectType(old, now, fields, objects);
  if (type === "None" && tasks.some((t) => t.Type !== "None")) type = "Edited";
  return {
    Type: type,
    Name: name,
    Fields: orNull(fields),
    Objects: orNull(objects),
    Tasks: orNull(tasks),
    Updates: null,
  };
}

/**
 * The diff from the stored job (`old`, undefined when new) to the submitted one (`now`,
 * undefined when it would be removed). Groups are listed in name order, unchanged ones too (with
 * Type "None"), so that the plan can show what the scheduler does to each.
 */
export function jobDiff(old: Job | undefined, now: Job | undefined): JobDiff {
  const id = (now ?? old)?.ID ?? "";
  const { fields, objects } = structDiff(
    old as unknown as Obj | undefined,
    now as unknown as Obj | undefined,
    false,
    JOB_IGNORED,
  );
  const names = [
    ...new Set([...(old?.TaskGroups ?? []), ...(now?.TaskGroups ?? [])].map((g) => g.Name)),
  ].sort();
  const groups = names.map((n) =>
    taskGroupDiff(
      old?.TaskGroups.find((g) => g.Name === n),
      now?.TaskGroups.find((g) => g.Name === n),
    ),
  );
  let type = objectType(old, now, fields, objects);
  if (type === "None" && groups.some((g) => g.Type !== "None")) type = "Edited";
  return {
    Type: type,
    ID: id,
    Fields: orNull(fields),
    Objects: orNull(objects),
    TaskGroups: orNull(groups),
  };
}
