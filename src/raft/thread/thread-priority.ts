import { readFileSync, readlinkSync } from "node:fs";
import { getPriority, setPriority } from "node:os";

/**
 * How much lower a nice value the Raft thread asks for than its process has. The thread is idle
 * most of the time; when it wakes (a heartbeat to send, an append to persist and acknowledge) it
 * should not queue behind the main thread, the schedulers and every other process for a core:
 * on a loaded 2-core machine that wait, not Raft's own work, was its worst event-loop lag.
 */
export const RAFT_THREAD_NICE_BOOST = 5;

export type PriorityOutcome =
  | { readonly raised: true; readonly tid: number; readonly nice: number }
  | { readonly raised: false; readonly reason: string };

/**
 * Lowers the calling thread's nice value by `boost` below its current one (at most to -20). On
 * Linux a thread is a task with a nice value of its own, set through its thread id, which
 * /proc/thread-self names. Lowering a nice value needs root or CAP_SYS_NICE: without them (or
 * off Linux) the thread keeps its process's priority and the outcome says why, for the log.
 */
export function raiseThreadPriority(boost: number): PriorityOutcome {
  let tid: number;
  try {
    tid = Number(readlinkSync("/proc/thread-self").split("/").at(-1));
  } catch {
    return { raised: false, reason: "the thread's id is not known here (/proc/thread-self: Linux only)" };
  }
  if (!Number.isSafeInteger(tid) || tid <= 0) {
    return { raised: false, reason: "/proc/thread-self names no thread id" };
  }
  try {
    const nice = Math.max(-20, getPriority(tid) - boost);
    setPriority(tid, nice);
    return { raised: true, tid, nice };
  } catch (error) {
    const code = (error as { code?: string }).code ?? String(error);
    return {
      raised: false,
      reason: `setpriority: ${code} (lowering a nice value needs root or CAP_SYS_NICE)`,
    };
  }
}

/**
 * Why the priority may count for less than it seems, or undefined. With the kernel's autogroup
 * scheduling on (`kernel.sched_autogroup_enabled`, on by default in many distributions), tasks of
 * the root CPU cgroup are grouped by session, and the kernel shares CPU between those groups
 * first: a thread's nice value then weighs only against threads of its own session. A server
 * started in a session of its own (a shell, a supervisor that calls setsid) competes with every
 * other session as one equal group, however high its Raft thread's priority. The agent cannot
 * leave its session's group, so it says so in the log, and the local cluster keeps its agents in
 * its own session.
 *
 * The kernel autogroups only tasks of the root CPU cgroup, so a server with a CPU cgroup of its own
 * (systemd with CPUWeight=, a container) gets no caveat. In a cgroup namespace the namespace's
 * root looks like the root, so the caveat may then be one too many.
 */
export function autogroupCaveat(readFile: (path: string) => string = readText): string | undefined {
  const enabled = readFile("/proc/sys/kernel/sched_autogroup_enabled").trim();
  if (enabled !== "1") return undefined;
  if (inCpuCgroup(readFile)) return undefined;
  return (
    "kernel.sched_autogroup_enabled=1 and this process is in the root CPU cgroup: the kernel " +
    "shares CPU between sessions first, and the Raft thread's priority counts only against threads " +
    "of this session (sysctl kernel.sched_autogroup_enabled=0, or a CPU cgroup for the agent such " +
    "as systemd's CPUWeight=, lifts that)"
  );
}

/**
 * Whether this process is in a CPU cgroup other than the root one, from /proc/self/cgroup: under
 * cgroup v1 the `cpu` hierarchy's path; under v2 the unified path, which counts only when the root
 * hands the cpu controller down (a cgroup without it shares its nearest ancestor's CPU group).
 */
function inCpuCgroup(readFile: (path: string) => string): boolean {
  let unified: string | undefined;
  for (const line of readFile("/proc/self/cgroup").split("\n")) {
    const [, controllers, path] = line.split(/:(.*?):/);
    if (controllers === undefined || path === undefined) continue;
    if (controllers.split(",").includes("cpu")) return path !== "/";
    if (controllers === "") unified = path;
  }
  if (unified === undefined || unified === "/") return false;
  return readFile("/sys/fs/cgroup/cgroup.subtree_control").trim().split(" ").includes("cpu");
}

function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}
