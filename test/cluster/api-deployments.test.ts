import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AgentProcess, LocalCluster, type ServerProcess } from "../../src/cli/local-cluster.js";
import { NodeSimulator } from "../../src/client/node-sim/node-simulator.js";
import { silentLogger } from "../../src/common/log.js";
import {
  type AllocStub,
  clientNodeId,
  jobAllocs,
  job as jobBody,
  shellTask,
  waitForQuery,
} from "./client-helpers.js";

interface DeploymentGroup {
  Promoted: boolean;
  PlacedCanaries: string[];
  DesiredCanaries: number;
  DesiredTotal: number;
  HealthyAllocs: number;
}

interface Deployment {
  ID: string;
  JobID: string;
  JobVersion: number;
  Status: string;
  StatusDescription: string;
  ModifyIndex: number;
  TaskGroups: Record<string, DeploymentGroup>;
}

interface UpdateAnswer {
  EvalID: string;
  EvalCreateIndex: number;
  DeploymentModifyIndex: number;
  Index: number;
}

interface VersionedAlloc extends AllocStub {
  JobVersion: number;
  DeploymentStatus: { Healthy: boolean | null; Canary: boolean } | null;
}

/** A service group of `count` raw_exec `sleep`s; VERSION in the env makes each version differ. */
function webGroup(version: string, count: number, update: Record<string, unknown> | null): unknown {
  return {
    Name: "web",
    Count: count,
    ...(update === null ? {} : { Update: update }),
    Tasks: [shellTask("t", "exec sleep 600", { Env: { VERSION: version } })],
  };
}

const CANARY_UPDATE = {
  MaxParallel: 1,
  Canary: 1,
  AutoPromote: false,
  HealthCheck: "task_states",
  MinHealthyTime: 300e6,
  HealthyDeadline: 60e9,
  ProgressDeadline: 120e9,
};

