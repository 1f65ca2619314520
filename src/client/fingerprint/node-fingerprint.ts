import { totalmem } from "node:os";
import { DROVER_VERSION } from "../../common/version.js";
import type { DriverInfo, Node } from "../../fsm/index.js";
import { CLIENT_RPC_ADDRESS_ATTR } from "../../rpc/client-fs-client.js";
import type { ClientConfig } from "../client-config.js";
import type { Driver, DriverFingerprint } from "../drivers/driver.js";
import { fingerprintCpu, goArch } from "./cpu.js";
import { fingerprintHost, fingerprintNetwork } from "./host.js";
import { fingerprintStorage } from "./storage.js";

/** Nomad's default range for dynamic ports. */
const MIN_DYNAMIC_PORT = 20000;
const MAX_DYNAMIC_PORT = 32000;
const NOMAD_COMPATIBLE_VERSION = "1.9.0";

export interface NodeIdentityFields {
  ID: string;
  SecretID: string;
}

/**
 * The Node this client registers: its machine (cpu, memory, disk, kernel, os, network), its
 * configuration (datacenter, class, pool, meta, reserved resources) and its drivers with their
 * health, in the attribute names Nomad uses so that job constraints written for Nomad work.
 */
export async function fingerprintNode(
  config: ClientConfig,
  identity: NodeIdentityFields,
  drivers: ReadonlyMap<string, Driver>,
  rpcAddress: string,
  nowNs: number,
): Promise<Node> {
  const [cpu, host, storage, driverInfos] = await Promise.all([
    fingerprintCpu(config.cpuTotalComputeMhz),
    fingerprintHost(),
    fingerprintStorage(config.dataDir),
    fingerprintDrivers(drivers),
  ]);
  const network = fingerprintNetwork(config.bind);
  const memoryMb = config.memoryTotalMb ?? Math.floor(totalmem() / (1024 * 1024));
  const attributes: Record<string, string> = {
    "kernel.name": host.kernelName,
    "kernel.version": host.kernelVersion,
    "os.name": host.osName,
    "os.version": host.osVersion,
    "cpu.arch": goArch(),
    "cpu.numcores": String(cpu.cores),
    "cpu.totalcompute": String(cpu.totalMhz),
    "cpu.frequency": String(cpu.mhzPerCore),
    "cpu.modelname": cpu.modelName,
    "memory.totalbytes": String(memoryMb * 1024 * 1024),
    "unique.hostname": host.hostname,
    "unique.network.ip-address": network.ip,
    "unique.storage.volume": storage.volume,
    "unique.storage.bytestotal": String(storage.totalMb * 1024 * 1024),
    "unique.storage.bytesfree": String(storage.freeMb * 1024 * 1024),
    // The Nomad release whose job files and API Drover follows, for constraints written for Nomad.
    "nomad.version": NOMAD_COMPATIBLE_VERSION,
    "drover.version": DROVER_VERSION,
    [CLIENT_RPC_ADDRESS_ATTR]: rpcAddress,
  };
  const driverRecord: Record<string, DriverInfo> = {};
  for (const [name, fp] of driverInfos) {
    driverRecord[name] = {
      Attributes: fp.attributes,
      Detected: fp.detected,
      Healthy: fp.healthy,
      HealthDescription: fp.healthDescription,
      UpdateTime: nowNs,
    };
    // Only a usable driver is advertised as an attribute: constraints on `driver.x` then match
    // exactly the nodes that can run it (the scheduler also checks Drivers[x].Healthy).
    if (fp.detected && fp.healthy) Object.assign(attributes, fp.attributes);
  }
  return {
    ID: identity.ID,
    SecretID: identity.SecretID,
    Datacenter: config.datacenter,
    Name: config.nodeName,
    HTTPAddr: config.httpAddress,
    Attributes: attributes,
    NodeResources: {
      Cpu: { CpuShares: cpu.totalMhz, TotalCpuCores: cpu.cores },
      Memory: { MemoryMB: memoryMb },
      Disk: { DiskMB: storage.freeMb },
      Networks: [
        {
          Mode: "host",
          Device: network.device,
          CIDR: network.cidr,
          IP: network.ip,
          MBits: 1000,
          ReservedPorts: [],
          DynamicPorts: [],
        },
      ],
      MinDynamicPort: MIN_DYNAMIC_PORT,
      MaxDynamicPort: MAX_DYNAMIC_PORT,
    },
    ReservedResources: {
      Cpu: { CpuShares: config.reserved.cpuMhz },
      Memory: { MemoryMB: config.reserved.memoryMb },
      Disk: { DiskMB: config.reserved.diskMb },
      Networks: { ReservedHostPorts: config.reserved.ports },
    },
    Meta: { ...config.meta },
    NodeClass: config.nodeClass,
    NodePool: config.nodePool,
    ComputedClass: "",
    Drivers: driverRecord,
    Status: "ready",
    StatusDescription: "",
    StatusUpdatedAt: nowNs,
    SchedulingEligibility: "eligible",
    DrainStrategy: null,
    Events: [],
    CreateIndex: 0,
    ModifyIndex: 0,
  };
}

async function fingerprintDrivers(
  drivers: ReadonlyMap<string, Driver>,
): Promise<Map<string, DriverFingerprint>> {
  const entries = await Promise.all(
    [...drivers].map(async ([name, driver]) => [name, await driver.fingerprint()] as const),
  );
  return new Map(entries);
}
