import { describe, expect, it } from "vitest";
import type { Allocation } from "../fsm/structs.js";
import { computeNodeClass } from "./computed-class.js";
import { allocsFit, proposedNodeAllocs } from "./fit.js";
import { parsePortSpec } from "./port-spec.js";
import { mockAlloc, mockJob, mockNode } from "./test-fixtures.js";

const job = mockJob();
const node = mockNode("n1");

function withPorts(alloc: Allocation, ports: number[]): Allocation {
  return {
    ...alloc,
    AllocatedResources: {
      ...alloc.AllocatedResources,
      Shared: {
        ...alloc.AllocatedResources.Shared,
        Ports: ports.map((Value, i) => ({ Label: `p${i}`, Value, To: 0, HostIP: "127.0.0.1" })),
      },
    },
  };
}

function sized(id: string, cpu: number, memoryMB: number, diskMB = 0): Allocation {
  const alloc = mockAlloc(id, job, node, 0);
  return {
    ...alloc,
    AllocatedResources: {
      Tasks: {
        web: { Cpu: { CpuShares: cpu }, Memory: { MemoryMB: memoryMB, MemoryMaxMB: 0 }, Networks: [] },
      },
      Shared: { DiskMB: diskMB, Networks: [], Ports: [] },
    },
  };
}

describe("allocsFit", () => {
  // The mock node offers 3900 MHz, 7936 MB, 98304 MB disk after reservations; port 22 reserved.
  it.each([
    ["empty node", [], { fit: true }],
    ["exactly full cpu and memory", [sized("a", 3900, 7936)], { fit: true }],
    ["cpu over by one", [sized("a", 3000, 100), sized("b", 901, 100)], { fit: false, dimension: "cpu" }],
    ["memory over", [sized("a", 100, 7937)], { fit: false, dimension: "memory" }],
    ["disk over", [sized("a", 100, 100, 98305)], { fit: false, dimension: "disk" }],
    [
      "two allocs on the same port",
      [withPorts(sized("a", 1, 1), [8080]), withPorts(sized("b", 1, 1), [8080])],
      { fit: false, dimension: "network: port collision" },
    ],
    [
      "a node-reserved port",
      [withPorts(sized("a", 1, 1), [22])],
      { fit: false, dimension: "network: reserved port collision" },
    ],
    [
      "distinct ports",
      [withPorts(sized("a", 1, 1), [8080]), withPorts(sized("b", 1, 1), [8081])],
      { fit: true },
    ],
    [
      "port out of range",
      [withPorts(sized("a", 1, 1), [70000])],
      { fit: false, dimension: "network: invalid port" },
    ],
  ])("%s", (_name, allocs, expected) => {
    expect(allocsFit(node, allocs)).toEqual(expected);
  });

  it("ignores client-terminal allocations unless asked", () => {
    const done = { ...sized("a", 3900, 7936), ClientStatus: "complete" as const };
    expect(allocsFit(node, [done, sized("b", 100, 100)])).toEqual({ fit: true });
    expect(allocsFit(node, [done, sized("b", 100, 100)], { includeClientTerminal: true })).toEqual({
      fit: false,
      dimension: "cpu",
    });
  });

  it("counts a port repeated inside one allocation once", () => {
    const alloc = withPorts(sized("a", 1, 1), [9000]);
    const doubled: Allocation = {
      ...alloc,
      AllocatedResources: {
        ...alloc.AllocatedResources,
        Shared: {
          ...alloc.AllocatedResources.Shared,
          Networks: [
            {
              Mode: "host",
              Device: "",
              CIDR: "",
              IP: "",
              MBits: 0,
              ReservedPorts: [{ Label: "p0", Value: 9000, To: 0, HostIP: "" } as never],
              DynamicPorts: [],
            },
          ],
        },
      },
    };
    expect(allocsFit(node, [doubled])).toEqual({ fit: true });
  });

  it("honours reserved host port ranges", () => {
    const reservedNode = mockNode("n2", {
      ReservedResources: { ...node.ReservedResources, Networks: { ReservedHostPorts: "22,8000-8100" } },
    });
    expect(allocsFit(reservedNode, [withPorts(sized("a", 1, 1), [8050])]).fit).toBe(false);
    expect(allocsFit(reservedNode, [withPorts(sized("a", 1, 1), [8101])]).fit).toBe(true);
  });
});

describe("proposedNodeAllocs", () => {
  it("removes stops and preemptions, replaces in-place updates and adds placements", () => {
    const a = sized("a", 1, 1);
    const b = sized("b", 1, 1);
    const c = sized("c", 1, 1);
    const stopped = { ...sized("s", 1, 1), DesiredStatus: "stop" as const };
    const updatedB = { ...b, JobVersion: 2 };
    const d = sized("d", 1, 1);
    const plan = {
      NodeUpdate: { n1: [a] },
      NodePreemptions: { n1: [c] },
      NodeAllocation: { n1: [updatedB, d] },
    };
    expect(proposedNodeAllocs([a, b, c, stopped], plan, "n1").map((x) => [x.ID, x.JobVersion])).toEqual([
      ["b", 2],
      ["d", 0],
    ]);
  });
});

describe("parsePortSpec", () => {
  it("parses lists and ranges", () => {
    expect(parsePortSpec("22, 80,100-102")).toEqual([22, 80, 100, 101, 102]);
    expect(parsePortSpec("")).toEqual([]);
  });
  it.each(["abc", "0", "70000", "10-5"])("rejects %s", (spec) => {
    expect(() => parsePortSpec(spec)).toThrow();
  });
});

describe("computeNodeClass", () => {
  it("ignores unique attributes, ids and resources", () => {
    const a = mockNode("a", { Attributes: { ...node.Attributes, "unique.hostname": "x" } });
    const b = mockNode("b", {
      Attributes: { ...node.Attributes, "unique.hostname": "y" },
      NodeResources: { ...node.NodeResources, Memory: { MemoryMB: 1 } },
    });
    expect(computeNodeClass(a)).toBe(computeNodeClass(b));
    expect(computeNodeClass(a)).toMatch(/^v1:[0-9a-f]{16}$/);
  });
  it.each([
    ["datacenter", { Datacenter: "dc2" }],
    ["node class", { NodeClass: "other" }],
    ["node pool", { NodePool: "gpu" }],
    ["meta", { Meta: { rack: "r1" } }],
    ["an attribute", { Attributes: { "kernel.name": "darwin" } }],
    ["driver health", { Drivers: { exec: { ...node.Drivers["exec"]!, Healthy: false } } }],
  ])("changes with %s", (_what, overrides) => {
    expect(computeNodeClass(mockNode("x", overrides))).not.toBe(computeNodeClass(mockNode("x")));
  });
});
