import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalCluster } from "../../src/cli/local-cluster.js";
import { NodeSimulator } from "../../src/client/node-sim/node-simulator.js";
import { silentLogger } from "../../src/common/log.js";
import {
  allAllocs,
  anyServer,
  converged,
  expectNoOvercommit,
  expectUniqueNames,
  live,
  serviceJob,
  submit,
  waitForAllocs,
} from "./scheduling-helpers.js";

// Three real server processes (Raft, LevelDB, gRPC, schedulers) and simulated client nodes that
// register, heartbeat, watch their allocations and report them running over the real client RPCs.
describe("server agent: scheduling end to end", () => {
  let cluster: LocalCluster;
  const sims: NodeSimulator[] = [];

  beforeAll(async () => {
    cluster = await LocalCluster.start({ servers: 3, extraArgs: ["--num-schedulers", "2"] });
    await cluster.waitForLeader(60_000);
  });

  afterAll(async () => {
    for (const sim of sims) sim.close();
    await cluster?.stop();
  });

  function simulator(prefix: string, cpuMhz: number, memoryMb: number, nodeClass = ""): NodeSimulator {
    const sim = new NodeSimulator({
      servers: cluster.rpcAddresses(),
      logger: silentLogger(),
      namePrefix: prefix,
      cpuMhz,
      memoryMb,
      nodeClass,
    });
    sims.push(sim);
    return sim;
  }

  it("50 jobs × count 20 converge: every alloc running, names unique, no node over-committed", async () => {
    await simulator("big", 4000, 8192).addNodes(30);
    const server = await anyServer(cluster);
    const jobIds = Array.from({ length: 50 }, (_, i) => `conv-${i}`);
    await Promise.all(jobIds.map((id) => submit(cluster, server, serviceJob(id, 20, 100, 64))));
    const allocs = await waitForAllocs(cluster, (a) => converged(a, jobIds, 20), 180_000, "50 × 20 converge");
    const mine = allocs.filter((a) => a.JobID.startsWith("conv-"));
    expect(mine.filter(live)).toHaveLength(1000);
    expectUniqueNames(mine);
    expectNoOvercommit(mine, 100, 4000);
  });

  it("two jobs racing for the last capacity never over-commit; the loser blocks and unblocks when a node joins", async () => {
    // Two nodes of class "race" with room for 10 allocs each; two jobs of 15 each race for them.
    const sim = simulator("race", 1000, 2048, "race");
    await sim.addNodes(2);
    const server = await anyServer(cluster);
    const raceJob = (id: string): unknown => {
      const body = serviceJob(id, 15, 100, 64) as { Job: Record<string, unknown> };
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Nomad's interpolation syntax, not JS.
      body.Job["Constraints"] = [{ LTarget: "${node.class}", RTarget: "race", Operand: "=" }];
      return body;
    };
    await Promise.all([
      submit(cluster, server, raceJob("race-a")),
      submit(cluster, server, raceJob("race-b")),
    ]);
    const full = await waitForAllocs(
      cluster,
      (a) =>
        a.filter((x) => x.JobID.startsWith("race-") && live(x) && x.ClientStatus === "running").length === 20,
      120_000,
      "race: 20 placements on the 2 nodes",
    );
    const raced = full.filter((a) => a.JobID.startsWith("race-"));
    expectNoOvercommit(raced, 100, 1000);
    expect(raced.filter(live)).toHaveLength(20);
    expectUniqueNames(raced);
    // The 10 that did not fit wait in blocked evals; a third node gives them room.
    const evals = await cluster.http<Array<{ JobID: string; Status: string }>>(
      server,
      "GET",
      "/v1/evaluations",
    );
    expect(evals.body.some((e) => e.JobID.startsWith("race-") && e.Status === "blocked")).toBe(true);
    await sim.addNodes(1);
    const after = await waitForAllocs(
      cluster,
      (a) =>
        a.filter((x) => x.JobID.startsWith("race-") && live(x) && x.ClientStatus === "running").length === 30,
      120_000,
      "race: blocked evals unblock on the new node",
    );
    const raced2 = after.filter((a) => a.JobID.startsWith("race-"));
    expectNoOvercommit(raced2, 100, 1000);
    expectUniqueNames(raced2);
    expect((await allAllocs(cluster)).filter((a) => a.JobID.startsWith("race-") && live(a))).toHaveLength(30);
  });
});
