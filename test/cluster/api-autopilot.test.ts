import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalCluster, type ServerProcess } from "../../src/cli/local-cluster.js";
import { drover } from "./cli-runner.js";

/**
 * `/v1/operator/autopilot/*`, the autopilot metrics and `drover operator autopilot` against
 * three real server agents (started on port 0 by LocalCluster).
 */

interface Health {
  Healthy: boolean;
  FailureTolerance: number;
  Servers: Array<Record<string, unknown>>;
}

let cluster: LocalCluster;
let leader: ServerProcess;
let follower: ServerProcess;

beforeAll(async () => {
  cluster = await LocalCluster.start({ servers: 3, logLevel: "warn" });
  leader = await cluster.waitForLeader(60_000);
  follower = cluster.servers.find((s) => s !== leader) as ServerProcess;
}, 90_000);

afterAll(async () => {
  await cluster.stop();
});

async function healthyFrom(server: ServerProcess): Promise<Health> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const res = await cluster.http<Health>(server, "GET", "/v1/operator/autopilot/health");
    if (res.status === 200 && res.body.Healthy) return res.body;
    if (Date.now() > deadline) throw new Error(`never healthy: ${JSON.stringify(res.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("autopilot API", () => {
  it("answers Nomad's health shape from any server (a follower forwards to the leader)", async () => {
    const health = await healthyFrom(follower);
    expect(health.FailureTolerance).toBe(1);
    expect(health.Servers).toHaveLength(3);
    const byId = new Map(health.Servers.map((s) => [s["ID"], s]));
    const lead = byId.get(leader.name);
    expect(lead).toMatchObject({
      Name: leader.name,
      Address: leader.rpcAddress,
      SerfStatus: "alive",
      Leader: true,
      Voter: true,
      Healthy: true,
      LastContact: 0,
    });
    for (const s of health.Servers) {
      expect(Object.keys(s).sort()).toEqual(
        [
          "Address",
          "Healthy",
          "ID",
          "LastContact",
          "LastIndex",
          "LastTerm",
          "Leader",
          "Name",
          "SerfStatus",
          "StableSince",
          "Version",
          "Voter",
        ].sort(),
      );
      expect(Number.isNaN(Date.parse(String(s["StableSince"])))).toBe(false);
      expect(s["LastTerm"]).toBeGreaterThan(0);
    }
  });

  it("answers the configuration in force, and exports the metrics on the leader", async () => {
    const res = await cluster.http(follower, "GET", "/v1/operator/autopilot/configuration");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      CleanupDeadServers: true,
      LastContactThreshold: "200ms",
      MaxTrailingLogs: 250,
      MinQuorum: 2,
      ServerStabilizationTime: "10s",
    });
    // The gauges follow each round of autopilot: wait for one where every server is healthy.
    const deadline = Date.now() + 60_000;
    let metrics = "";
    while (!/^drover_autopilot_healthy(\{[^}]*\})? 1$/m.test(metrics)) {
      if (Date.now() > deadline) throw new Error(`drover_autopilot_healthy never 1:\n${metrics}`);
      metrics = await fetch(`${leader.httpUrl}/v1/metrics?format=prometheus`).then((r) => r.text());
    }
    expect(metrics).toMatch(/^drover_autopilot_failure_tolerance(\{[^}]*\})? 1$/m);
  });

  it("drover operator autopilot health|get-config", async () => {
    await healthyFrom(leader);
    const health = await drover(follower.httpUrl, ["operator", "autopilot", "health"]);
    expect(health.status, health.stderr).toBe(0);
    expect(health.stdout).toMatch(/^Healthy\s+=\s+(true|false)$/m);
    expect(health.stdout).toMatch(/^FailureTolerance\s+=\s+\d$/m);
    expect(health.stdout).toContain(leader.rpcAddress);
    const config = await drover(follower.httpUrl, ["operator", "autopilot", "get-config", "--json"]);
    expect(config.status, config.stderr).toBe(0);
    expect(JSON.parse(config.stdout)).toMatchObject({ CleanupDeadServers: true });
  });
});
