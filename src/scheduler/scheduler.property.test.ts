// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Nomad interpolation targets are plain strings
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Job, Node, Spread } from "../fsm/structs.js";
import { allocsFit } from "./fit.js";
import { schedule } from "./index.js";
import { mockGroup, mockJob, mockNetwork, mockNode, mockSystemJob, mockTask } from "./test-fixtures.js";
import { SchedulerHarness } from "./test-harness.js";

/** A random cluster: node sizes, racks, kernels, some nodes down or draining. */
const nodeArb = fc.record({
  cpu: fc.integer({ min: 500, max: 8000 }),
  memoryMB: fc.integer({ min: 512, max: 16384 }),
  rack: fc.constantFrom("r1", "r2", "r3"),
  kernel: fc.constantFrom("linux", "linux", "linux", "darwin"),
  status: fc.constantFrom("ready", "ready", "ready", "ready", "down") as fc.Arbitrary<Node["Status"]>,
});

const groupArb = fc.record({
  count: fc.integer({ min: 0, max: 25 }),
  cpu: fc.integer({ min: 50, max: 2000 }),
  memoryMB: fc.integer({ min: 32, max: 2048 }),
  dynamicPorts: fc.integer({ min: 0, max: 2 }),
  staticPort: fc.option(fc.constantFrom(8080, 9090), { nil: null }),
  spread: fc.boolean(),
  distinctHosts: fc.boolean(),
});

function buildNodes(
  specs: Array<{ cpu: number; memoryMB: number; rack: string; kernel: string; status: Node["Status"] }>,
): Node[] {
  return specs.map((s, i) =>
    mockNode(`node-${i}`, {
      Status: s.status,
      Meta: { rack: s.rack },
      Attributes: { ...mockNode("x").Attributes, "kernel.name": s.kernel },
      NodeResources: {
        ...mockNode("x").NodeResources,
        Cpu: { CpuShares: s.cpu, TotalCpuCores: 4 },
        Memory: { MemoryMB: s.memoryMB },
      },
    }),
  );
}

type GroupSpec = typeof groupArb extends fc.Arbitrary<infer T> ? T : never;

function buildJob(g: GroupSpec, type: Job["Type"] = "service"): Job {
  const spreads: Spread[] = g.spread ? [{ Attribute: "${meta.rack}", Weight: 50, SpreadTarget: [] }] : [];
  const base = type === "system" ? mockSystemJob("p") : mockJob("p", { Type: type });
  return {
    ...base,
    Constraints: [
      { LTarget: "${attr.kernel.name}", RTarget: "linux", Operand: "=" },
      ...(g.distinctHosts ? [{ LTarget: "", RTarget: "true", Operand: "distinct_hosts" }] : []),
    ],
    TaskGroups: [
      mockGroup("web", {
        Count: type === "system" ? 1 : g.count,
        Spreads: spreads,
        Tasks: [
          mockTask("web", { Resources: { ...mockTask().Resources, CPU: g.cpu, MemoryMB: g.memoryMB } }),
        ],
        EphemeralDisk: { Sticky: false, SizeMB: 10, Migrate: false },
        Networks: [
          mockNetwork({
            ReservedPorts:
              g.staticPort === null
                ? []
                : [{ Label: "fixed", Value: g.staticPort, To: 0, HostNetwork: "default" }],
            DynamicPorts: Array.from({ length: g.dynamicPorts }, (_, i) => ({
              Label: `d${i}`,
              Value: 0,
              To: 0,
              HostNetwork: "default",
            })),
          }),
        ],
      }),
    ],
  };
}

function noOvercommit(h: SchedulerHarness): void {
  const reader = h.snapshot();
  for (const node of reader.nodes()) {
    const live = reader.allocsByNode(node.ID).filter((a) => a.DesiredStatus === "run");
    const fit = allocsFit(node, live);
    expect(fit, `node ${node.ID}: ${fit.dimension}`).toEqual({ fit: true });
  }
}

