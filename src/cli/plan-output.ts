import type {
  DiffType,
  FieldDiff,
  JobDiff,
  ObjectDiff,
  TaskDiff,
  TaskGroupDiff,
} from "../scheduler/job-diff.js";
import type { PlanAnswer } from "./http-client.js";
import { placementFailureLines } from "./output.js";

/**
 * How `job plan` prints (Nomad's command/job_plan.go, without colours): the job diff, the
 * scheduler's dry run per group, placement failures in words, and the job modify index to run
 * with. Markers: `+` added, `-` deleted, `~` edited, `+/-` a task that forces new allocations.
 * Pure: returns strings and the exit code.
 */

/** The task annotation that marks a change needing new allocations (printed with `+/-`). */
const DESTRUCTIVE = "forces create/destroy update";

function marker(type: DiffType, destructive = false): string {
  switch (type) {
    case "Added":
      return "+ ";
    case "Deleted":
      return "- ";
    case "Edited":
      return destructive ? "+/- " : "~ ";
    default:
      return "";
  }
}

const quote = (s: string): string => JSON.stringify(s);
const spaces = (n: number): string => " ".repeat(Math.max(0, n));

function longest(
  fields: readonly FieldDiff[],
  objects: readonly ObjectDiff[],
): { field: number; mark: number } {
  let field = 0;
  let mark = 0;
  for (const f of fields) {
    field = Math.max(field, f.Name.length);
    mark = Math.max(mark, marker(f.Type).length);
  }
  for (const o of objects) mark = Math.max(mark, marker(o.Type).length);
  return { field, mark };
}

function fieldLine(diff: FieldDiff, start: number, keyPad: number, valuePad: number): string {
  const head = `${spaces(start)}${marker(diff.Type)}${spaces(keyPad)}${diff.Name}: ${spaces(valuePad)}`;
  switch (diff.Type) {
    case "Added":
      return head + quote(diff.New);
    case "Deleted":
      return head + quote(diff.Old);
    case "Edited":
      return `${head}${quote(diff.Old)} => ${quote(diff.New)}`;
    default:
      return head + quote(diff.New);
  }
}

function objectLines(diff: ObjectDiff, start: number, keyPad: number): string[] {
  const mark = marker(diff.Type);
  const lines = [`${spaces(start)}${mark}${spaces(keyPad)}${diff.Name} {`];
  lines.push(...aligned(diff.Fields ?? [], diff.Objects ?? [], start + keyPad + 2));
  lines.push(`${spaces(start + mark.length + keyPad)}}`);
  return lines;
}

function aligned(fields: readonly FieldDiff[], objects: readonly ObjectDiff[], start: number): string[] {
  const { field, mark } = longest(fields, objects);
  const lines: string[] = [];
  for (const f of fields) {
    lines.push(fieldLine(f, start, mark - marker(f.Type).length, field - f.Name.length));
  }
  for (const o of objects) lines.push(...objectLines(o, start, mark - marker(o.Type).length));
  return lines;
}

function taskLines(task: TaskDiff, start: number, pad: number, verbose: boolean): string[] {
  const destructive = task.Annotations?.includes(DESTRUCTIVE) ?? false;
  let head = `${spaces(start)}${marker(task.Type, destructive)}${spaces(pad)}Task: ${quote(task.Name)}`;
  if ((task.Annotations ?? []).length > 0) head += ` (${(task.Annotations ?? []).join(", ")})`;
  if (task.Type === "None" || ((task.Type === "Added" || task.Type === "Deleted") && !verbose)) return [head];
  return [head, ...aligned(task.Fields ?? [], task.Objects ?? [], start + 2)];
}

/** "(1 create, 2 in-place update)": the group's updates, sorted as Nomad sorts them. */
export function updatesText(updates: Record<string, number> | null): string {
  const words = Object.keys(updates ?? {}).sort();
  if (words.length === 0) return "";
  return ` (${words.map((w) => `${(updates as Record<string, number>)[w]} ${w}`).join(", ")})`;
}

function groupMarker(group: TaskGroupDiff): string {
  const destructive = (group.Tasks ?? []).some((t) => t.Annotations?.includes(DESTRUCTIVE) ?? false);
  return marker(group.Type, destructive);
}

