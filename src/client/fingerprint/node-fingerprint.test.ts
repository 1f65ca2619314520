import { mkdtemp, readFile, rm } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLIENT_RPC_ADDRESS_ATTR } from "../../rpc/client-fs-client.js";
import type { ClientConfig } from "../client-config.js";
import type { Driver, DriverFingerprint, RecoverResult, RunningTask } from "../drivers/driver.js";
import { parseOsRelease } from "./host.js";
import { fingerprintNode } from "./node-fingerprint.js";

/** A driver that only answers its fingerprint: the node fingerprint asks nothing else of it. */
class FingerprintOnlyDriver implements Driver {
  constructor(
    readonly name: string,
    private readonly result: DriverFingerprint,
  ) {}
  async fingerprint(): Promise<DriverFingerprint> {
    return this.result;
  }
  validateConfig(): void {}
  start(): Promise<RunningTask> {
    throw new Error("not used by the fingerprint");
  }
  recover(): Promise<RecoverResult> {
    throw new Error("not used by the fingerprint");
  }
  async cleanup(): Promise<void> {}
}

const drivers = new Map<string, Driver>([
  [
    "good",
    new FingerprintOnlyDriver("good", {
      detected: true,
      healthy: true,
      healthDescription: "healthy",
      attributes: { "driver.good": "1", "driver.good.version": "1.2" },
    }),
  ],
  [
    "sick",
    new FingerprintOnlyDriver("sick", {
      detected: true,
      healthy: false,
      healthDescription: "daemon unreachable",
      attributes: { "driver.sick": "1" },
    }),
  ],
  [
    "absent",
    new FingerprintOnlyDriver("absent", {
      detected: false,
      healthy: false,
      healthDescription: "not installed",
      attributes: { "driver.absent": "1" },
    }),
  ],
]);

let dataDir = "";

function config(overrides: Partial<ClientConfig> = {}): ClientConfig {
  return {
    nodeName: "client-1",
    dataDir,
    bind: "127.0.0.1",
    rpcPort: 0,
    httpAddress: "127.0.0.1:4646",
    region: "global",
    datacenter: "dc2",
    nodeClass: "batch",
    nodePool: "pool-a",
    meta: { rack: "r7" },
    servers: ["127.0.0.1:4647"],
    cpuTotalComputeMhz: undefined,
    memoryTotalMb: undefined,
    driverEnable: [],
    reserved: { cpuMhz: 100, memoryMb: 256, diskMb: 1024, ports: "22" },
    ...overrides,
  };
}

const identity = { ID: "11111111-2222-4333-8444-555555555555", SecretID: "secret" };

describe("fingerprintNode on this machine", () => {
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "drover-fingerprint-"));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it("describes the machine in Nomad's attribute names", async () => {
    const node = await fingerprintNode(config(), identity, drivers, "127.0.0.1:4650", 42);
    const attrs = node.Attributes;
    expect(attrs["kernel.name"]).toBe("linux");
    expect(Number(attrs["cpu.numcores"])).toBeGreaterThanOrEqual(1);
    expect(Number(attrs["cpu.totalcompute"])).toBeGreaterThan(0);
    expect(Number(attrs["memory.totalbytes"])).toBeGreaterThan(0);
    expect(attrs["unique.hostname"]).toBe(hostname());
    expect(attrs["unique.network.ip-address"]).toBe("127.0.0.1");
    expect(attrs["unique.storage.volume"]).toBe(dataDir);
    expect(Number(attrs["unique.storage.bytestotal"])).toBeGreaterThan(0);
    expect(attrs["cpu.arch"]).toMatch(/^(amd64|arm64|386|arm)$/);
    expect(attrs["nomad.version"]).toMatch(/^\d+\.\d+\.\d+$/);
    expect(attrs[CLIENT_RPC_ADDRESS_ATTR]).toBe("127.0.0.1:4650");
    const osRelease = parseOsRelease(await readFile("/etc/os-release", "utf8").catch(() => ""));
    if (osRelease["ID"] !== undefined) expect(attrs["os.name"]).toBe(osRelease["ID"]);
  });

  it("advertises attributes only of drivers that are detected and healthy, and reports all", async () => {
    const node = await fingerprintNode(config(), identity, drivers, "127.0.0.1:4650", 42);
    expect(node.Attributes["driver.good"]).toBe("1");
    expect(node.Attributes["driver.good.version"]).toBe("1.2");
    expect(node.Attributes["driver.sick"]).toBeUndefined();
    expect(node.Attributes["driver.absent"]).toBeUndefined();
    expect(node.Drivers["good"]).toMatchObject({ Detected: true, Healthy: true, UpdateTime: 42 });
    expect(node.Drivers["sick"]).toMatchObject({
      Detected: true,
      Healthy: false,
      HealthDescription: "daemon unreachable",
    });
    expect(node.Drivers["absent"]).toMatchObject({ Detected: false, Healthy: false });
  });

  it("honours the cpu and memory overrides in attributes and resources", async () => {
    const node = await fingerprintNode(
      config({ cpuTotalComputeMhz: 9_000, memoryTotalMb: 3_000 }),
      identity,
      drivers,
      "127.0.0.1:4650",
      42,
    );
    const cores = Number(node.Attributes["cpu.numcores"]);
    expect(node.Attributes["cpu.totalcompute"]).toBe("9000");
    expect(node.Attributes["cpu.frequency"]).toBe(String(Math.round(9_000 / cores)));
    expect(node.NodeResources.Cpu).toEqual({ CpuShares: 9_000, TotalCpuCores: cores });
    expect(node.Attributes["memory.totalbytes"]).toBe(String(3_000 * 1024 * 1024));
    expect(node.NodeResources.Memory.MemoryMB).toBe(3_000);
  });

  it("carries the identity and the configuration: datacenter, class, pool, meta, reserved", async () => {
    const node = await fingerprintNode(config(), identity, drivers, "127.0.0.1:4650", 42);
    expect(node).toMatchObject({
      ID: identity.ID,
      SecretID: identity.SecretID,
      Name: "client-1",
      Datacenter: "dc2",
      NodeClass: "batch",
      NodePool: "pool-a",
      HTTPAddr: "127.0.0.1:4646",
      Meta: { rack: "r7" },
      Status: "ready",
      SchedulingEligibility: "eligible",
      StatusUpdatedAt: 42,
    });
    expect(node.ReservedResources).toEqual({
      Cpu: { CpuShares: 100 },
      Memory: { MemoryMB: 256 },
      Disk: { DiskMB: 1024 },
      Networks: { ReservedHostPorts: "22" },
    });
    expect(node.NodeResources.Networks[0]).toMatchObject({ Mode: "host", IP: "127.0.0.1" });
    expect(node.NodeResources.MinDynamicPort).toBeLessThan(node.NodeResources.MaxDynamicPort);
  });
});
