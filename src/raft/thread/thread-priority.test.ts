import { readFileSync, readlinkSync } from "node:fs";
import { getPriority, setPriority } from "node:os";
import { describe, expect, it } from "vitest";
import { autogroupCaveat, raiseThreadPriority } from "./thread-priority.js";

/** The nice value of thread `tid` of this process, as the kernel reports it. */
function niceOf(tid: number): number {
  const stat = readFileSync(`/proc/${process.pid}/task/${tid}/stat`, "utf8");
  // Fields after the command name (which may hold spaces) start at ")"; nice is field 19.
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]);
}

describe.skipIf(process.platform !== "linux")("raiseThreadPriority", () => {
  it("lowers the calling thread's nice value and no other thread's, or says why it cannot", () => {
    const self = Number(readlinkSync("/proc/thread-self").split("/").at(-1));
    const before = niceOf(self);
    const mainBefore = niceOf(process.pid);
    const outcome = raiseThreadPriority(3);
    try {
      if (!outcome.raised) {
        // Without root or CAP_SYS_NICE the kernel refuses, and nothing changed.
        expect(outcome.reason).toMatch(/CAP_SYS_NICE/);
        expect(niceOf(self)).toBe(before);
        return;
      }
      expect(outcome.tid).toBe(self);
      expect(outcome.nice).toBe(Math.max(-20, before - 3));
      expect(niceOf(self)).toBe(outcome.nice);
      expect(getPriority(self)).toBe(outcome.nice);
      if (self !== process.pid) expect(niceOf(process.pid)).toBe(mainBefore);
    } finally {
      // Raising a nice value back is always allowed.
      if (outcome.raised) setPriority(self, before);
    }
  });
});

describe("autogroupCaveat", () => {
  /** A readFile over `files`; a path not listed reads as "" (unreadable). */
  const reading =
    (files: Record<string, string>) =>
    (path: string): string =>
      files[path] ?? "";
  const ENABLED = "/proc/sys/kernel/sched_autogroup_enabled";
  const CGROUP = "/proc/self/cgroup";
  const ROOT_SUBTREE = "/sys/fs/cgroup/cgroup.subtree_control";

  it("names the autogroup setting when it is on, and nothing when it is off or unreadable", () => {
    expect(autogroupCaveat(reading({ [ENABLED]: "1\n", [CGROUP]: "0::/\n" }))).toMatch(
      /sched_autogroup_enabled=1.*root CPU cgroup.*session/,
    );
    expect(autogroupCaveat(reading({ [ENABLED]: "1\n" }))).toBeDefined();
    expect(autogroupCaveat(reading({ [ENABLED]: "0\n", [CGROUP]: "0::/\n" }))).toBeUndefined();
    expect(autogroupCaveat(reading({}))).toBeUndefined();
  });

  it("says nothing for a process in a CPU cgroup of its own, where autogroup does not apply", () => {
    const v1 = "12:memory:/x\n4:cpu,cpuacct:/system.slice/drover-server.service\n0::/\n";
    expect(autogroupCaveat(reading({ [ENABLED]: "1", [CGROUP]: v1 }))).toBeUndefined();
    const v1Root = "12:memory:/x\n4:cpu,cpuacct:/\n0::/system.slice/drover-server.service\n";
    expect(autogroupCaveat(reading({ [ENABLED]: "1", [CGROUP]: v1Root }))).toBeDefined();
    const v2 = "0::/system.slice/drover-server.service\n";
    expect(
      autogroupCaveat(
        reading({ [ENABLED]: "1", [CGROUP]: v2, [ROOT_SUBTREE]: "cpuset cpu io memory pids\n" }),
      ),
    ).toBeUndefined();
    // Without the cpu controller below the root, every cgroup shares the root's CPU group.
    expect(
      autogroupCaveat(reading({ [ENABLED]: "1", [CGROUP]: v2, [ROOT_SUBTREE]: "memory pids\n" })),
    ).toBeDefined();
  });
});
