import type { DriverInfo, Node } from "../../fsm/index.js";

export interface SimNodeSpec {
  id: string;
  secretId: string;
  name: string;
  datacenter: string;
  nodeClass: string;
  nodePool: string;
  cpuMhz: number;
  memoryMb: number;
  diskMb: number;
  meta: Record<string, string>;
}

const SIM_DRIVERS = ["mock", "raw_exec", "exec", "docker"] as const;

/**
 * The Node a simulated client registers: what a real client's fingerprint would report for a
 * linux/amd64 machine of the given size with healthy mock, raw_exec, exec and docker drivers.
 */
export function simNode(spec: SimNodeSpec, now: number): Node {
  const drivers: Record<string, DriverInfo> = {};
  const attributes: Record<string, string> = {
    "kernel.name": "linux",
    "os.name": "debian",
    "cpu.arch": "amd64",
    "cpu.numcores": String(Math.max(1, Math.round(spec.cpuMhz / 2000))),
    "cpu.totalcompute": String(spec.cpuMhz),
    "memory.totalbytes": String(spec.memoryMb * 1024 * 1024),
    "unique.hostname": spec.name,
    "unique.network.ip-address": "127.0.0.1",
    "nomad.version": "1.9.0",
    "drover.simulated": "true",
  };
  for (const name of SIM_DRIVERS) {
    drivers[name] = {
      Attributes: {},
      Detected: true,
      Healthy: true,
      HealthDescription: "Healthy",
      UpdateTime: now,
    };
    attributes[`driver.${name}`] = "1";
  }
  return {
    ID: spec.id,
    SecretID: spec.secretId,
    Datacenter: spec.datacenter,
    Name: spec.name,
    HTTPAddr: "127.0.0.1:4646",
    Attributes: attributes,
    NodeResources: {
      Cpu: { CpuShares: spec.cpuMhz, TotalCpuCores: Math.max(1, Math.round(spec.cpuMhz / 2000)) },
      Memory: { MemoryMB: spec.memoryMb },
      Disk: { DiskMB: spec.diskMb },
      Networks: [
        {
          Mode: "host",
          Device: "lo",
          CIDR: "127.0.0.1/32",
          IP: "127.0.0.1",
          MBits: 1000,
          ReservedPorts: [],
          DynamicPorts: [],
        },
      ],
      MinDynamicPort: 20000,
      MaxDynamicPort: 32000,
    },
    ReservedResources: {
      Cpu: { CpuShares: 0 },
      Memory: { MemoryMB: 0 },
      Disk: { DiskMB: 0 },
      Networks: { ReservedHostPorts: "" },
    },
    Meta: spec.meta,
    NodeClass: spec.nodeClass,
    NodePool: spec.nodePool,
    ComputedClass: "",
    Drivers: drivers,
    Status: "ready",
    StatusDescription: "",
    StatusUpdatedAt: now,
    SchedulingEligibility: "eligible",
    DrainStrategy: null,
    Events: [],
    CreateIndex: 0,
    ModifyIndex: 0,
  };
}
