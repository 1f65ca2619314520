// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Nomad interpolation targets are plain strings
import { describe, expect, it } from "vitest";
import type { Job, Node } from "../fsm/structs.js";
import { allocIndexFromName } from "../fsm/structs.js";
import { allocsFit } from "./fit.js";
import { mockGroup, mockJob, mockNetwork, mockNode, mockTask } from "./test-fixtures.js";
import { SchedulerHarness } from "./test-harness.js";

function cluster(
  count: number,
  overrides: (i: number) => Partial<Node> = () => ({}),
): { h: SchedulerHarness; nodes: Node[] } {
  const h = new SchedulerHarness();
  const nodes = Array.from({ length: count }, (_, i) =>
    mockNode(`node-${String(i).padStart(3, "0")}`, overrides(i)),
  );
  h.registerNodes(...nodes);
  return { h, nodes };
}

function expectNoOvercommit(h: SchedulerHarness): void {
  const reader = h.snapshot();
  for (const node of reader.nodes()) {
    expect(
      allocsFit(
        node,
        reader.allocsByNode(node.ID).filter((a) => a.DesiredStatus === "run"),
      ).fit,
    ).toBe(true);
  }
}

describe("service scheduler: placement", () => {
  it("places count allocations with distinct names and no over-commit", () => {
    const { h } = cluster(10);
    const job = h.registerJob(mockJob());
    const result = h.process(h.evalFor(job));
    expect(result.eval.Status).toBe("complete");
    expect(result.eval.FailedTGAllocs).toEqual({});
    expect(result.eval.QueuedAllocations).toEqual({ web: 0 });
    const allocs = h.liveAllocs(job);
    expect(allocs).toHaveLength(10);
    expect(new Set(allocs.map((a) => a.Name)).size).toBe(10);
    expect(allocs.map((a) => allocIndexFromName(a.Name)).sort((a, b) => a - b)).toEqual([
      0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
    ]);
    expectNoOvercommit(h);
  });

  it("does nothing when the job already runs as specified", () => {
    const { h } = cluster(5);
    const job = h.registerJob(mockJob());
    h.process(h.evalFor(job));
    const again = h.process(h.evalFor(job));
    expect(again.plan).toBeNull();
    expect(again.eval.Status).toBe("complete");
  });

  it("filters nodes by constraint and explains it", () => {
    const { h } = cluster(4, (i) => (i < 2 ? { Attributes: { "kernel.name": "darwin" } } : {}));
    const job = h.registerJob(mockJob("j", { TaskGroups: [mockGroup("web", { Count: 20 })] }));
    const result = h.process(h.evalFor(job));
    const nodes = new Set(h.liveAllocs(job).map((a) => a.NodeID));
    expect([...nodes].sort()).toEqual(["node-002", "node-003"]);
    const metric = result.eval.FailedTGAllocs["web"];
    expect(metric).toBeDefined();
    expect(metric?.ConstraintFiltered["${attr.kernel.name} = linux"]).toBeGreaterThan(0);
    expect(metric?.DimensionExhausted["cpu"]).toBeGreaterThan(0);
    expect(metric?.NodesAvailable).toEqual({ dc1: 4 });
  });

  it("asks for a blocked eval with class eligibility when placements fail", () => {
    const { h } = cluster(2);
    // Each node fits 7 × 500 MHz; ask for 20.
    const job = h.registerJob(mockJob("big", { TaskGroups: [mockGroup("web", { Count: 20 })] }));
    const result = h.process(h.evalFor(job));
    expect(h.liveAllocs(job)).toHaveLength(14);
    expect(result.eval.Status).toBe("complete");
    expect(result.eval.QueuedAllocations).toEqual({ web: 6 });
    expect(result.eval.FailedTGAllocs["web"]?.CoalescedFailures).toBe(5);
    const blocked = result.createEvals.find((e) => e.Status === "blocked");
    expect(blocked).toBeDefined();
    expect(result.eval.BlockedEval).toBe(blocked?.ID);
    expect(blocked?.TriggeredBy).toBe("queued-allocs");
    expect(blocked?.PreviousEval).toBe(result.eval.ID);
    expect(Object.values(blocked?.ClassEligibility ?? {})).toEqual([true]);
    expect(blocked?.EscapedComputedClass).toBe(false);
    // The blocked eval, processed after a node joins, places the rest and completes.
    h.registerNodes(mockNode("node-new"));
    const unblocked = h.process(blocked!);
    expect(unblocked.eval.Status).toBe("complete");
    expect(h.liveAllocs(job)).toHaveLength(20);
  });

  it("re-blocks a blocked eval that still cannot place", () => {
    const { h } = cluster(1);
    const job = h.registerJob(mockJob("big", { TaskGroups: [mockGroup("web", { Count: 10 })] }));
    const first = h.process(h.evalFor(job));
    const blocked = first.createEvals[0]!;
    const again = h.process(blocked);
    expect(again.eval.Status).toBe("blocked");
    expect(again.createEvals).toEqual([]);
  });

  it("marks escaped computed class for constraints on unique attributes", () => {
    const { h } = cluster(3);
    const job = h.registerJob(
      mockJob("pin", {
        Constraints: [{ LTarget: "${node.unique.name}", RTarget: "node-nope", Operand: "=" }],
      }),
    );
    const result = h.process(h.evalFor(job));
    expect(result.createEvals[0]?.EscapedComputedClass).toBe(true);
  });

  it("gives the same plan for the same inputs and seed", () => {
    const run = (seed: number): unknown => {
      const { h } = cluster(30);
      const job = h.registerJob(mockJob("j", { TaskGroups: [mockGroup("web", { Count: 25 })] }));
      return h.process(h.evalFor(job), { seed, apply: false }).plan;
    };
    expect(run(7)).toEqual(run(7));
    expect(JSON.stringify(run(7))).not.toEqual(JSON.stringify(run(8)));
  });
});

