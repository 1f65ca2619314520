import type { Job, TaskGroup } from "../fsm/structs.js";

/**
 * Whether moving an allocation from `oldJob`'s group to `newJob`'s needs a new allocation
 * (destructive) or can be done in place (Nomad's tasksUpdated). Destructive: anything a running
 * task or the placement depends on — the set of tasks, their drivers, users, config, env,
 * resources, networks, ephemeral disk, constraints, affinities, spreads, datacenters or node pool.
 * Not destructive: count, metadata-only, update/migrate/reschedule/restart policies, priority.
 */
export function tasksUpdated(oldJob: Job, oldGroup: TaskGroup, newJob: Job, newGroup: TaskGroup): boolean {
  if (oldGroup.Tasks.length !== newGroup.Tasks.length) return true;
  if (!same(oldGroup.Networks, newGroup.Networks)) return true;
  if (!same(oldGroup.EphemeralDisk, newGroup.EphemeralDisk)) return true;
  if (!same(oldGroup.Constraints, newGroup.Constraints)) return true;
  if (!same(oldGroup.Affinities, newGroup.Affinities)) return true;
  if (!same(oldGroup.Spreads, newGroup.Spreads)) return true;
  if (!same(oldJob.Constraints, newJob.Constraints)) return true;
  if (!same(oldJob.Affinities, newJob.Affinities)) return true;
  if (!same(oldJob.Spreads, newJob.Spreads)) return true;
  if (!same(oldJob.Datacenters, newJob.Datacenters)) return true;
  if (oldJob.NodePool !== newJob.NodePool) return true;
  for (const newTask of newGroup.Tasks) {
    const oldTask = oldGroup.Tasks.find((t) => t.Name === newTask.Name);
    if (oldTask === undefined) return true;
    if (oldTask.Driver !== newTask.Driver || oldTask.User !== newTask.User) return true;
    if (!same(oldTask.Config, newTask.Config)) return true;
    if (!same(oldTask.Env, newTask.Env)) return true;
    if (!same(oldTask.Resources, newTask.Resources)) return true;
    if (!same(oldTask.Constraints, newTask.Constraints)) return true;
    if (!same(oldTask.Affinities, newTask.Affinities)) return true;
    // Nomad treats task meta as destructive: it is visible to the task as NOMAD_META_*.
    if (!same(oldTask.Meta, newTask.Meta)) return true;
  }
  return false;
}

function same(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

/** JSON with object keys sorted, so that key order never makes two equal values differ. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(v as Record<string, unknown>).sort()) {
      sorted[k] = (v as Record<string, unknown>)[k];
    }
    return sorted;
  });
}