function groupLines(group: TaskGroupDiff, pad: number, verbose: boolean): string[] {
  const lines = [
    `${groupMarker(group)}${spaces(pad)}Task Group: ${quote(group.Name)}${updatesText(group.Updates)}`,
  ];
  const tasks = group.Tasks ?? [];
  const { field, mark: fieldMark } = longest(group.Fields ?? [], group.Objects ?? []);
  const mark = Math.max(
    fieldMark,
    ...tasks.map((t) => marker(t.Type, t.Annotations?.includes(DESTRUCTIVE) ?? false).length),
  );
  const start = pad + 2;
  if (group.Type === "Edited" || verbose) {
    for (const f of group.Fields ?? []) {
      lines.push(fieldLine(f, start, mark - marker(f.Type).length, field - f.Name.length));
    }
    for (const o of group.Objects ?? []) lines.push(...objectLines(o, start, mark - marker(o.Type).length));
  }
  for (const task of tasks) {
    const taskMark = marker(task.Type, task.Annotations?.includes(DESTRUCTIVE) ?? false).length;
    lines.push(...taskLines(task, start, mark - taskMark, verbose));
  }
  return lines;
}

/** The job diff: the job's own fields when it is edited (or -verbose), then every group. */
export function formatJobDiff(diff: JobDiff, verbose = false): string {
  const groups = diff.TaskGroups ?? [];
  const lines = [`${marker(diff.Type)}Job: ${quote(diff.ID)}`];
  const mark = Math.max(
    longest(diff.Fields ?? [], diff.Objects ?? []).mark,
    ...groups.map((g) => groupMarker(g).length),
  );
  if (diff.Type === "Edited" || verbose) {
    const { field } = longest(diff.Fields ?? [], diff.Objects ?? []);
    for (const f of diff.Fields ?? []) {
      lines.push(fieldLine(f, 0, mark - marker(f.Type).length, field - f.Name.length));
    }
    for (const o of diff.Objects ?? []) lines.push(...objectLines(o, 0, mark - marker(o.Type).length));
  }
  for (const group of groups) lines.push(...groupLines(group, mark - groupMarker(group).length, verbose));
  return lines.join("\n");
}

/** Nomad's "Scheduler dry-run" block. */
export function formatDryRun(plan: PlanAnswer, jobType: string): string {
  const failed = Object.keys(plan.FailedTGAllocs ?? {}).sort();
  if (failed.length === 0) return "- All tasks successfully allocated.";
  const lines = [
    jobType === "system"
      ? "- WARNING: Failed to place allocations on all nodes."
      : "- WARNING: Failed to place all allocations.",
  ];
  for (const group of failed) {
    const metric = plan.FailedTGAllocs[group];
    if (metric === undefined) continue;
    for (const line of placementFailureLines(group, metric)) lines.push(`  ${line}`);
  }
  return lines.join("\n");
}

/**
 * The exit code of `job plan`: 2 when some placements would fail, 1 when allocations would be
 * created, stopped, migrated or replaced, 0 when nothing would change (Nomad's getExitCode, plus
 * Drover's 2).
 */
export function planExitCode(plan: PlanAnswer): number {
  if (Object.keys(plan.FailedTGAllocs ?? {}).length > 0) return 2;
  if (plan.Diff !== null && plan.Diff.Type === "None") return 0;
  for (const d of Object.values(plan.Annotations?.DesiredTGUpdates ?? {})) {
    if (d.Stop + d.Place + d.Migrate + d.DestructiveUpdate + d.Canary > 0) return 1;
  }
  return 0;
}

/** The closing lines: the index to run with and how. */
export function formatCheckIndex(index: number, runArgs: string, file: string): string {
  return [
    `Job Modify Index: ${index}`,
    "To submit the job with version verification run:",
    "",
    `drover job run -check-index ${index} ${runArgs}${file}`,
    "",
    "When running the job with the check-index flag, the job will only be run if the",
    "job modify index given matches the server-side version. If the index has",
    "changed, another user has modified the job and the plan's results are",
    "potentially invalid.",
  ].join("\n");
}

/** Everything `job plan` prints, and its exit code. */
export function formatPlan(
  plan: PlanAnswer,
  options: { jobType: string; file: string; runArgs?: string; diff?: boolean; verbose?: boolean },
): { text: string; exitCode: number } {
  const out: string[] = [];
  if (options.diff !== false && plan.Diff !== null) out.push(formatJobDiff(plan.Diff, options.verbose), "");
  out.push("Scheduler dry-run:", formatDryRun(plan, options.jobType), "");
  if (plan.Warnings !== "") out.push(`Job Warnings:\n${plan.Warnings}`, "");
  out.push(formatCheckIndex(plan.JobModifyIndex, options.runArgs ?? "", options.file));
  return { text: out.join("\n"), exitCode: planExitCode(plan) };
}