describe("scheduler properties", () => {
  it("never plans an over-committed node (plans checked before the applier sees them)", () => {
    fc.assert(
      fc.property(
        fc.array(nodeArb, { minLength: 1, maxLength: 12 }),
        fc.array(groupArb, { minLength: 1, maxLength: 3 }),
        fc.integer(),
        (nodeSpecs, groups, seed) => {
          const h = new SchedulerHarness();
          h.registerNodes(...buildNodes(nodeSpecs));
          groups.forEach((g, i) => {
            const job = h.registerJob({ ...buildJob(g), ID: `p${i}`, Name: `p${i}` });
            h.process(h.evalFor(job), { seed });
            // Every plan must fit as planned: the verifying planner rejected nothing.
            expect(h.submissions.at(-1)?.rejectedNodes ?? []).toEqual([]);
          });
          noOvercommit(h);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("gives system jobs exactly one allocation per feasible ready node", () => {
    fc.assert(
      fc.property(
        fc.array(nodeArb, { minLength: 1, maxLength: 15 }),
        groupArb,
        fc.integer(),
        (nodeSpecs, g, seed) => {
          const h = new SchedulerHarness();
          const nodes = buildNodes(nodeSpecs);
          h.registerNodes(...nodes);
          const job = h.registerJob(buildJob({ ...g, distinctHosts: false }, "system"));
          h.process(h.evalFor(job), { seed });
          const fits = (n: Node): boolean =>
            n.NodeResources.Cpu.CpuShares - 100 >= g.cpu &&
            n.NodeResources.Memory.MemoryMB - 256 >= g.memoryMB;
          const feasible = nodes
            .filter((n) => n.Status === "ready" && n.Attributes["kernel.name"] === "linux" && fits(n))
            .map((n) => n.ID);
          const placed = h.liveAllocs(job).map((a) => a.NodeID);
          expect(placed.sort()).toEqual(feasible.sort());
          noOvercommit(h);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("converges: repeated evals reach the count when it fits, then plan nothing", () => {
    fc.assert(
      fc.property(
        fc.array(nodeArb, { minLength: 1, maxLength: 10 }),
        groupArb,
        groupArb,
        fc.integer(),
        (nodeSpecs, g1, g2, seed) => {
          const h = new SchedulerHarness();
          h.registerNodes(...buildNodes(nodeSpecs));
          let job = h.registerJob(buildJob(g1));
          for (let i = 0; i < 3; i++) h.process(h.evalFor(job), { seed: seed + i });
          // Change the job (count and resources) and let it settle again.
          job = h.registerJob({ ...buildJob(g2), ID: job.ID, Name: job.Name });
          let last = h.process(h.evalFor(job), { seed });
          for (let i = 0; i < 4 && last.plan !== null; i++)
            last = h.process(h.evalFor(job), { seed: seed + 10 + i });
          expect(last.plan).toBeNull();
          const live = h.liveAllocs(job);
          const current = live.filter((a) => a.JobVersion === job.Version);
          const queued = last.eval.QueuedAllocations["web"] ?? 0;
          expect(current.length + queued).toBe(g2.count);
          // An old allocation survives only while its replacement cannot be placed.
          expect(live.length - current.length).toBeLessThanOrEqual(queued);
          expect(new Set(live.map((a) => a.Name)).size).toBe(live.length);
          noOvercommit(h);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("gives the same plan for the same inputs and seed", () => {
    fc.assert(
      fc.property(
        fc.array(nodeArb, { minLength: 1, maxLength: 10 }),
        groupArb,
        fc.integer(),
        (nodeSpecs, g, seed) => {
          const plans = [0, 1].map(() => {
            const h = new SchedulerHarness();
            h.registerNodes(...buildNodes(nodeSpecs));
            const job = h.registerJob(buildJob(g));
            return schedule(h.snapshot(), h.evalFor(job), { now: h.now, seed });
          });
          expect(plans[0]).toEqual(plans[1]);
        },
      ),
      { numRuns: 100 },
    );
  });
});
