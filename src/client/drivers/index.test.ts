import { tmpdir } from "node:os";
import { describe, expect, it } from "vitest";
import { silentLogger } from "../../common/log.js";
import { createDrivers } from "./index.js";

describe("createDrivers", () => {
  const ctx = { logger: silentLogger(), dataDir: tmpdir() };

  it("always has exec, java and docker; raw_exec and mock only when enabled", () => {
    expect([...createDrivers({ enabled: new Set(), ctx }).keys()].sort()).toEqual(["docker", "exec", "java"]);
    expect([...createDrivers({ enabled: new Set(["raw_exec", "mock"]), ctx }).keys()].sort()).toEqual([
      "docker",
      "exec",
      "java",
      "mock",
      "raw_exec",
    ]);
  });

  it("keys each driver by its own name", () => {
    for (const [name, driver] of createDrivers({ enabled: new Set(["raw_exec", "mock"]), ctx })) {
      expect(driver.name).toBe(name);
    }
  });
});
