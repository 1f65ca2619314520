import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalCluster, type ServerProcess } from "../../src/cli/local-cluster.js";

// Three real server processes (Raft over gRPC, LevelDB, HTTP): writes and consistent reads sent
// to a follower are forwarded to the leader; bad input gets 400/404/413, never a crash.
describe("server agent: forwarding and the HTTP API", () => {
  let cluster: LocalCluster;
  let leader: ServerProcess;
  let followers: ServerProcess[];

  beforeAll(async () => {
    cluster = await LocalCluster.start({ servers: 3 });
    leader = await cluster.waitForLeader();
    followers = cluster.servers.filter((s) => s !== leader);
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it("forwards a variable write sent to a follower, and a follower's consistent read sees it", async () => {
    const [f1, f2] = followers as [ServerProcess, ServerProcess];
    const put = await cluster.http<{ ModifyIndex: number; Items: Record<string, string> }>(
      f1,
      "PUT",
      "/v1/var/app/config",
      {
        Path: "app/config",
        Items: { color: "blue" },
      },
    );
    expect(put.status).toBe(200);
    expect(put.body.Items).toEqual({ color: "blue" });
    const get = await cluster.http<{ Items: Record<string, string>; ModifyIndex: number }>(
      f2,
      "GET",
      "/v1/var/app/config",
    );
    expect(get.status).toBe(200);
    expect(get.body.ModifyIndex).toBe(put.body.ModifyIndex);
    expect(get.index).toBeGreaterThanOrEqual(put.body.ModifyIndex);
  });

  it("check-and-set through a follower: stale index → 409 with the current variable", async () => {
    const [f1] = followers as [ServerProcess];
    const first = await cluster.http<{ ModifyIndex: number }>(f1, "PUT", "/v1/var/cas/key?cas=0", {
      Items: { v: "1" },
    });
    expect(first.status).toBe(200);
    const again = await cluster.http<{ ModifyIndex: number; Items: Record<string, string> }>(
      f1,
      "PUT",
      "/v1/var/cas/key?cas=0",
      {
        Items: { v: "2" },
      },
    );
    expect(again.status).toBe(409);
    expect(again.body.Items).toEqual({ v: "1" });
    const ok = await cluster.http<{ Items: Record<string, string> }>(
      f1,
      "PUT",
      `/v1/var/cas/key?cas=${first.body.ModifyIndex}`,
      {
        Items: { v: "3" },
      },
    );
    expect(ok.status).toBe(200);
    expect(ok.body.Items).toEqual({ v: "3" });
    const del = await cluster.http(f1, "DELETE", "/v1/var/cas/key");
    expect(del.status).toBe(200);
    expect((await cluster.http(leader, "GET", "/v1/var/cas/key")).status).toBe(404);
  });

  it("registers a job through a follower and every server lists it", async () => {
    const [f1] = followers as [ServerProcess];
    const res = await cluster.http<{ EvalID: string; JobModifyIndex: number }>(f1, "POST", "/v1/jobs", {
      Job: { ID: "fwd", TaskGroups: [{ Name: "g", Count: 1, Tasks: [{ Name: "t", Driver: "mock" }] }] },
    });
    expect(res.status).toBe(200);
    expect(res.body.EvalID).not.toBe("");
    for (const server of cluster.servers) {
      const jobs = await cluster.http<Array<{ ID: string }>>(server, "GET", "/v1/jobs");
      expect(jobs.body.map((j) => j.ID)).toContain("fwd");
    }
    const job = await cluster.http<{ ID: string; Version: number }>(
      followers[1] as ServerProcess,
      "GET",
      "/v1/job/fwd",
    );
    expect(job.body.ID).toBe("fwd");
  });

  it("answers status: the same leader and three peers everywhere", async () => {
    for (const server of cluster.servers) {
      expect((await cluster.http<string>(server, "GET", "/v1/status/leader")).body).toBe(leader.rpcAddress);
      const peers = await cluster.http<string[]>(server, "GET", "/v1/status/peers");
      expect([...peers.body].sort()).toEqual(cluster.rpcAddresses().sort());
    }
  });

  it("rejects bad input with 400/404/413 and keeps serving", async () => {
    const [f1] = followers as [ServerProcess];
    const badJson = await fetch(`${f1.httpUrl}/v1/jobs`, { method: "POST", body: "{not json" });
    expect(badJson.status).toBe(400);
    expect(((await badJson.json()) as { error: string }).error).toMatch(/JSON/);
    const noGroups = await cluster.http<{ error: string }>(f1, "POST", "/v1/jobs", {
      Job: { ID: "x", TaskGroups: [] },
    });
    expect(noGroups.status).toBe(400);
    expect(noGroups.body.error).toMatch(/task group/);
    const badPath = await cluster.http<{ error: string }>(f1, "PUT", "/v1/var/bad%20path", {
      Items: { a: "b" },
    });
    expect(badPath.status).toBe(400);
    expect((await cluster.http(f1, "GET", "/v1/job/nope")).status).toBe(404);
    expect((await cluster.http(f1, "GET", "/v1/no/such/thing")).status).toBe(404);
    const huge = await fetch(`${f1.httpUrl}/v1/var/big`, {
      method: "PUT",
      body: "x".repeat(5 * 1024 * 1024),
    });
    expect(huge.status).toBe(413);
    expect((await cluster.http(f1, "GET", "/v1/agent/health")).status).toBe(200);
  });

  it("a blocking query on a follower returns when the variable changes", async () => {
    const [f1, f2] = followers as [ServerProcess, ServerProcess];
    const first = await cluster.http<{ ModifyIndex: number }>(f1, "PUT", "/v1/var/block/me", {
      Items: { n: "1" },
    });
    const waiting = cluster.http<{ Items: Record<string, string> }>(
      f2,
      "GET",
      `/v1/var/block/me?stale&index=${first.index}&wait=20s`,
    );
    await cluster.http(f1, "PUT", "/v1/var/block/me", { Items: { n: "2" } });
    const answered = await waiting;
    expect(answered.body.Items).toEqual({ n: "2" });
    expect(answered.index).toBeGreaterThan(first.index);
  });
});
