import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalCluster, type ServerProcess } from "../../src/cli/local-cluster.js";
import { NodeSimulator } from "../../src/client/node-sim/node-simulator.js";
import { silentLogger } from "../../src/common/log.js";

const HCL = `variable "n" {
  default = 2
}

job "parsed" {
  group "g" {
    count = var.n
    task "t" {
      driver = "mock"
      config {
        run_for = "1h"
      }
    }
  }
}
`;

// The job-file, node and agent routes a Nomad user reaches for, on a real one-server cluster.
describe("HTTP API: job files, nodes, agent", () => {
  let cluster: LocalCluster;
  let server: ServerProcess;
  let sim: NodeSimulator;
  let nodeId: string;

  beforeAll(async () => {
    cluster = await LocalCluster.start({ servers: 1 });
    server = await cluster.waitForLeader(60_000);
    sim = new NodeSimulator({ servers: cluster.rpcAddresses(), logger: silentLogger() });
    [nodeId] = (await sim.addNodes(1)) as [string];
  });

  afterAll(async () => {
    sim?.close();
    await cluster?.stop();
  });

  it("parses HCL with variables into the canonical job, which registers as it is", async () => {
    const parsed = await cluster.http<{ ID: string; TaskGroups: Array<{ Count: number }> }>(
      server,
      "POST",
      "/v1/jobs/parse",
      { JobHCL: HCL, Variables: "n = 3" },
    );
    expect(parsed.status).toBe(200);
    expect(parsed.body.ID).toBe("parsed");
    expect(parsed.body.TaskGroups[0]?.Count).toBe(3);
    const registered = await cluster.http(server, "POST", "/v1/jobs", { Job: parsed.body });
    expect(registered.status).toBe(200);
  });

  it("answers a located 400 for a broken job file and names the nearest attribute", async () => {
    const negative = await cluster.http<{ error: string }>(server, "POST", "/v1/jobs/parse", {
      JobHCL: HCL.replace("count = var.n", "count = -1"),
    });
    expect(negative.status).toBe(400);
    expect(negative.body.error).toBe('job.hcl:7,5: group "g": count must be >= 0, got -1');
    const typo = await cluster.http<{ error: string }>(server, "POST", "/v1/jobs/parse", {
      JobHCL: HCL.replace("driver =", "drivr ="),
    });
    expect(typo.status).toBe(400);
    expect(typo.body.error).toContain('unknown attribute "drivr" (did you mean "driver"?)');
    const notText = await cluster.http(server, "POST", "/v1/jobs/parse", { JobHCL: 42 });
    expect(notText.status).toBe(400);
  });

  it("validates a job without registering it", async () => {
    const res = await cluster.http<{ ValidationErrors: string[] }>(server, "PUT", "/v1/validate/job", {
      Job: { ID: "bad", TaskGroups: [{ Name: "g", Count: -2, Tasks: [{ Name: "t", Driver: "mock" }] }] },
    });
    expect(res.status).toBe(200);
    expect(res.body.ValidationErrors).toEqual(["Job.TaskGroups[0].Count: must be >= 0, got -2"]);
    expect((await cluster.http(server, "GET", "/v1/job/bad")).status).toBe(404);
  });

  it("sets a node's eligibility and drain, and refuses bad values", async () => {
    const ineligible = await cluster.http(server, "POST", `/v1/node/${nodeId}/eligibility`, {
      Eligibility: "ineligible",
    });
    expect(ineligible.status).toBe(200);
    const node = await cluster.http<{ SchedulingEligibility: string }>(server, "GET", `/v1/node/${nodeId}`);
    expect(node.body.SchedulingEligibility).toBe("ineligible");
    expect(
      (await cluster.http(server, "POST", `/v1/node/${nodeId}/eligibility`, { Eligibility: "maybe" })).status,
    ).toBe(400);
    const drain = await cluster.http(server, "PUT", `/v1/node/${nodeId}/drain`, {
      DrainSpec: { Deadline: 60e9, IgnoreSystemJobs: false },
    });
    expect(drain.status).toBe(200);
    expect(drain.body).toMatchObject({ EvalIDs: [], EvalCreateIndex: 0 });
    const drained = await cluster.http<{
      DrainStrategy: { Deadline: number; ForceDeadline: string; StartedAt: string } | null;
      Events: Array<{ Message: string; Timestamp: string }>;
    }>(server, "GET", `/v1/node/${nodeId}`);
    // The drain may already be complete (the drainer runs at once); the event stays either way.
    expect(drained.body.Events.map((e) => e.Message)).toContain("Node drain strategy set");
    const strategy = drained.body.DrainStrategy;
    if (strategy !== null) {
      expect(strategy.Deadline).toBe(60e9);
      expect(Date.parse(strategy.ForceDeadline) - Date.parse(strategy.StartedAt)).toBe(60_000);
    }
    expect(
      (
        await cluster.http(server, "POST", `/v1/node/${nodeId}/drain`, {
          DrainSpec: null,
          MarkEligible: "yes",
        })
      ).status,
    ).toBe(400);
    expect(
      (await cluster.http(server, "POST", `/v1/node/${nodeId}/drain`, { DrainSpec: { Deadline: "soon" } }))
        .status,
    ).toBe(400);
    expect((await cluster.http(server, "GET", `/v1/node/${nodeId}/allocations`)).status).toBe(200);
  });

  it("answers the Raft configuration: one voter, the leader", async () => {
    const res = await cluster.http<{ Index: number; Servers: Array<Record<string, unknown>> }>(
      server,
      "GET",
      "/v1/operator/raft/configuration",
    );
    expect(res.status).toBe(200);
    expect(res.body.Servers).toEqual([
      {
        ID: "s1",
        Node: "s1.global",
        Address: server.rpcAddress,
        Leader: true,
        Voter: true,
        RaftProtocol: "3",
      },
    ]);
  });

  it("answers metrics as Nomad's JSON by default and as Prometheus text on request", async () => {
    const json = await cluster.http<{ Gauges: Array<{ Name: string; Value: number }> }>(
      server,
      "GET",
      "/v1/metrics",
    );
    expect(json.status).toBe(200);
    expect(json.body.Gauges.find((g) => g.Name === "drover_raft_leader")?.Value).toBe(1);
    const text = await fetch(`${server.httpUrl}/v1/metrics?format=prometheus`).then((r) => r.text());
    expect(text).toMatch(/^drover_raft_leader\{[^}]*\} 1$/m);
  });

  it("lists the agent's members, servers and regions", async () => {
    const members = await cluster.http<{
      Members: Array<{ Addr: string; Port: number; Tags: Record<string, string> }>;
    }>(server, "GET", "/v1/agent/members");
    expect(members.body.Members).toHaveLength(1);
    expect(`${members.body.Members[0]?.Addr}:${members.body.Members[0]?.Port}`).toBe(server.rpcAddress);
    expect(members.body.Members[0]?.Tags["leader"]).toBe("true");
    expect((await cluster.http(server, "GET", "/v1/agent/servers")).body).toEqual([server.rpcAddress]);
    expect((await cluster.http(server, "GET", "/v1/regions")).body).toEqual(["global"]);
  });
});
