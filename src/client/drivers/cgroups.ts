import { access, mkdir, readFile, rmdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

/**
 * Per-task cgroups for the exec and java drivers: memory and cpu limits, the list of a task's
 * pids (so a kill reaches processes that left the process group), and OOM-kill detection.
 *
 * Placement: task cgroups live under the AGENT'S OWN cgroup (from /proc/self/cgroup) in a
 * `drover/` child, per controller. Tasks thus stay inside whatever limits the agent was given
 * (a systemd unit, a container) instead of escaping to the root of the hierarchy.
 *
 * Detection never throws: when nothing is usable the result is `{ kind: "none", reason }` and the
 * driver runs tasks without limits (and says why, once).
 */

export type CgroupSupport =
  | { kind: "v1"; memoryDir: string; cpuDir: string | undefined }
  | { kind: "v2"; dir: string }
  | { kind: "none"; reason: string };

export interface CgroupLimits {
  cpuMhz: number;
  memoryMB: number;
  memoryMaxMB: number;
}

/** What a task's handle keeps so that a restarted agent finds the task's cgroup again. */
export interface CgroupRef {
  kind: "v1" | "v2";
  /** The task's cgroup directories: v1 memory (then cpu when present), or the single v2 one. */
  paths: string[];
}

export interface DetectOptions {
  /** Where cgroupfs is mounted. */
  mount?: string;
  /** Path of the agent's own cgroup per controller ("" = the v2 unified one); default /proc/self/cgroup. */
  selfCgroup?: Map<string, string>;
}

export async function detectCgroups(options: DetectOptions = {}): Promise<CgroupSupport> {
  const mount = options.mount ?? "/sys/fs/cgroup";
  try {
    const self = options.selfCgroup ?? parseProcCgroup(await readFile("/proc/self/cgroup", "utf8"));
    if (await exists(join(mount, "cgroup.controllers"))) return await detectV2(mount, self);
    return await detectV1(mount, self);
  } catch (err) {
    return { kind: "none", reason: `cgroups are not usable: ${describe(err)}` };
  }
}

/** Parses /proc/<pid>/cgroup: controller name → path ("" key for the v2 unified hierarchy). */
export function parseProcCgroup(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    const match = /^\d+:([^:]*):(.*)$/.exec(line);
    if (match === null) continue;
    for (const controller of (match[1] as string).split(",")) out.set(controller, match[2] as string);
  }
  return out;
}

async function detectV1(mount: string, self: Map<string, string>): Promise<CgroupSupport> {
  const memoryMount = join(mount, "memory");
  if (!(await exists(join(memoryMount, "memory.limit_in_bytes")))) {
    return { kind: "none", reason: `no cgroup v2 and no v1 memory controller under ${mount}` };
  }
  const memoryDir = join(memoryMount, self.get("memory") ?? "/", "drover");
  const cpuMount = join(mount, "cpu");
  const cpuDir = (await exists(join(cpuMount, "cpu.shares")))
    ? join(cpuMount, self.get("cpu") ?? "/", "drover")
    : undefined;
  try {
    // Probe writability, and leave nothing behind: tasks recreate the directory as they start.
    for (const dir of cpuDir === undefined ? [memoryDir] : [memoryDir, cpuDir]) {
      await mkdir(dir, { recursive: true });
      await removeIfEmpty(dir);
    }
  } catch (err) {
    return { kind: "none", reason: `cgroup v1 is not writable: ${describe(err)}` };
  }
  return { kind: "v1", memoryDir, cpuDir };
}

/**
 * v2: the `drover` cgroup needs memory and cpu enabled in its parent's subtree_control (we try to
 * enable them) and in its own, for the task cgroups below it.
 */
async function detectV2(mount: string, self: Map<string, string>): Promise<CgroupSupport> {
  const parent = join(mount, self.get("") ?? "/");
  const dir = join(parent, "drover");
  const available = (await readFile(join(parent, "cgroup.controllers"), "utf8")).split(/\s+/);
  const missing = ["memory", "cpu"].filter((c) => !available.includes(c));
  if (missing.length > 0) {
    return { kind: "none", reason: `cgroup v2 controllers not delegated here: ${missing.join(", ")}` };
  }
  try {
    await enableControllers(parent);
    await mkdir(dir, { recursive: true });
    await enableControllers(dir);
    await removeIfEmpty(dir);
  } catch (err) {
    return { kind: "none", reason: `cgroup v2 is not writable at ${parent}: ${describe(err)}` };
  }
  return { kind: "v2", dir };
}

async function enableControllers(dir: string): Promise<void> {
  const enabled = (await readFile(join(dir, "cgroup.subtree_control"), "utf8")).split(/\s+/);
  const wanted = ["memory", "cpu"].filter((c) => !enabled.includes(c));
  if (wanted.length > 0)
    await writeFile(join(dir, "cgroup.subtree_control"), wanted.map((c) => `+${c}`).join(" "));
}

/** A cgroup name for one task: `<allocId>-<task>` with anything but [A-Za-z0-9_.-] replaced. */
export function taskCgroupName(allocId: string, taskName: string): string {
  return `${allocId}-${taskName}`.replace(/[^A-Za-z0-9_.-]/g, "_");
}

/** The memory limit in bytes: memory_max when it raises the limit (oversubscription), else memory. */
export function memoryLimitBytes(limits: CgroupLimits): number {
  const mb = Math.max(limits.memoryMaxMB, limits.memoryMB);
  return mb * 1024 * 1024;
}