describe("service scheduler: ranking", () => {
  it("bin-packs onto the fullest node by default", () => {
    // Two nodes: both are scored (the limit is at least 2), so the choice is the ranking's alone.
    const { h, nodes } = cluster(2);
    const filler = h.registerJob(mockJob("filler", { TaskGroups: [mockGroup("web", { Count: 1 })] }));
    h.process(h.evalFor(filler));
    const busy = h.liveAllocs(filler)[0]!.NodeID;
    const job = h.registerJob(mockJob("j", { TaskGroups: [mockGroup("web", { Count: 1 })] }));
    h.process(h.evalFor(job));
    expect(nodes.length).toBe(2);
    expect(h.liveAllocs(job)[0]?.NodeID).toBe(busy);
  });

  it("spreads onto the emptiest node with the spread algorithm", () => {
    const { h } = cluster(3);
    h.setSchedulerConfig({ SchedulerAlgorithm: "spread" });
    const job = h.registerJob(mockJob("j", { TaskGroups: [mockGroup("web", { Count: 3 })] }));
    h.process(h.evalFor(job));
    expect(new Set(h.liveAllocs(job).map((a) => a.NodeID)).size).toBe(3);
  });

  it("honours a spread block with targets", () => {
    const { h } = cluster(20, (i) => ({ Meta: { rack: i < 10 ? "r1" : "r2" } }));
    const job = h.registerJob(
      mockJob("j", {
        TaskGroups: [
          mockGroup("web", {
            Count: 10,
            Spreads: [
              {
                Attribute: "${meta.rack}",
                Weight: 100,
                SpreadTarget: [
                  { Value: "r1", Percent: 70 },
                  { Value: "r2", Percent: 30 },
                ],
              },
            ],
          }),
        ],
      }),
    );
    h.process(h.evalFor(job));
    const reader = h.snapshot();
    const racks = h.liveAllocs(job).map((a) => reader.nodeByID(a.NodeID)?.Meta["rack"]);
    expect(racks.filter((r) => r === "r1")).toHaveLength(7);
    expect(racks.filter((r) => r === "r2")).toHaveLength(3);
  });

  it("spreads evenly without targets", () => {
    const { h } = cluster(30, (i) => ({ Meta: { rack: `r${i % 3}` } }));
    const job = h.registerJob(
      mockJob("j", {
        TaskGroups: [
          mockGroup("web", {
            Count: 9,
            Spreads: [{ Attribute: "${meta.rack}", Weight: 50, SpreadTarget: [] }],
          }),
        ],
      }),
    );
    h.process(h.evalFor(job));
    const reader = h.snapshot();
    const counts: Record<string, number> = {};
    for (const a of h.liveAllocs(job)) {
      const rack = reader.nodeByID(a.NodeID)?.Meta["rack"] ?? "?";
      counts[rack] = (counts[rack] ?? 0) + 1;
    }
    expect(counts).toEqual({ r0: 3, r1: 3, r2: 3 });
  });

  it("prefers nodes matching an affinity and avoids a negative one", () => {
    const { h } = cluster(20, (i) => ({ NodeClass: i === 13 ? "gpu" : "plain" }));
    const job = h.registerJob(
      mockJob("j", {
        Affinities: [{ LTarget: "${node.class}", RTarget: "gpu", Operand: "=", Weight: 100 }],
        TaskGroups: [mockGroup("web", { Count: 1 })],
      }),
    );
    h.process(h.evalFor(job));
    expect(h.liveAllocs(job)[0]?.NodeID).toBe("node-013");
  });

  it("distinct_hosts puts each allocation on its own node", () => {
    const { h } = cluster(4);
    const job = h.registerJob(
      mockJob("j", {
        Constraints: [{ LTarget: "", RTarget: "true", Operand: "distinct_hosts" }],
        TaskGroups: [mockGroup("web", { Count: 5 })],
      }),
    );
    const result = h.process(h.evalFor(job));
    expect(new Set(h.liveAllocs(job).map((a) => a.NodeID)).size).toBe(4);
    expect(result.eval.FailedTGAllocs["web"]?.ConstraintFiltered["distinct_hosts"]).toBe(4);
  });

  it("distinct_property limits allocations per property value", () => {
    const { h } = cluster(6, (i) => ({ Meta: { rack: `r${i % 3}` } }));
    const job = h.registerJob(
      mockJob("j", {
        TaskGroups: [
          mockGroup("web", {
            Count: 8,
            Constraints: [{ LTarget: "${meta.rack}", RTarget: "2", Operand: "distinct_property" }],
          }),
        ],
      }),
    );
    const result = h.process(h.evalFor(job));
    expect(h.liveAllocs(job)).toHaveLength(6);
    expect(result.eval.QueuedAllocations).toEqual({ web: 2 });
  });
});

