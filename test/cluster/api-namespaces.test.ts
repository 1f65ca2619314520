import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AgentProcess, LocalCluster, type ServerProcess } from "../../src/cli/local-cluster.js";
import { NodeSimulator } from "../../src/client/node-sim/node-simulator.js";
import { silentLogger } from "../../src/common/log.js";
import { clientNodeId, waitForQuery } from "./client-helpers.js";

interface Namespace {
  Name: string;
  Description: string;
  Meta: Record<string, string>;
  CreateIndex: number;
  ModifyIndex: number;
}
interface Listed {
  ID: string;
  Namespace: string;
  Status?: string;
}

/** A service job of one simulated `mock` task in `namespace`. */
function mockJob(id: string, namespace: string): unknown {
  return {
    Job: {
      ID: id,
      Namespace: namespace,
      Type: "service",
      Datacenters: ["dc1"],
      TaskGroups: [
        { Name: "g", Count: 1, Tasks: [{ Name: "t", Driver: "mock", Config: { run_for: "1h" } }] },
      ],
    },
  };
}

// Namespaces on a real three-server cluster with one simulated node and one real client agent.
// Writes go to a follower as often as to the leader, and some to the client agent, so that the
// namespace RPCs are forwarded, over gRPC from the client agent too.
describe("HTTP API: namespaces", () => {
  let cluster: LocalCluster;
  let leader: ServerProcess;
  let follower: ServerProcess;
  let sim: NodeSimulator;
  let client: AgentProcess;
  const http = <T>(server: AgentProcess, method: string, path: string, body?: unknown) =>
    cluster.http<T>(server, method, path, body);

  beforeAll(async () => {
    cluster = await LocalCluster.start({ servers: 3 });
    leader = await cluster.waitForLeader(60_000);
    follower = cluster.servers.find((s) => s !== leader) as ServerProcess;
    sim = new NodeSimulator({ servers: cluster.rpcAddresses(), logger: silentLogger() });
    await sim.addNodes(1);
    client = await cluster.addClient();
    // Registered with the servers, and so serving its HTTP API.
    await clientNodeId(cluster, client);
  });

  afterAll(async () => {
    sim?.close();
    await cluster?.stop();
  });

  it("lists default, and a blocking query on /v1/namespaces returns when a namespace is written", async () => {
    const first = await http<Namespace[]>(follower, "GET", "/v1/namespaces");
    expect(first.status).toBe(200);
    expect(first.body.map((n) => n.Name)).toEqual(["default"]);
    expect(first.index).toBeGreaterThan(0);
    expect((await http<Namespace>(leader, "GET", "/v1/namespace/default")).body.Name).toBe("default");

    // The name from the body, on the route without one.
    const eu = await http(leader, "POST", "/v1/namespace", { Name: "prod-eu", Description: "" });
    expect(eu.status).toBe(200);
    const listed = await http<Namespace[]>(follower, "GET", "/v1/namespaces");
    expect(listed.index).toBe(eu.index);

    // Blocks on a follower (forwarded to the leader) until the namespaces table moves past the
    // index it was given: only the write below can do that.
    const blocked = http<Namespace[]>(follower, "GET", `/v1/namespaces?index=${listed.index}&wait=60s`);
    const write = await http(follower, "PUT", "/v1/namespace/prod", {
      Description: "production",
      Meta: { team: "ops" },
    });
    expect(write.status).toBe(200);
    expect(write.index).toBeGreaterThan(listed.index);
    const woke = await blocked;
    expect(woke.status).toBe(200);
    expect(woke.index).toBe(write.index);
    expect(woke.body.map((n) => n.Name)).toEqual(["default", "prod", "prod-eu"]);

    const prod = await http<Namespace>(leader, "GET", "/v1/namespace/prod");
    expect(prod.status).toBe(200);
    expect(prod.body).toMatchObject({
      Name: "prod",
      Description: "production",
      Meta: { team: "ops" },
      CreateIndex: write.index,
      ModifyIndex: write.index,
    });
    const prefixed = await http<Namespace[]>(leader, "GET", "/v1/namespaces?prefix=prod-");
    expect(prefixed.body.map((n) => n.Name)).toEqual(["prod-eu"]);
  });

  it("answers the namespace routes on a client agent, which forwards them to the servers", async () => {
    const viaClient = await http<Namespace[]>(client, "GET", "/v1/namespaces?prefix=prod");
    expect(viaClient.status).toBe(200);
    expect(viaClient.body.map((n) => n.Name)).toEqual(["prod", "prod-eu"]);
    expect((await http<Namespace>(client, "GET", "/v1/namespace/prod")).body.Description).toBe("production");
    expect((await http(client, "GET", "/v1/namespace/nope")).status).toBe(404);
    // No body: the name from the path, nothing else.
    const created = await http(client, "PUT", "/v1/namespace/tmp");
    expect(created.status).toBe(200);
    expect((await http<Namespace>(leader, "GET", "/v1/namespace/tmp")).body).toMatchObject({
      Description: "",
      Meta: {},
      CreateIndex: created.index,
    });
    const write = await http(client, "PUT", "/v1/namespace/tmp", { Description: "from a client agent" });
    expect(write.status).toBe(200);
    expect((await http<Namespace>(leader, "GET", "/v1/namespace/tmp")).body.ModifyIndex).toBe(write.index);
    const refused = await http<{ error: string }>(client, "DELETE", "/v1/namespace/default");
    expect(refused.status).toBe(400);
    expect(refused.body.error).toContain('namespace "default" can not be deleted');
    expect((await http(client, "DELETE", "/v1/namespace/tmp")).status).toBe(200);
    expect((await http(leader, "GET", "/v1/namespace/tmp")).status).toBe(404);
  });

  it("answers 404 for an unknown namespace and 400 for a bad one, storing nothing", async () => {
    const missing = await http<{ error: string }>(follower, "GET", "/v1/namespace/nope");
    expect(missing.status).toBe(404);
    expect(missing.body.error).toBe("namespace nope not found");
    const mismatch = await http<{ error: string }>(leader, "PUT", "/v1/namespace/a", { Name: "b" });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.error).toContain("does not match the namespace in the URL path");
    const badName = await http<{ error: string }>(follower, "PUT", "/v1/namespace", { Name: "no spaces" });
    expect(badName.status).toBe(400);
    expect(badName.body.error).toContain("invalid namespace name");
    const badMeta = await http<{ error: string }>(leader, "PUT", "/v1/namespace/m", { Meta: { n: 1 } });
    expect(badMeta.status).toBe(400);
    expect(badMeta.body.error).toContain("Meta.n: must be a string");
    const names = (await http<Namespace[]>(leader, "GET", "/v1/namespaces")).body.map((n) => n.Name);
    expect(names).toEqual(["default", "prod", "prod-eu"]);
  });

  it("lists a job of another namespace only when asked for it or for *", async () => {
    const registered = await http<{ EvalID: string }>(follower, "POST", "/v1/jobs", mockJob("api", "prod"));
    expect(registered.status).toBe(200);
    expect((await http(leader, "POST", "/v1/jobs", mockJob("web", "default"))).status).toBe(200);
    const running = await waitForQuery<{ Status: string }>(
      cluster,
      "/v1/job/api?namespace=prod",
      (job) => job.Status === "running",
      60_000,
      "job api running in prod",
    );
    expect(running.Status).toBe("running");

    const ids = async (path: string): Promise<string[]> =>
      (await http<Listed[]>(follower, "GET", path)).body.map((j) => `${j.Namespace}/${j.ID}`).sort();
    expect(await ids("/v1/jobs")).toEqual(["default/web"]);
    expect(await ids("/v1/jobs?namespace=prod")).toEqual(["prod/api"]);
    expect(await ids("/v1/jobs?namespace=*")).toEqual(["default/web", "prod/api"]);
    expect((await ids("/v1/allocations")).every((a) => a.startsWith("default/"))).toBe(true);
    expect(await ids("/v1/allocations?namespace=prod")).toHaveLength(1);
    expect((await http(leader, "GET", "/v1/job/api")).status).toBe(404);
    const evals = (await http<Listed[]>(leader, "GET", "/v1/evaluations?namespace=prod")).body;
    expect(evals.map((e) => e.ID)).toContain(registered.body.EvalID);
    const defaultEvals = (await http<Listed[]>(leader, "GET", "/v1/evaluations")).body;
    expect(defaultEvals.every((e) => e.Namespace === "default")).toBe(true);
  });

  it("refuses a job or a variable in a namespace that does not exist, and stores nothing", async () => {
    const job = await http<{ error: string }>(follower, "POST", "/v1/jobs", mockJob("ghost", "staging"));
    expect(job.status).toBe(400);
    expect(job.body).toEqual({ error: 'namespace "staging" does not exist' });
    const plan = await http<{ error: string }>(
      leader,
      "POST",
      "/v1/job/ghost/plan",
      mockJob("ghost", "staging"),
    );
    expect(plan.status).toBe(400);
    expect(plan.body.error).toBe('namespace "staging" does not exist');
    const variable = await http<{ error: string }>(follower, "PUT", "/v1/var/app/db?namespace=staging", {
      Items: { password: "x" },
    });
    expect(variable.status).toBe(400);
    expect(variable.body).toEqual({ error: 'namespace "staging" does not exist' });

    const all = (await http<Listed[]>(leader, "GET", "/v1/jobs?namespace=*")).body;
    expect(all.map((j) => j.ID)).not.toContain("ghost");
    expect((await http(leader, "GET", "/v1/job/ghost?namespace=staging")).status).toBe(404);
    expect((await http(leader, "GET", "/v1/var/app/db?namespace=staging")).status).toBe(404);
    expect((await http<unknown[]>(leader, "GET", "/v1/vars?namespace=*")).body).toEqual([]);
  });

  it("refuses to delete a namespace with a running job or a variable, and deletes it after stop and purge", async () => {
    const refused = await http<{ error: string }>(follower, "DELETE", "/v1/namespace/prod");
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe(
      'namespace "prod" contains at least one non-terminal job "api"; ' +
        "all jobs must be terminal (stopped) before the namespace can be deleted",
    );
    expect((await http(leader, "GET", "/v1/namespace/prod")).status).toBe(200);

    const stopped = await http(follower, "DELETE", "/v1/job/api?namespace=prod");
    expect(stopped.status).toBe(200);
    const purged = await http(leader, "DELETE", "/v1/job/api?namespace=prod&purge=true");
    expect(purged.status).toBe(200);

    const put = await http(follower, "PUT", "/v1/var/app/cfg?namespace=prod", { Items: { k: "v" } });
    expect(put.status).toBe(200);
    const withVar = await http<{ error: string }>(leader, "DELETE", "/v1/namespace/prod");
    expect(withVar.status).toBe(400);
    expect(withVar.body.error).toContain('namespace "prod" contains at least one variable "app/cfg"');
    expect((await http(follower, "DELETE", "/v1/var/app/cfg?namespace=prod")).status).toBe(200);

    const deleted = await http(follower, "DELETE", "/v1/namespace/prod");
    expect(deleted.status).toBe(200);
    expect(deleted.index).toBeGreaterThan(0);
    expect((await http(leader, "GET", "/v1/namespace/prod")).status).toBe(404);
    expect((await http(leader, "DELETE", "/v1/namespace/prod")).status).toBe(404);
  });

  it("never deletes default", async () => {
    const res = await http<{ error: string }>(leader, "DELETE", "/v1/namespace/default");
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'namespace "default" can not be deleted' });
    const names = (await http<Namespace[]>(follower, "GET", "/v1/namespaces")).body.map((n) => n.Name);
    expect(names).toContain("default");
  });
});
