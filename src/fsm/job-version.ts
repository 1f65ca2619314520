import type { Job } from "./structs.js";

/** Fields the store manages; a change of only these is not a new version of the job. */
const VOLATILE: ReadonlySet<string> = new Set([
  "Version",
  "Stable",
  "Status",
  "StatusDescription",
  "SubmitTime",
  "CreateIndex",
  "ModifyIndex",
  "JobModifyIndex",
]);

/**
 * Whether two jobs differ only in fields the store manages (Nomad's Job.SpecChanged, negated).
 * Compared as Nomad's reflect.DeepEqual does: lists in order, maps (meta, env, driver config)
 * whatever the order of their keys, so a JSON job with its keys reordered is not a new version.
 */
export function sameJobSpec(a: Job, b: Job): boolean {
  const spec = (job: Job): string =>
    canonical(Object.fromEntries(Object.entries(job).filter(([key]) => !VOLATILE.has(key))));
  return spec(a) === spec(b);
}

/** JSON with every object's keys sorted (undefined members dropped, as JSON.stringify does). */
function canonical(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  const members = Object.entries(value)
    .filter(([, v]) => v !== undefined)
    .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
    .map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`);
  return `{${members.join(",")}}`;
}

/**
 * `submitted` as the store keeps it when registered at `index` over `existing` (Nomad
 * upsertJobImpl): a changed specification becomes the next version with JobModifyIndex at this
 * index; an unchanged one keeps the stored version and indexes. Used by the FSM's job-register
 * and by `job plan`'s dry run, so both number versions the same way.
 */
export function nextJobVersion(existing: Job | undefined, submitted: Job, index: number): Job {
  const changed = existing === undefined || !sameJobSpec(existing, submitted);
  return {
    ...submitted,
    Version: existing === undefined ? 0 : changed ? existing.Version + 1 : existing.Version,
    Stable: changed ? false : (existing?.Stable ?? false),
    Status: existing?.Status ?? "pending",
    CreateIndex: existing?.CreateIndex ?? index,
    ModifyIndex: index,
    JobModifyIndex: changed ? index : (existing?.JobModifyIndex ?? index),
  };
}
