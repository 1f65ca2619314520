import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const bin = join(import.meta.dirname, "..", "..", "bin", "drover.js");

function drover(...args: string[]): { status: number | null; stderr: string; stdout: string } {
  const res = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", timeout: 30_000 });
  return { status: res.status, stderr: res.stderr, stdout: res.stdout };
}

describe("drover agent (CLI)", () => {
  it("lists its flags in --help, single-dash spellings included", () => {
    const res = drover("agent", "-help");
    expect(res.status).toBe(0);
    for (const flag of [
      "--server",
      "--dev",
      "--bootstrap-expect",
      "--join",
      "--min-heartbeat-ttl",
      "--num-schedulers",
      "--log-level",
      "--log-json",
    ]) {
      expect(res.stdout).toContain(flag);
    }
  });

  it("exits 1 with one clear line when the configuration is incomplete", () => {
    const res = drover("agent", "-server");
    expect(res.status).toBe(1);
    expect(res.stderr.trim().split("\n")).toHaveLength(1);
    expect(res.stderr).toMatch(/--data-dir is required/);
  });

  it("exits 1 on a bad flag value", () => {
    const res = drover("agent", "--server", "--data-dir", "/tmp/x", "--rpc-port", "lots");
    expect(res.status).toBe(1);
    expect(res.stderr).toMatch(/--rpc-port/);
  });

  it("exits 1 on an unknown log level or a --log-json that is not a boolean, Nomad's spelling too", () => {
    const level = drover("agent", "-server", "-data-dir", "/tmp/x", "-log-level=loud");
    expect(level.status).toBe(1);
    expect(level.stderr).toMatch(/--log-level: unknown log level "loud"/);
    const json = drover("agent", "--server", "--data-dir", "/tmp/x", "--log-json=maybe");
    expect(json.status).toBe(1);
    expect(json.stderr).toMatch(/--log-json: expected true or false/);
  });
});
