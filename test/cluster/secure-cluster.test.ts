import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AgentProcess, LocalCluster, type ServerProcess } from "../../src/cli/local-cluster.js";
import { createCa, createCert, type PemPair } from "../../src/cli/tls-certs.js";
import { eventually } from "./fixtures/raft-cluster.js";
import { type PemFiles, probe, tlsArgs, writePair } from "./fixtures/tls.js";

// Mutual TLS and ACLs together on one 3-server cluster with a real client: each is tested alone
// in tls.test.ts and acl.test.ts; here a request must pass both, over HTTPS and over gRPC, through
// a follower that forwards to the leader.

describe("mutual TLS and ACLs together", () => {
  let dir: string;
  let ca: PemPair;
  let caFile: string;
  let cliPair: PemPair;
  let clientFiles: PemFiles;
  let cluster: LocalCluster;
  let leader: ServerProcess;
  let follower: ServerProcess;
  let management = "";

  async function call<T = unknown>(
    agent: AgentProcess,
    method: string,
    path: string,
    options: { token?: string; body?: unknown } = {},
  ): Promise<{ status: number; body: T }> {
    const headers: Record<string, string> = {};
    if (options.token !== undefined) headers["X-Nomad-Token"] = options.token;
    const res = await cluster.fetch(`${agent.httpUrl}${path}`, {
      method,
      headers,
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    });
    const text = await res.text();
    return { status: res.status, body: (text === "" ? null : JSON.parse(text)) as T };
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "drover-secure-"));
    ca = createCa();
    caFile = join(dir, "ca.pem");
    await writeFile(caFile, ca.cert);
    const serverFiles = await writePair(dir, "server", createCert(ca, { role: "server" }));
    clientFiles = await writePair(dir, "client", createCert(ca, { role: "client" }));
    cliPair = createCert(ca, { role: "cli" });
    const cliFiles = await writePair(dir, "cli", cliPair);
    cluster = await LocalCluster.start({
      servers: 3,
      extraArgs: [...tlsArgs({ ca: caFile, ...serverFiles }), "--acl-enabled"],
      https: { caCert: caFile, clientCert: cliFiles.cert, clientKey: cliFiles.key },
    });
    leader = await cluster.waitForLeader(60_000);
    follower = cluster.servers.find((s) => s !== leader) as ServerProcess;
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("bootstraps once over HTTPS through a follower", async () => {
    const first = await call<{ SecretID: string; Type: string }>(follower, "POST", "/v1/acl/bootstrap");
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body.Type).toBe("management");
    management = first.body.SecretID;
    const again = await call<{ error: string }>(leader, "POST", "/v1/acl/bootstrap");
    expect(again.status).toBe(400);
    expect(again.body.error).toMatch(/ACL bootstrap already done/);
  });

  it("a read-only token reads and is refused register, naming the capability; anonymous is refused", async () => {
    const policy = await call(leader, "PUT", "/v1/acl/policy/readonly", {
      token: management,
      body: { Name: "readonly", Rules: 'namespace "default" { policy = "read" }' },
    });
    expect(policy.status, JSON.stringify(policy.body)).toBe(200);
    const created = await call<{ SecretID: string }>(leader, "POST", "/v1/acl/token", {
      token: management,
      body: { Name: "ro", Type: "client", Policies: ["readonly"] },
    });
    expect(created.status).toBe(200);
    const ro = created.body.SecretID;
    await eventually("the token to resolve on the follower", 30_000, async () =>
      (await call(follower, "GET", "/v1/jobs", { token: ro })).status === 200 ? true : undefined,
    );
    const job = {
      Job: {
        ID: "denied",
        Type: "service",
        Datacenters: ["dc1"],
        TaskGroups: [{ Name: "g", Count: 1, Tasks: [{ Name: "t", Driver: "mock", Config: {} }] }],
      },
    };
    const denied = await call<{ error: string }>(follower, "POST", "/v1/jobs", { token: ro, body: job });
    expect(denied.status).toBe(403);
    expect(denied.body.error).toMatch(/missing capability submit-job on namespace default/);
    const anonymous = await call(follower, "GET", "/v1/jobs");
    expect(anonymous.status).toBe(403);
  });

  it("gRPC needs both a certificate from the CA and a token", async () => {
    const withCert = grpc.credentials.createSsl(
      Buffer.from(ca.cert),
      Buffer.from(cliPair.key),
      Buffer.from(cliPair.cert),
    );
    const method = "/drover.server.Server/JobList";
    expect((await probe(follower.rpcAddress, method, { credentials: withCert })).code).toBe(
      grpc.status.PERMISSION_DENIED,
    );
    expect(
      (await probe(follower.rpcAddress, method, { credentials: withCert, token: management })).code,
    ).toBe(grpc.status.OK);
    const noCert = grpc.credentials.createSsl(Buffer.from(ca.cert));
    expect((await probe(follower.rpcAddress, method, { credentials: noCert, token: management })).code).toBe(
      grpc.status.UNAVAILABLE,
    );
  });

  it("a client agent with a client certificate registers and runs a task", async () => {
    const client = await cluster.addClient({
      extraArgs: [...tlsArgs({ ca: caFile, ...clientFiles }), "--acl-enabled"],
    });
    await eventually("the client to be ready", 60_000, async () => {
      const nodes = await call<Array<{ Name: string; Status: string }>>(leader, "GET", "/v1/nodes", {
        token: management,
      });
      return nodes.body.find((n) => n.Name === client.name && n.Status === "ready") ? true : undefined;
    });
    const job = {
      Job: {
        ID: "secure-web",
        Type: "service",
        Datacenters: ["dc1"],
        TaskGroups: [
          {
            Name: "g",
            Count: 1,
            Tasks: [
              {
                Name: "t",
                Driver: "raw_exec",
                Config: { command: "/bin/sh", args: ["-c", "echo secure-hello; sleep 3600"] },
                Resources: { CPU: 20, MemoryMB: 16 },
              },
            ],
          },
        ],
      },
    };
    const reg = await call(follower, "POST", "/v1/jobs", { token: management, body: job });
    expect(reg.status, JSON.stringify(reg.body)).toBe(200);
    const allocId = await eventually("the task to run", 60_000, async () => {
      const allocs = await call<Array<{ ID: string; ClientStatus: string }>>(
        leader,
        "GET",
        "/v1/job/secure-web/allocations",
        { token: management },
      );
      return allocs.body.find((a) => a.ClientStatus === "running")?.ID;
    });
    await eventually("the task's output through a follower", 30_000, async () => {
      const res = await cluster.fetch(
        `${follower.httpUrl}/v1/client/fs/logs/${allocId}?task=t&type=stdout&plain=true`,
        { headers: { "X-Nomad-Token": management } },
      );
      return res.status === 200 && (await res.text()).includes("secure-hello") ? true : undefined;
    });
  });
});
