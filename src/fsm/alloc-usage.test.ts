import { describe, expect, it } from "vitest";
import { allocCompactor } from "./alloc-compactor.js";
import { allocUsageInto, computeAllocUsage, newAllocUsageScratch } from "./alloc-usage.js";
import { mockAlloc } from "./mock.js";
import type { Allocation } from "./structs.js";

function withPort(alloc: Allocation, port: number): Allocation {
  const { Shared } = alloc.AllocatedResources;
  return {
    ...alloc,
    AllocatedResources: {
      ...alloc.AllocatedResources,
      Shared: { ...Shared, Ports: [{ Label: "http", Value: port, To: 8080, HostIP: "10.0.0.1" }] },
    },
  };
}

describe("alloc usage", () => {
  it("sums a shared frozen task map once and still sees each allocation's own ports", () => {
    const allocs = [20001, 20002, 20002, 20003].map((port) =>
      allocCompactor.compact(withPort(mockAlloc(), port)),
    );
    const tasks = allocs[0]?.AllocatedResources.Tasks;
    expect(Object.isFrozen(tasks)).toBe(true);
    for (const alloc of allocs) expect(alloc.AllocatedResources.Tasks).toBe(tasks);
    expect(allocs.map((alloc) => computeAllocUsage(alloc))).toEqual(
      [20001, 20002, 20002, 20003].map((port) => ({ cpu: 500, memoryMB: 256, diskMB: 150, ports: [port] })),
    );
  });

  it("never keeps the sums of a task map that may still change", () => {
    const alloc = mockAlloc();
    const task = alloc.AllocatedResources.Tasks["web"];
    if (task === undefined) throw new Error("mock alloc without its task");
    expect(computeAllocUsage(alloc).cpu).toBe(500);
    task.Cpu.CpuShares = 700;
    task.Networks = [
      {
        Mode: "host",
        Device: "",
        CIDR: "",
        IP: "10.0.0.1",
        MBits: 0,
        ReservedPorts: [{ Label: "admin", Value: 9000, To: 0, HostNetwork: "default" }],
        DynamicPorts: [],
      },
    ];
    expect(computeAllocUsage(alloc)).toEqual({ cpu: 700, memoryMB: 256, diskMB: 150, ports: [9000, 23456] });
  });

  it("writes into the scratch it is given, ports counted from the start", () => {
    const out = newAllocUsageScratch();
    out.ports.push(1, 2, 3);
    out.portCount = 3;
    const ports = out.ports;
    expect(allocUsageInto(mockAlloc(), out)).toBe(out);
    expect(out.portCount).toBe(1);
    expect(out.ports[0]).toBe(23456);
    expect([out.cpu, out.memoryMB, out.diskMB]).toEqual([500, 256, 150]);
    expect(out.ports).toBe(ports);
  });
});
