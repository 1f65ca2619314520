import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  cpuWeight,
  createTaskCgroup,
  detectCgroups,
  memoryLimitBytes,
  parseProcCgroup,
  taskCgroupName,
} from "./cgroups.js";

const support = await detectCgroups();
if (support.kind === "none") console.log(`cgroups tests skipped: ${support.reason}`);

describe("cgroup helpers", () => {
  it("parses /proc/<pid>/cgroup for v1 and v2 lines", () => {
    const parsed = parseProcCgroup("4:memory:/a/b\n1:cpu,cpuacct:/\n0::/user.slice\n");
    expect(Object.fromEntries(parsed)).toEqual({ memory: "/a/b", cpu: "/", cpuacct: "/", "": "/user.slice" });
  });

  it("uses memory_max when it is above memory", () => {
    expect(memoryLimitBytes({ cpuMhz: 0, memoryMB: 64, memoryMaxMB: 128 })).toBe(128 * 1024 * 1024);
    expect(memoryLimitBytes({ cpuMhz: 0, memoryMB: 64, memoryMaxMB: 0 })).toBe(64 * 1024 * 1024);
  });

  it("maps MHz to a cpu.weight within 1..10000", () => {
    expect(cpuWeight(2)).toBe(1);
    expect(cpuWeight(1024)).toBe(39);
    expect(cpuWeight(10_000_000)).toBe(10_000);
  });

  it("names a task's cgroup safely", () => {
    expect(taskCgroupName("a1", "we b/x")).toBe("a1-we_b_x");
  });

  it("reports no cgroups, with a reason, when the mount has none", async () => {
    const dir = await mkdtemp(join(tmpdir(), "drover-cg-"));
    try {
      const result = await detectCgroups({ mount: dir, selfCgroup: new Map() });
      expect(result.kind).toBe("none");
      expect(result.kind === "none" && result.reason).toMatch(/memory controller/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(support.kind === "none")("task cgroup on this host", () => {
  it("sets limits, holds a process, lists it, and is removed after it ends", async () => {
    if (support.kind === "none") return;
    const cgroup = await createTaskCgroup(support, taskCgroupName(`test${process.pid}`, "cg"), {
      cpuMhz: 250,
      memoryMB: 64,
      memoryMaxMB: 0,
    });
    const [memoryDir] = cgroup.ref.paths as [string];
    const limitFile = support.kind === "v2" ? "memory.max" : "memory.limit_in_bytes";
    expect((await readFile(join(memoryDir, limitFile), "utf8")).trim()).toBe(String(64 * 1024 * 1024));

    const child = spawn("sleep", ["300"], { stdio: "ignore" });
    const exited = new Promise((resolve) => child.once("exit", resolve));
    const pid = child.pid as number;
    for (const file of cgroup.procsFiles) await writeFile(file, String(pid));
    expect(await cgroup.pids()).toEqual([pid]);
    expect(await cgroup.oomKilled(0)).toBe(false);

    child.kill("SIGKILL");
    await exited;
    await cgroup.remove();
    await cgroup.remove(); // idempotent
    expect(await cgroup.pids()).toEqual([]);
  });
});
