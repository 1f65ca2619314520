import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AgentProcess, LocalCluster, type ServerProcess } from "../../src/cli/local-cluster.js";
import { parseJobHcl } from "../../src/jobspec/index.js";
import { type AllocStub, clientNodeId, jobAllocs, waitForQuery } from "./client-helpers.js";
import { eventually } from "./fixtures/raft-cluster.js";

/**
 * Every job file in examples/ runs end to end on a real server and a real client agent: parsed
 * from HCL as `drover job run` parses it, registered over the HTTP API, and its tasks run as real
 * processes with the exec driver.
 */

const EXAMPLES = join(import.meta.dirname, "..", "..", "examples");

interface AllocDetail extends AllocStub {
  AllocatedResources: { Shared: { Ports: Array<{ Label: string; Value: number; HostIP: string }> } };
}

describe("examples/", () => {
  let cluster: LocalCluster;
  let server: ServerProcess;
  let client: AgentProcess;

  const http = <T>(method: string, path: string, body?: unknown) =>
    cluster.http<T>(server, method, path, body);

  async function run(file: string, vars: Record<string, string> = {}): Promise<string> {
    const text = readFileSync(join(EXAMPLES, file), "utf8");
    const { job, warnings } = await parseJobHcl(text, file, { vars });
    expect(warnings, file).toEqual([]);
    const res = await http<{ EvalID: string }>("POST", "/v1/jobs", { Job: job });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return job.ID;
  }

  async function stdout(allocId: string, task: string): Promise<string> {
    const res = await fetch(
      `${client.httpUrl}/v1/client/fs/logs/${allocId}?task=${task}&type=stdout&plain=true&origin=start`,
    );
    return res.ok ? await res.text() : "";
  }

  const allComplete = (count: number) => (allocs: AllocStub[]) =>
    allocs.length === count && allocs.every((a) => a.ClientStatus === "complete");

  beforeAll(async () => {
    cluster = await LocalCluster.start({ servers: 1 });
    server = await cluster.waitForLeader(60_000);
    client = await cluster.addClient();
    await clientNodeId(cluster, client);
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it("the client agent reports its own health as a client's", async () => {
    const res = await fetch(`${client.httpUrl}/v1/agent/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ client: { ok: true, message: "ok" } });
    const onServer = await http<Record<string, unknown>>("GET", "/v1/agent/health");
    expect(onServer.body).toEqual({ server: { ok: true, message: "ok" } });
  });

  it("web.hcl: two web servers answer on their dynamic ports, with the variable's greeting", async () => {
    const id = await run("web.hcl", { greeting: "hi" });
    const allocs = await jobAllocs(
      cluster,
      id,
      (a) => a.filter((x) => x.ClientStatus === "running").length === 2,
      "two web servers running",
    );
    await waitForQuery<{ Status: string } | null>(
      cluster,
      `/v1/job/${id}/deployment`,
      (d) => d?.Status === "successful",
      120_000,
      "the web deployment",
    );
    for (const stub of allocs) {
      const alloc = (await http<AllocDetail>("GET", `/v1/allocation/${stub.ID}`)).body;
      const port = alloc.AllocatedResources.Shared.Ports.find((p) => p.Label === "http");
      if (port === undefined) throw new Error(`alloc ${stub.ID} has no http port`);
      // A freshly started server refuses connections until it listens.
      const url = `http://${port.HostIP}:${port.Value}/`;
      const answer = await eventually(`${url} answering`, 30_000, () =>
        fetch(url).then(
          (res) => res.text(),
          () => undefined,
        ),
      );
      expect(answer).toBe(`hi from ${stub.Name}\n`);
    }
  });

  it("batch.hcl: three instances do their work and the job is dead", async () => {
    const id = await run("batch.hcl");
    const allocs = await jobAllocs(cluster, id, allComplete(3), "three instances complete");
    const outputs = await Promise.all(allocs.map((a) => stdout(a.ID, "count")));
    expect(outputs.sort()).toEqual([0, 1, 2].map((i) => `instance ${i} counted 3 words\n`));
    await waitForQuery<{ Status: string }>(
      cluster,
      `/v1/job/${id}`,
      (j) => j.Status === "dead",
      60_000,
      "dead",
    );
  });

  it("system.hcl: one instance on the client, beating", async () => {
    const id = await run("system.hcl");
    const [alloc] = await jobAllocs(
      cluster,
      id,
      (a) => a.length === 1 && a[0]?.ClientStatus === "running",
      "one instance running",
    );
    expect(alloc?.NodeID).toBe(await clientNodeId(cluster, client));
    await expect.poll(() => stdout(alloc?.ID ?? "", "beat"), { timeout: 30_000 }).toContain("beat");
  });

  it("periodic.hcl: a forced launch runs a child job to completion", async () => {
    const id = await run("periodic.hcl");
    const forced = await http<{ EvalID: string }>("POST", `/v1/job/${id}/periodic/force`);
    expect(forced.status, JSON.stringify(forced.body)).toBe(200);
    const children = await waitForQuery<Array<{ ID: string; ParentID: string }>>(
      cluster,
      `/v1/jobs?prefix=${id}/periodic-`,
      (jobs) => jobs.some((j) => j.ParentID === id),
      60_000,
      "a launched child",
    );
    const child = children.find((j) => j.ParentID === id)?.ID as string;
    // A child's ID has a slash in it: it is one path segment, escaped.
    const [alloc] = await jobAllocs(
      cluster,
      encodeURIComponent(child),
      allComplete(1),
      "the child's run complete",
    );
    expect(await stdout(alloc?.ID ?? "", "report")).toMatch(/^report from report\/periodic-\d+ at \d{4}-/);
  });

  it("parameterized.hcl: a dispatch runs with its payload and metadata", async () => {
    const id = await run("parameterized.hcl");
    const missing = await http<{ error: string }>("POST", `/v1/job/${id}/dispatch`, {});
    expect(missing.status).toBe(400);
    expect(missing.body.error).toContain("target");
    const dispatched = await http<{ DispatchedJobID: string }>("POST", `/v1/job/${id}/dispatch`, {
      Payload: Buffer.from("a warm welcome").toString("base64"),
      Meta: { target: "eu" },
    });
    expect(dispatched.status, JSON.stringify(dispatched.body)).toBe(200);
    const [alloc] = await jobAllocs(
      cluster,
      encodeURIComponent(dispatched.body.DispatchedJobID),
      allComplete(1),
      "dispatched run",
    );
    expect(await stdout(alloc?.ID ?? "", "greet")).toBe("greeting eu with: a warm welcome\n");
  });
});