// The job lifecycle and deployment routes on a real three-server cluster with one real client
// agent running raw_exec tasks: writes are sent to a follower as often as to the leader, so that
// the new RPCs are forwarded too.
describe("HTTP API: deployments, job versions, scaling, alloc stop", () => {
  let cluster: LocalCluster;
  let client: AgentProcess;
  let leader: ServerProcess;
  let follower: ServerProcess;

  const http = <T>(server: ServerProcess, method: string, path: string, body?: unknown) =>
    cluster.http<T>(server, method, path, body);

  const latestDeployment = (jobId: string, check: (d: Deployment) => boolean, what: string) =>
    waitForQuery<Deployment | null>(
      cluster,
      `/v1/job/${jobId}/deployment`,
      (d) => d !== null && check(d),
      120_000,
      what,
    ) as Promise<Deployment>;

  beforeAll(async () => {
    cluster = await LocalCluster.start({ servers: 3 });
    leader = await cluster.waitForLeader(60_000);
    follower = cluster.servers.find((s) => s.name !== leader.name) as ServerProcess;
    client = await cluster.addClient();
    await clientNodeId(cluster, client);
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it("a canary deployment waits for promotion; deployment promote (via a follower) completes it", async () => {
    const register = (version: string) =>
      http(leader, "POST", "/v1/jobs", jobBody("canary", "service", [webGroup(version, 2, CANARY_UPDATE)]));
    expect((await register("1")).status).toBe(200);
    // The first version has no canaries: its deployment completes once both allocs are healthy.
    await latestDeployment("canary", (d) => d.JobVersion === 0 && d.Status === "successful", "v0 deployed");

    expect((await register("2")).status).toBe(200);
    const waiting = await latestDeployment(
      "canary",
      (d) => d.JobVersion === 1 && (d.TaskGroups["web"]?.HealthyAllocs ?? 0) >= 1,
      "v1 canary healthy",
    );
    expect(waiting.Status).toBe("running");
    expect(waiting.TaskGroups["web"]).toMatchObject({ DesiredCanaries: 1, Promoted: false });
    // Unpromoted, the rollout stays at one canary beside the two old allocations.
    const before = await jobAllocs(cluster, "canary", (a) => a.length === 3, "canary placed");
    expect(before.filter((a) => a.DesiredStatus === "run")).toHaveLength(3);

    const badGroup = await http<{ error: string }>(follower, "POST", `/v1/deployment/promote/${waiting.ID}`, {
      Groups: ["nope"],
    });
    expect(badGroup.status).toBe(400);
    expect(badGroup.body.error).toContain('has no task group "nope"');

    const promoted = await http<UpdateAnswer>(follower, "POST", `/v1/deployment/promote/${waiting.ID}`, {
      All: true,
    });
    expect(promoted.status, JSON.stringify(promoted.body)).toBe(200);
    expect(promoted.body.EvalID).toMatch(/^[0-9a-f-]{36}$/);
    expect(promoted.body.EvalCreateIndex).toBe(promoted.body.Index);
    expect(promoted.body.DeploymentModifyIndex).toBe(promoted.body.Index);

    const done = await latestDeployment("canary", (d) => d.Status === "successful", "v1 deployed");
    expect(done.ID).toBe(waiting.ID);
    expect(done.TaskGroups["web"]?.Promoted).toBe(true);
    const after = await jobAllocs(
      cluster,
      "canary",
      (a) => a.filter((x) => x.DesiredStatus === "run").length === 2,
      "old allocs replaced",
    );
    expect(
      (after as VersionedAlloc[]).filter((a) => a.DesiredStatus === "run").every((a) => a.JobVersion === 1),
    ).toBe(true);

    // A finished deployment cannot be changed.
    const again = await http<{ error: string }>(leader, "POST", `/v1/deployment/promote/${done.ID}`, {
      All: true,
    });
    expect(again.status).toBe(400);
    expect(again.body.error).toContain('terminal status "successful"');
  });

  it("answers Nomad's time.Time fields as RFC 3339 strings, int64 times as numbers", async () => {
    const rfc3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/;
    const nowS = Date.now() / 1000;
    const deployment = await latestDeployment("canary", (d) => d.Status === "successful", "v1 deployed");
    const group = deployment.TaskGroups["web"] as unknown as { RequireProgressBy: unknown };
    expect(group.RequireProgressBy).toMatch(rfc3339);

    const running = (await jobAllocs(cluster, "canary", (a) => a.length > 0, "allocs")).find(
      (a) => a.ClientStatus === "running",
    );
    if (running === undefined) throw new Error("no running alloc");
    const alloc = await http<{
      CreateTime: unknown;
      TaskStates: Record<
        string,
        { StartedAt: unknown; FinishedAt: unknown; Events: Array<{ Time: unknown }> }
      >;
      DeploymentStatus: { Timestamp: unknown };
    }>(follower, "GET", `/v1/allocation/${running.ID}`);
    const task = alloc.body.TaskStates["t"];
    expect(task?.StartedAt).toMatch(rfc3339);
    expect(Math.abs(Date.parse(task?.StartedAt as string) / 1000 - nowS)).toBeLessThan(600);
    expect(task?.FinishedAt).toBe("0001-01-01T00:00:00Z");
    expect(typeof task?.Events[0]?.Time).toBe("number");
    expect(typeof alloc.body.CreateTime).toBe("number");
    expect(alloc.body.DeploymentStatus.Timestamp).toMatch(rfc3339);

    const evals = await http<Array<{ WaitUntil: unknown; CreateTime: unknown }>>(
      leader,
      "GET",
      "/v1/job/canary/evaluations",
    );
    expect(evals.body.length).toBeGreaterThan(0);
    for (const e of evals.body) {
      expect(e.WaitUntil).toMatch(rfc3339);
      expect(typeof e.CreateTime).toBe("number");
    }
    const node = await http<{ StatusUpdatedAt: number }>(leader, "GET", `/v1/node/${running.NodeID}`);
    // Nomad's Node.StatusUpdatedAt is Unix seconds.
    expect(Math.abs(node.body.StatusUpdatedAt - nowS)).toBeLessThan(600);
  });

  it("lists versions newest first, the successful one stable", async () => {
    const res = await http<{ Versions: Array<{ Version: number; Stable: boolean }>; Diffs: null }>(
      follower,
      "GET",
      "/v1/job/canary/versions",
    );
    expect(res.status).toBe(200);
    expect(res.body.Diffs).toBeNull();
    expect(res.body.Versions.map((v) => [v.Version, v.Stable])).toEqual([
      [1, true],
      [0, true],
    ]);
    expect((await http(leader, "GET", "/v1/job/nope/versions")).status).toBe(404);
  });

  it("deployment fail fails a running deployment; pause and resume switch its status", async () => {
    const registered = await http(
      leader,
      "POST",
      "/v1/jobs",
      jobBody("canary", "service", [webGroup("3", 2, CANARY_UPDATE)]),
    );
    expect(registered.status).toBe(200);
    const running = await latestDeployment(
      "canary",
      (d) => d.JobVersion === 2 && d.Status === "running",
      "v2 deployment",
    );

    const pause = await http<UpdateAnswer>(leader, "POST", `/v1/deployment/pause/${running.ID}`, {
      Pause: true,
    });
    expect(pause.status).toBe(200);
    expect(pause.body.EvalID).toBe("");
    expect((await http<Deployment>(leader, "GET", `/v1/deployment/${running.ID}`)).body).toMatchObject({
      Status: "paused",
      StatusDescription: "Deployment is paused",
    });
    const resume = await http<UpdateAnswer>(follower, "POST", `/v1/deployment/pause/${running.ID}`, {
      Pause: false,
    });
    expect(resume.status).toBe(200);
    expect(resume.body.EvalID).not.toBe("");
    expect((await http<Deployment>(leader, "GET", `/v1/deployment/${running.ID}`)).body.Status).toBe(
      "running",
    );
    expect((await http(leader, "POST", `/v1/deployment/pause/${running.ID}`, { Pause: "yes" })).status).toBe(
      400,
    );

    const failed = await http<UpdateAnswer>(follower, "POST", `/v1/deployment/fail/${running.ID}`);
    expect(failed.status, JSON.stringify(failed.body)).toBe(200);
    const after = await http<Deployment>(leader, "GET", `/v1/deployment/${running.ID}`);
    expect(after.body).toMatchObject({ Status: "failed", StatusDescription: "Deployment marked as failed" });
    expect(after.body.ModifyIndex).toBe(failed.body.DeploymentModifyIndex);

    const missing = await http<{ error: string }>(leader, "POST", "/v1/deployment/fail/no-such-deployment");
    expect(missing.status).toBe(404);
    expect(missing.body.error).toBe("deployment no-such-deployment not found");
  });

  it("lists deployments (all, by prefix, by job) and answers the latest", async () => {
    const all = await http<Deployment[]>(follower, "GET", "/v1/deployments");
    expect(all.status).toBe(200);
    expect(all.body.length).toBeGreaterThanOrEqual(3);
    const newest = all.body[0] as Deployment;
    const byPrefix = await http<Deployment[]>(
      leader,
      "GET",
      `/v1/deployments?prefix=${newest.ID.slice(0, 8)}`,
    );
    expect(byPrefix.body.map((d) => d.ID)).toEqual([newest.ID]);
    const ofJob = await http<Deployment[]>(leader, "GET", "/v1/job/canary/deployments");
    expect(ofJob.body.map((d) => d.JobVersion)).toEqual([2, 1, 0]);
    const latest = await http<Deployment>(leader, "GET", "/v1/job/canary/deployment");
    expect(latest.body.JobVersion).toBe(2);
    expect((await http(leader, "GET", "/v1/job/nope/deployment")).body).toBeNull();
    expect((await http(leader, "GET", "/v1/deployment/nope")).status).toBe(404);
  });

  it("job revert to version 0 registers version 0's spec as a new version", async () => {
    const wrongPrior = await http<{ error: string }>(leader, "POST", "/v1/job/canary/revert", {
      JobVersion: 0,
      EnforcePriorVersion: 1,
    });
    expect(wrongPrior.status).toBe(409);
    expect(wrongPrior.body.error).toContain("not the enforced prior version 1");
    expect((await http(leader, "POST", "/v1/job/canary/revert", { JobVersion: 99 })).status).toBe(404);
    expect((await http(leader, "POST", "/v1/job/canary/revert", { JobVersion: -1 })).status).toBe(400);
    expect((await http(leader, "POST", "/v1/job/canary/revert", { JobVersion: 2 })).status).toBe(400);

    const reverted = await http<{ EvalID: string; JobModifyIndex: number }>(
      follower,
      "POST",
      "/v1/job/canary/revert",
      { JobID: "canary", JobVersion: 0, EnforcePriorVersion: 2 },
    );
    expect(reverted.status, JSON.stringify(reverted.body)).toBe(200);
    expect(reverted.body.EvalID).not.toBe("");
    const job = await http<{
      Version: number;
      JobModifyIndex: number;
      TaskGroups: Array<{ Tasks: unknown[] }>;
    }>(leader, "GET", "/v1/job/canary");
    expect(job.body.Version).toBe(3);
    expect(job.body.JobModifyIndex).toBe(reverted.body.JobModifyIndex);
    expect(job.body.TaskGroups[0]?.Tasks[0]).toMatchObject({ Env: { VERSION: "1" } });
  });

  it("job scale changes a group's count; scale status reports it", async () => {
    expect(
      (await http(leader, "POST", "/v1/jobs", jobBody("scaled", "service", [webGroup("1", 1, null)]))).status,
    ).toBe(200);
    await jobAllocs(cluster, "scaled", (a) => a.some((x) => x.ClientStatus === "running"), "scaled running");

    const scaled = await http<{ EvalID: string }>(follower, "POST", "/v1/job/scaled/scale", {
      Count: 2,
      Target: { Group: "web" },
    });
    expect(scaled.status, JSON.stringify(scaled.body)).toBe(200);
    expect(scaled.body.EvalID).not.toBe("");
    await jobAllocs(
      cluster,
      "scaled",
      (a) => a.filter((x) => x.DesiredStatus === "run" && x.ClientStatus === "running").length === 2,
      "scaled to 2",
    );
    const status = await http<{ JobStopped: boolean; TaskGroups: Record<string, Record<string, number>> }>(
      leader,
      "GET",
      "/v1/job/scaled/scale",
    );
    expect(status.body.JobStopped).toBe(false);
    expect(status.body.TaskGroups["web"]).toMatchObject({ Desired: 2, Placed: 2, Running: 2 });
    const versions = await http<{ Versions: unknown[] }>(leader, "GET", "/v1/job/scaled/versions");
    expect(versions.body.Versions).toHaveLength(2);

    const bad = async (body: unknown, status: number, message: string) => {
      const res = await http<{ error: string }>(leader, "POST", "/v1/job/scaled/scale", body);
      expect(res.status, JSON.stringify(res.body)).toBe(status);
      expect(res.body.error).toContain(message);
    };
    await bad({ Count: -1, Target: { Group: "web" } }, 400, "Count must be a non-negative integer");
    await bad({ Count: 1 }, 400, "Target must name the task group");
    await bad({ Count: 1, Target: { Group: "nope" } }, 400, 'has no task group "nope"');
    expect(
      (await http(leader, "POST", "/v1/job/nope/scale", { Count: 1, Target: { Group: "web" } })).status,
    ).toBe(404);
  });

  it("alloc stop stops one allocation and the scheduler replaces it", async () => {
    const live = (await jobAllocs(cluster, "scaled", (a) => a.length >= 2, "scaled allocs")).filter(
      (a) => a.DesiredStatus === "run",
    );
    const victim = live[0] as AllocStub;
    const stopped = await http<{ EvalID: string; Index: number }>(
      follower,
      "POST",
      `/v1/allocation/${victim.ID}/stop`,
    );
    expect(stopped.status, JSON.stringify(stopped.body)).toBe(200);
    expect(stopped.body.EvalID).not.toBe("");
    const evaluation = await http<{ TriggeredBy: string }>(
      leader,
      "GET",
      `/v1/evaluation/${stopped.body.EvalID}`,
    );
    expect(evaluation.body.TriggeredBy).toBe("alloc-stop");
    const after = await jobAllocs(
      cluster,
      "scaled",
      (a) =>
        a.find((x) => x.ID === victim.ID)?.DesiredStatus === "stop" &&
        a.filter((x) => x.DesiredStatus === "run" && x.ClientStatus === "running").length === 2,
      "stopped alloc replaced",
    );
    expect(after.some((a) => a.ID !== victim.ID && !live.some((l) => l.ID === a.ID))).toBe(true);

    const twice = await http<{ error: string }>(leader, "POST", `/v1/allocation/${victim.ID}/stop`);
    expect(twice.status).toBe(400);
    expect(twice.body.error).toContain("already stopped");
    expect((await http(leader, "POST", "/v1/allocation/no-such-alloc/stop")).status).toBe(404);
  });

  it("job evaluate creates an eval; periodic force launches a child of a periodic job only", async () => {
    const res = await http<{ EvalID: string; EvalCreateIndex: number }>(
      follower,
      "POST",
      "/v1/job/scaled/evaluate",
    );
    expect(res.status).toBe(200);
    const evaluation = await http<{ JobID: string }>(leader, "GET", `/v1/evaluation/${res.body.EvalID}`);
    expect(evaluation.body.JobID).toBe("scaled");
    const force = await http<{ error: string }>(leader, "POST", "/v1/job/scaled/periodic/force");
    expect(force.status).toBe(400);
    expect(force.body.error).toContain("is not periodic");

    const yearly = jobBody("yearly", "batch", [{ Name: "g", Tasks: [shellTask("t", "true")] }], {
      Periodic: { Enabled: true, Spec: "0 0 1 1 *", SpecType: "cron" },
    });
    expect((await http(leader, "POST", "/v1/jobs", yearly)).status).toBe(200);
    const launched = await http<{ EvalID: string }>(follower, "POST", "/v1/job/yearly/periodic/force");
    expect(launched.status, JSON.stringify(launched.body)).toBe(200);
    const child = await http<{ JobID: string }>(leader, "GET", `/v1/evaluation/${launched.body.EvalID}`);
    expect(child.body.JobID).toMatch(/^yearly\/periodic-\d+$/);
    expect((await http(leader, "GET", `/v1/job/${encodeURIComponent(child.body.JobID)}`)).status).toBe(200);
  });

  it("node purge removes a node from the state", async () => {
    const sim = new NodeSimulator({ servers: cluster.rpcAddresses(), logger: silentLogger() });
    try {
      const [nodeId] = (await sim.addNodes(1)) as [string];
      sim.close();
      const purged = await http<{ NodeModifyIndex: number; Index: number }>(
        follower,
        "POST",
        `/v1/node/${nodeId}/purge`,
      );
      expect(purged.status, JSON.stringify(purged.body)).toBe(200);
      expect(purged.body.NodeModifyIndex).toBe(purged.body.Index);
      expect((await http(leader, "GET", `/v1/node/${nodeId}`)).status).toBe(404);
      expect((await http(leader, "POST", "/v1/node/no-such-node/purge")).status).toBe(404);
    } finally {
      sim.close();
    }
  });
});
