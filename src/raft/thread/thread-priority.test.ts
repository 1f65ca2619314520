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
  it("names the autogroup setting when it is on, and nothing when it is off or unreadable", () => {
    const reading = (value: string) => (path: string) => {
      expect(path).toBe("/proc/sys/kernel/sched_autogroup_enabled");
      return value;
    };
    expect(autogroupCaveat(reading("1\n"))).toMatch(/sched_autogroup_enabled=1.*session/);
    expect(autogroupCaveat(reading("0\n"))).toBeUndefined();
    expect(autogroupCaveat(reading(""))).toBeUndefined();
  });
});
