import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import {
  descendantsOf,
  isSameProcess,
  listProcesses,
  ProcessTree,
  type ProcStat,
  parseStat,
  readStartTicks,
} from "./process-tree.js";

const stat = (pid: number, ppid: number): ProcStat => ({
  pid,
  ppid,
  state: "S",
  pgrp: pid,
  session: pid,
  startTicks: 1,
});

describe("parseStat", () => {
  it("reads the fields after the last ')' even when comm has spaces and parentheses", () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
    fields[0] = "S";
    fields[1] = "77"; // ppid
    fields[2] = "78"; // pgrp
    fields[3] = "79"; // session
    fields[19] = "123456"; // starttime (field 22)
    const parsed = parseStat(`4242 (a) b (c)) ${fields.join(" ")}\n`);
    expect(parsed).toEqual({ pid: 4242, state: "S", ppid: 77, pgrp: 78, session: 79, startTicks: 123456 });
  });

  it("rejects garbage", () => {
    expect(parseStat("nonsense")).toBeUndefined();
  });
});

describe("process identity", () => {
  it("knows this process and rejects it with another start time", async () => {
    const ticks = await readStartTicks(process.pid);
    expect(ticks).toBeTypeOf("number");
    expect(await isSameProcess(process.pid, ticks as number)).toBe(true);
    expect(await isSameProcess(process.pid, (ticks as number) + 1)).toBe(false);
  });

  it("reports a missing pid as not the same process", async () => {
    expect(await readStartTicks(2 ** 22 + 1)).toBeUndefined();
    expect(await isSameProcess(2 ** 22 + 1, 0)).toBe(false);
  });

  it("lists this process", async () => {
    expect((await listProcesses()).some((p) => p.pid === process.pid)).toBe(true);
  });
});

describe("descendantsOf", () => {
  it("follows ppid links transitively and excludes the roots", () => {
    const table = [stat(1, 0), stat(10, 1), stat(11, 10), stat(12, 11), stat(20, 1)];
    expect(descendantsOf([10], table).map((p) => p.pid)).toEqual([11, 12]);
  });
});

describe("ProcessTree", () => {
  it("kills a tree whose grandchild left the process group and session", async () => {
    // sh is its own group and session leader; `setsid sleep` starts a new session under it.
    const child = spawn("/bin/sh", ["-c", "setsid sleep 300 & sleep 300 & wait"], {
      detached: true,
      stdio: "ignore",
    });
    const exited = new Promise((resolve) => child.once("exit", resolve));
    const pid = child.pid as number;
    const tree = new ProcessTree({ pid, startTicks: (await readStartTicks(pid)) as number }, pid);
    // Wait for both sleeps AND for setsid to have moved its one into a new session: right after
    // the fork it is still in sh's session (under load, that window is long enough to observe).
    const escapedMember = async () => {
      const members = await tree.members();
      if (members.length !== 3) return undefined;
      return (await listProcesses()).find((p) => members.some((m) => m.pid === p.pid) && p.session !== pid);
    };
    await expect.poll(escapedMember, { timeout: 10_000 }).toBeDefined();
    const escaped = await escapedMember();
    expect(escaped).toBeDefined();

    await tree.signal("SIGKILL");
    await exited;
    expect(await tree.waitGone(30_000)).toBe(true);
    expect(await isSameProcess(escaped?.pid as number, escaped?.startTicks as number)).toBe(false);
  });

  it("waitGone with 0 timeout checks once and says false while the tree runs", async () => {
    const child = spawn("sleep", ["300"], { detached: true, stdio: "ignore" });
    const exited = new Promise((resolve) => child.once("exit", resolve));
    const pid = child.pid as number;
    const tree = new ProcessTree({ pid, startTicks: (await readStartTicks(pid)) as number }, pid);
    expect(await tree.waitGone(0)).toBe(false);
    await tree.signal("SIGTERM");
    await exited;
    expect(await tree.waitGone(30_000)).toBe(true);
  });
});