describe("service scheduler: ports", () => {
  const withPorts = (count: number, staticPort: number | null): Job =>
    mockJob("p", {
      TaskGroups: [
        mockGroup("web", {
          Count: count,
          Networks: [
            mockNetwork({
              ReservedPorts:
                staticPort === null
                  ? []
                  : [{ Label: "admin", Value: staticPort, To: 0, HostNetwork: "default" }],
              DynamicPorts: [{ Label: "http", Value: 0, To: 8080, HostNetwork: "default" }],
            }),
          ],
        }),
      ],
    });

  it("assigns distinct dynamic ports inside the node's range", () => {
    const { h } = cluster(1);
    const job = h.registerJob(withPorts(5, null));
    h.process(h.evalFor(job));
    const ports = h.liveAllocs(job).map((a) => a.AllocatedResources.Shared.Ports[0]?.Value ?? 0);
    expect(new Set(ports).size).toBe(5);
    for (const port of ports) expect(port >= 20000 && port <= 32000).toBe(true);
    expectNoOvercommit(h);
  });

  it("never puts two allocations with the same static port on one node", () => {
    const { h } = cluster(3);
    const job = h.registerJob(withPorts(4, 8080));
    const result = h.process(h.evalFor(job));
    expect(new Set(h.liveAllocs(job).map((a) => a.NodeID)).size).toBe(3);
    expect(result.eval.FailedTGAllocs["web"]?.DimensionExhausted["network: port collision"]).toBe(3);
  });

  it("never hands out a node's reserved port", () => {
    const { h } = cluster(2);
    const job = h.registerJob(withPorts(1, 22));
    const result = h.process(h.evalFor(job));
    expect(h.liveAllocs(job)).toHaveLength(0);
    expect(result.eval.FailedTGAllocs["web"]?.DimensionExhausted["network: reserved port collision"]).toBe(2);
  });
});

describe("service scheduler: feasibility", () => {
  it("places only in the job's datacenters, with globs", () => {
    const { h } = cluster(6, (i) => ({ Datacenter: ["us-east-1", "us-west-1", "eu-1"][i % 3] as string }));
    const job = h.registerJob(
      mockJob("j", { Datacenters: ["us-*"], TaskGroups: [mockGroup("web", { Count: 6 })] }),
    );
    h.process(h.evalFor(job));
    const reader = h.snapshot();
    const dcs = new Set(h.liveAllocs(job).map((a) => reader.nodeByID(a.NodeID)?.Datacenter));
    expect([...dcs].sort()).toEqual(["us-east-1", "us-west-1"]);
  });

  it("places only in the job's node pool", () => {
    const { h } = cluster(4, (i) => ({ NodePool: i < 2 ? "gpu" : "default" }));
    const job = h.registerJob(
      mockJob("j", { NodePool: "gpu", TaskGroups: [mockGroup("web", { Count: 2 })] }),
    );
    h.process(h.evalFor(job));
    expect(
      h
        .liveAllocs(job)
        .map((a) => a.NodeID)
        .sort(),
    ).toEqual(["node-000", "node-001"]);
  });

  it("skips nodes that are not ready, ineligible or draining", () => {
    const { h } = cluster(4, (i) =>
      i === 0
        ? { Status: "down" }
        : i === 1
          ? { SchedulingEligibility: "ineligible" }
          : i === 2
            ? { DrainStrategy: { Deadline: 0, IgnoreSystemJobs: false, ForceDeadline: 0, StartedAt: 0 } }
            : {},
    );
    const job = h.registerJob(mockJob("j", { TaskGroups: [mockGroup("web", { Count: 2 })] }));
    h.process(h.evalFor(job));
    expect(new Set(h.liveAllocs(job).map((a) => a.NodeID))).toEqual(new Set(["node-003"]));
  });

  it("needs the tasks' drivers, detected and healthy", () => {
    const { h, nodes } = cluster(3, (i) =>
      i === 0
        ? {}
        : {
            Drivers: {
              exec: { ...mockNode("x").Drivers["exec"]!, Healthy: i !== 2 },
              docker: mockNode("x").Drivers["exec"]!,
            },
          },
    );
    const job = h.registerJob(
      mockJob("j", {
        TaskGroups: [mockGroup("web", { Count: 3, Tasks: [mockTask("web", { Driver: "docker" })] })],
      }),
    );
    const result = h.process(h.evalFor(job));
    expect(nodes).toHaveLength(3);
    expect(h.liveAllocs(job).every((a) => a.NodeID !== "node-000")).toBe(true);
    expect(result.eval.FailedTGAllocs).toEqual({});
  });
});