/** cpu.weight (1..10000) for MHz taken as v1 shares, by the conversion runc and systemd use. */
export function cpuWeight(cpuMhz: number): number {
  const shares = Math.max(2, Math.min(262_144, Math.round(cpuMhz)));
  return Math.max(1, Math.min(10_000, 1 + Math.floor(((shares - 2) * 9999) / 262_142)));
}

/** Where a task's cgroup is (or would be), without creating it. */
export function taskCgroupRef(support: Exclude<CgroupSupport, { kind: "none" }>, name: string): CgroupRef {
  return support.kind === "v2"
    ? { kind: "v2", paths: [join(support.dir, name)] }
    : {
        kind: "v1",
        paths: [join(support.memoryDir, name), ...(support.cpuDir ? [join(support.cpuDir, name)] : [])],
      };
}

/** Creates (or reuses, after a crash) a task's cgroup and writes its limits. */
export async function createTaskCgroup(
  support: Exclude<CgroupSupport, { kind: "none" }>,
  name: string,
  limits: CgroupLimits,
): Promise<TaskCgroup> {
  const ref = taskCgroupRef(support, name);
  // The shared `drover` parent is removed with its last task (see remove()), so recreate it here;
  // on v2 a recreated parent needs its controllers enabled again.
  if (support.kind === "v2") {
    await mkdir(support.dir, { recursive: true });
    await enableControllers(support.dir);
  }
  for (const path of ref.paths) await mkdir(path, { recursive: true });
  const cgroup = new TaskCgroup(ref);
  await cgroup.applyLimits(limits);
  return cgroup;
}

/** One task's cgroup (v1: its memory and cpu directories; v2: one directory). */
export class TaskCgroup {
  constructor(readonly ref: CgroupRef) {}

  /** The files a process writes its pid to, to join the cgroup (every controller's directory). */
  get procsFiles(): string[] {
    return this.ref.paths.map((p) => join(p, "cgroup.procs"));
  }

  async applyLimits(limits: CgroupLimits): Promise<void> {
    const [memory, cpu] = this.ref.paths as [string, string | undefined];
    const bytes = String(memoryLimitBytes(limits));
    if (this.ref.kind === "v2") {
      if (limits.memoryMB > 0) await writeFile(join(memory, "memory.max"), bytes);
      if (limits.cpuMhz > 0) await writeFile(join(memory, "cpu.weight"), String(cpuWeight(limits.cpuMhz)));
      return;
    }
    if (limits.memoryMB > 0) await writeFile(join(memory, "memory.limit_in_bytes"), bytes);
    if (cpu !== undefined && limits.cpuMhz > 0) {
      await writeFile(join(cpu, "cpu.shares"), String(Math.max(2, Math.round(limits.cpuMhz))));
    }
  }

  /** Every pid in the cgroup, across its controllers; [] once it is gone. */
  async pids(): Promise<number[]> {
    const all = new Set<number>();
    for (const file of this.procsFiles) {
      for (const line of (await readIfExists(file)).split("\n"))
        if (line.trim() !== "") all.add(Number(line));
    }
    return [...all];
  }

  /**
   * Whether the kernel OOM-killed something in the cgroup. v2: `oom_kill` in memory.events. v1:
   * `oom_kill` in memory.oom_control (kernels ≥ 4.13); on older kernels, a memory.failcnt > 0
   * together with an exit by SIGKILL is the best evidence there is.
   */
  async oomKilled(exitSignal: number): Promise<boolean> {
    const dir = this.ref.paths[0] as string;
    if (this.ref.kind === "v2") {
      return counter(await readIfExists(join(dir, "memory.events")), "oom_kill") > 0;
    }
    const control = await readIfExists(join(dir, "memory.oom_control"));
    if (/^oom_kill /m.test(control)) return counter(control, "oom_kill") > 0;
    const failcnt = Number((await readIfExists(join(dir, "memory.failcnt"))).trim() || "0");
    return failcnt > 0 && exitSignal === 9;
  }

  /**
   * Removes the cgroup; call once nothing of the task remains. Retries briefly while the kernel
   * still counts exiting processes (EBUSY). Idempotent. Also removes the shared `drover` parent
   * when this was its last task, so the agent leaves no empty cgroup behind in a hierarchy it
   * does not own (which would keep that hierarchy's owner from removing its own cgroup).
   */
  async remove(): Promise<void> {
    for (const path of [...this.ref.paths].reverse()) {
      await rmdirPatiently(path);
      await removeIfEmpty(dirname(path));
    }
  }
}

async function rmdirPatiently(path: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await rmdir(path);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOENT") return;
      if (code !== "EBUSY" || attempt >= 40) throw err;
      await sleep(50);
    }
  }
}

/** rmdir that leaves a cgroup with children or processes alone (EBUSY, ENOTEMPTY: still in use). */
async function removeIfEmpty(path: string): Promise<void> {
  try {
    await rmdir(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "EBUSY" && code !== "ENOTEMPTY" && code !== "ENOENT") throw err;
  }
}

function counter(text: string, key: string): number {
  const match = new RegExp(`^${key} (\\d+)$`, "m").exec(text);
  return match === null ? 0 : Number(match[1]);
}

async function readIfExists(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return "";
    throw err;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
