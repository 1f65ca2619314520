import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ValidationError } from "../../common/errors.js";
import { AllocDir, inside } from "./alloc-dir.js";

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "drover-allocdir-"));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("AllocDir", () => {
  it("builds the shared and per-task trees, secrets 0700, and destroys them", async () => {
    const dir = new AllocDir(root, "a1");
    await dir.build();
    const task = await dir.buildTask("web");
    for (const path of [dir.logDir, dir.dataDir, dir.tmpDir, task.local, task.secrets, task.tmp]) {
      expect((await stat(path)).isDirectory()).toBe(true);
    }
    expect(dir.logDir).toBe(join(root, "a1", "alloc", "logs"));
    expect(task.local).toBe(join(root, "a1", "web", "local"));
    expect((await stat(task.secrets)).mode & 0o777).toBe(0o700);
    await dir.buildTask("web"); // idempotent
    await dir.destroy();
    await expect(stat(dir.dir)).rejects.toThrow();
    await dir.destroy(); // already gone is fine
  });

  it("writes a dispatch payload under the task's local/ dir, and nowhere else", async () => {
    const dir = new AllocDir(root, "a1");
    const paths = await dir.buildTask("t");
    const written = await dir.writeDispatchPayload(paths, "in/input.txt", Buffer.from("hello"));
    expect(written).toBe(join(paths.local, "in", "input.txt"));
    expect(await readFile(written, "utf8")).toBe("hello");
    for (const bad of ["../x", "/etc/x", "a/../../x", ".", ""]) {
      await expect(dir.writeDispatchPayload(paths, bad, Buffer.from("x"))).rejects.toThrow(ValidationError);
    }
  });

  it.each(["", ".", "..", "a/b", "..\\x", "x\0"])("rejects %j as an alloc id or task name", (name) => {
    expect(() => new AllocDir(root, name)).toThrow(ValidationError);
    expect(() => new AllocDir(root, "ok").taskDir(name)).toThrow(ValidationError);
  });
});

describe("inside (the resolved-path check behind every alloc dir path)", () => {
  it("accepts paths strictly below the root", () => {
    expect(inside(root, join(root, "a1", "web"), "task name")).toBe(join(root, "a1", "web"));
  });

  it.each([
    ["the root itself", () => root],
    ["its parent", () => join(root, "..")],
    ["a sibling reached through ..", () => join(root, "a1", "..", "..", "etc")],
    ["an absolute path elsewhere", () => "/etc/passwd"],
  ])("refuses %s", (_what, path) => {
    expect(() => inside(root, path(), "task name")).toThrow(/task name resolves outside/);
  });

  it("refuses a task name that would escape, before anything is created", () => {
    const dir = new AllocDir(root, "a1");
    for (const name of ["..", "../x", "a/../../b", "/etc", "a\u0000b"]) {
      expect(() => dir.taskDir(name)).toThrow(ValidationError);
    }
  });
});
