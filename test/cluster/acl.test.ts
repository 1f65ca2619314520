import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AgentProcess, LocalCluster } from "../../src/cli/local-cluster.js";
import { PermissionDeniedError } from "../../src/common/errors.js";
import { withToken } from "../../src/common/request-context.js";
import { mockJob } from "../../src/fsm/index.js";
import { ClientFsClient } from "../../src/rpc/client-fs-client.js";
import { ServerRpcClient } from "../../src/rpc/server-client.js";
import { drover } from "./cli-runner.js";
import { eventually } from "./fixtures/raft-cluster.js";

interface Answer<T = unknown> {
  status: number;
  body: T;
}

interface TokenJson {
  AccessorID: string;
  SecretID: string;
  Name: string;
  Type: string;
}

/** One HTTP request to an agent, with `token` as X-Nomad-Token when given. */
async function call<T = unknown>(
  agent: AgentProcess,
  method: string,
  path: string,
  options: { token?: string; body?: unknown } = {},
): Promise<Answer<T>> {
  const headers: Record<string, string> = {};
  if (options.token !== undefined) headers["X-Nomad-Token"] = options.token;
  const res = await fetch(`${agent.httpUrl}${path}`, {
    method,
    headers,
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  return { status: res.status, body: (text === "" ? null : JSON.parse(text)) as T };
}

const MOCK_JOB = (id: string): unknown => ({
  Job: {
    ID: id,
    Type: "service",
    Datacenters: ["dc1"],
    TaskGroups: [
      {
        Name: "g",
        Count: 1,
        Tasks: [
          { Name: "t", Driver: "mock", Config: { run_for: "1h" }, Resources: { CPU: 20, MemoryMB: 16 } },
        ],
      },
    ],
  },
});

// A 3-server cluster with `--acl-enabled`: every HTTP route and gRPC method checks the token.
describe("ACLs on a 3-server cluster", () => {
  let cluster: LocalCluster;
  let leader: AgentProcess;
  let follower: AgentProcess;
  let management = "";
  let dir: string;

  /** Applies a policy with the management token, and waits until every server resolves it. */
  async function applyPolicy(name: string, rules: string): Promise<void> {
    const res = await call(leader, "PUT", `/v1/acl/policy/${name}`, {
      token: management,
      body: { Name: name, Rules: rules },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  }

  async function createToken(name: string, policies: string[]): Promise<string> {
    const res = await call<TokenJson>(leader, "POST", "/v1/acl/token", {
      token: management,
      body: { Name: name, Type: "client", Policies: policies },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.SecretID).toMatch(/^[0-9a-f-]{36}$/);
    // Servers resolve tokens from their own state: wait until every one has applied the token,
    // or a refusal below could be "token not found" from a follower (or a client agent's server)
    // that is a few entries behind.
    const secret = res.body.SecretID;
    await eventually(`token ${name} to reach every server`, 30_000, async () => {
      for (const s of cluster.servers) {
        if ((await call(s, "GET", "/v1/acl/token/self", { token: secret })).status !== 200) return undefined;
      }
      return true;
    });
    return secret;
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "drover-acl-"));
    cluster = await LocalCluster.start({ servers: 3, extraArgs: ["--acl-enabled"] });
    leader = await cluster.waitForLeader(60_000);
    follower = cluster.servers.find((s) => s !== leader) as AgentProcess;
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("bootstraps once and only once, even when every server is asked at the same time", async () => {
    const answers = await Promise.all(
      cluster.servers.map((s) => call<TokenJson | { error: string }>(s, "POST", "/v1/acl/bootstrap")),
    );
    const won = answers.filter((a) => a.status === 200);
    expect(won, JSON.stringify(answers)).toHaveLength(1);
    const token = won[0]?.body as TokenJson;
    expect(token.Type).toBe("management");
    management = token.SecretID;
    for (const lost of answers.filter((a) => a.status !== 200)) {
      expect(lost.status).toBe(400);
      expect(JSON.stringify(lost.body)).toMatch(/ACL bootstrap already done/);
    }
    const again = await call(follower, "POST", "/v1/acl/bootstrap");
    expect(again.status).toBe(400);
    // The secret is never shown again: not in the token list, not in the token itself.
    const list = await call<Array<Record<string, unknown>>>(leader, "GET", "/v1/acl/tokens", {
      token: management,
    });
    expect(list.status).toBe(200);
    expect(JSON.stringify(list.body)).not.toContain(management);
  });

  it("refuses requests without a token, or with an unknown one", async () => {
    const anonymous = await call<{ error: string }>(follower, "GET", "/v1/jobs");
    expect(anonymous.status).toBe(403);
    expect(anonymous.body.error).toMatch(/missing capability list-jobs on namespace default/);
    const unknown = await call<{ error: string }>(leader, "GET", "/v1/jobs", { token: "not-a-token" });
    expect(unknown.status).toBe(403);
    expect(unknown.body.error).toMatch(/ACL token not found/);
    // Status stays open (health checks, leader discovery).
    expect((await call(follower, "GET", "/v1/status/leader")).status).toBe(200);
  });

  it("a management token can do everything", async () => {
    const ns = await call(leader, "PUT", "/v1/namespace/prod", {
      token: management,
      body: { Name: "prod", Description: "p" },
    });
    expect(ns.status, JSON.stringify(ns.body)).toBe(200);
    const reg = await call(follower, "POST", "/v1/jobs", { token: management, body: MOCK_JOB("mgmt") });
    expect(reg.status, JSON.stringify(reg.body)).toBe(200);
    const v = await call(leader, "PUT", "/v1/var/secret/db", {
      token: management,
      body: { Items: { pw: "x" } },
    });
    expect(v.status, JSON.stringify(v.body)).toBe(200);
    for (const path of [
      "/v1/nodes",
      "/v1/operator/raft/configuration",
      "/v1/acl/policies",
      "/v1/agent/self",
    ]) {
      expect((await call(follower, "GET", path, { token: management })).status, path).toBe(200);
    }
  });

  it("a read-only token can read, and gets 403 naming the capability on register", async () => {
    await applyPolicy(
      "readonly",
      'namespace "default" {\n  policy = "read"\n}\nnode {\n  policy = "read"\n}\n',
    );
    const ro = await createToken("ro", ["readonly"]);
    const jobs = await eventually("the read-only token to resolve on the follower", 10_000, async () => {
      const res = await call<Array<{ ID: string }>>(follower, "GET", "/v1/jobs", { token: ro });
      return res.status === 200 ? res.body : undefined;
    });
    expect(jobs.map((j) => j.ID)).toContain("mgmt");
    expect((await call(leader, "GET", "/v1/job/mgmt", { token: ro })).status).toBe(200);
    expect((await call(leader, "GET", "/v1/nodes", { token: ro })).status).toBe(200);
    for (const agent of [leader, follower]) {
      const reg = await call<{ error: string }>(agent, "POST", "/v1/jobs", {
        token: ro,
        body: MOCK_JOB("nope"),
      });
      expect(reg.status).toBe(403);
      expect(reg.body.error).toBe("Permission denied: missing capability submit-job on namespace default");
    }
    // Another namespace is not readable, and lists over every namespace keep only `default`.
    const prod = await call<{ error: string }>(leader, "GET", "/v1/jobs?namespace=prod", { token: ro });
    expect(prod.status).toBe(403);
    expect(prod.body.error).toMatch(/missing capability list-jobs on namespace prod/);
    const prodJob = await call(leader, "POST", "/v1/jobs?namespace=prod", {
      token: management,
      body: { Job: { ...(MOCK_JOB("in-prod") as { Job: object }).Job, Namespace: "prod" } },
    });
    expect(prodJob.status, JSON.stringify(prodJob.body)).toBe(200);
    const all = await call<Array<{ ID: string; Namespace: string }>>(leader, "GET", "/v1/jobs?namespace=*", {
      token: ro,
    });
    expect(all.status).toBe(200);
    expect(all.body.every((j) => j.Namespace === "default")).toBe(true);
    const allMgmt = await call<Array<{ ID: string }>>(leader, "GET", "/v1/jobs?namespace=*", {
      token: management,
    });
    expect(allMgmt.body.map((j) => j.ID)).toContain("in-prod");
    // Management-only routes name what is missing.
    const tokens = await call<{ error: string }>(leader, "GET", "/v1/acl/tokens", { token: ro });
    expect(tokens.status).toBe(403);
    expect(tokens.body.error).toMatch(/missing management token/);
  });

  it("an anonymous request is refused while the anonymous policy denies it and allowed once it grants", async () => {
    await applyPolicy("anonymous", 'namespace "default" {\n  policy = "deny"\n}\n');
    const denied = await call<{ error: string }>(follower, "GET", "/v1/jobs");
    expect(denied.status).toBe(403);
    await applyPolicy("anonymous", 'namespace "default" {\n  policy = "read"\n}\n');
    for (const agent of cluster.servers) {
      await eventually(`anonymous reads to be allowed on ${agent.name}`, 10_000, async () =>
        (await call(agent, "GET", "/v1/jobs")).status === 200 ? true : undefined,
      );
    }
    const write = await call<{ error: string }>(leader, "POST", "/v1/jobs", { body: MOCK_JOB("anon") });
    expect(write.status).toBe(403);
    expect(write.body.error).toMatch(/missing capability submit-job on namespace default/);
    const del = await call(leader, "DELETE", "/v1/acl/policy/anonymous", { token: management });
    expect(del.status).toBe(200);
    await eventually("anonymous reads to be refused again", 10_000, async () =>
      (await call(follower, "GET", "/v1/jobs")).status === 403 ? true : undefined,
    );
  });

  it("enforces a variable path policy", async () => {
    await applyPolicy(
      "app-vars",
      [
        'namespace "default" {',
        "  variables {",
        '    path "app/*" {',
        '      capabilities = ["read", "write", "list"]',
        "    }",
        "  }",
        "}",
      ].join("\n"),
    );
    const token = await createToken("app", ["app-vars"]);
    const put = await eventually("the app token to write app/db", 10_000, async () => {
      const res = await call(follower, "PUT", "/v1/var/app/db", { token, body: { Items: { user: "u" } } });
      return res.status === 200 ? res : undefined;
    });
    expect(put.status).toBe(200);
    expect((await call(leader, "GET", "/v1/var/app/db", { token })).status).toBe(200);
    const other = await call<{ error: string }>(leader, "PUT", "/v1/var/other/x", {
      token,
      body: { Items: { a: "b" } },
    });
    expect(other.status).toBe(403);
    expect(other.body.error).toMatch(
      /missing variable capability write on path other\/x in namespace default/,
    );
    const secret = await call<{ error: string }>(leader, "GET", "/v1/var/secret/db", { token });
    expect(secret.status).toBe(403);
    const destroy = await call(leader, "DELETE", "/v1/var/app/db", { token });
    expect(destroy.status).toBe(403);
    const list = await call<Array<{ Path: string }>>(leader, "GET", "/v1/vars", { token });
    expect(list.status).toBe(200);
    expect(list.body.map((v) => v.Path)).toEqual(["app/db"]);
  });

  it("checks requests where they are served: forwarded HTTP and direct gRPC", async () => {
    // A write sent to a follower runs on the leader: it succeeds only because the caller's token
    // travelled with it (the leader refuses calls without one).
    const reg = await call(follower, "POST", "/v1/jobs", { token: management, body: MOCK_JOB("forwarded") });
    expect(reg.status, JSON.stringify(reg.body)).toBe(200);
    const ro = await createToken("ro-grpc", ["readonly"]);
    const job = mockJob({ ID: "grpc-job" });
    for (const server of [leader, follower]) {
      const client = new ServerRpcClient(server.rpcAddress);
      try {
        await expect(client.jobRegister(job, {})).rejects.toBeInstanceOf(PermissionDeniedError);
        await expect(withToken(ro, () => client.jobRegister(job, {}))).rejects.toThrow(
          /missing capability submit-job on namespace default/,
        );
        await eventually("the gRPC read with the read-only token", 10_000, async () => {
          try {
            return await withToken(ro, () => client.jobList({ namespace: "default" }));
          } catch {
            return undefined;
          }
        });
      } finally {
        client.close();
      }
    }
  });

  it("drives ACLs from the CLI with -token", async () => {
    const addr = follower.httpUrl;
    const policyFile = join(dir, "ops.hcl");
    await writeFile(policyFile, 'namespace "*" {\n  policy = "write"\n}\n');
    const apply = await drover(addr, ["acl", "policy", "apply", "-token", management, "ops", policyFile]);
    expect(apply.status, apply.stderr).toBe(0);
    const info = await drover(addr, ["acl", "policy", "info", "-token", management, "ops"]);
    expect(info.status, info.stderr).toBe(0);
    expect(info.stdout).toContain('policy = "write"');
    const created = await drover(addr, [
      "acl",
      "token",
      "create",
      "-token",
      management,
      "-name",
      "ops",
      "-policy",
      "ops",
    ]);
    expect(created.status, created.stderr).toBe(0);
    const secret = /Secret ID\s+=\s+(\S+)/.exec(created.stdout)?.[1] as string;
    const accessor = /Accessor ID\s+=\s+(\S+)/.exec(created.stdout)?.[1] as string;
    expect(secret).toMatch(/^[0-9a-f-]{36}$/);
    const self = await drover(addr, ["acl", "token", "self", "-token", secret]);
    expect(self.status, self.stderr).toBe(0);
    expect(self.stdout).toMatch(/Name\s+=\s+ops/);
    expect(self.stdout).toMatch(/Secret ID\s+=\s+<hidden>/);
    const list = await drover(addr, ["acl", "token", "list", "-token", management]);
    expect(list.status, list.stderr).toBe(0);
    expect(list.stdout).toContain(accessor);
    const denied = await drover(addr, ["acl", "token", "list"]);
    expect(denied.status).toBe(1);
    expect(denied.stderr).toMatch(/missing management token/);
    const boot = await drover(addr, ["acl", "bootstrap"]);
    expect(boot.status).toBe(1);
    expect(boot.stderr).toMatch(/ACL bootstrap already done/);
    const update = await drover(addr, [
      "acl",
      "token",
      "update",
      "-token",
      management,
      "-name",
      "ops2",
      accessor,
    ]);
    expect(update.status, update.stderr).toBe(0);
    expect(update.stdout).toMatch(/Name\s+=\s+ops2/);
    const del = await drover(addr, ["acl", "token", "delete", "-token", management, accessor]);
    expect(del.status, del.stderr).toBe(0);
    await eventually("the deleted token to stop resolving", 10_000, async () => {
      const res = await drover(addr, ["acl", "token", "self", "-token", secret]);
      return res.status === 1 && /ACL token not found/.test(res.stderr) ? true : undefined;
    });
  });

  it("a client agent with ACLs on registers and runs a task", async () => {
    const client = await cluster.addClient({ extraArgs: ["--acl-enabled"] });
    const reg = await call(leader, "POST", "/v1/jobs", { token: management, body: MOCK_JOB("on-client") });
    expect(reg.status, JSON.stringify(reg.body)).toBe(200);
    await eventually("the task to run on the client", 60_000, async () => {
      const res = await call<Array<{ ClientStatus: string }>>(
        leader,
        "GET",
        "/v1/job/on-client/allocations",
        {
          token: management,
        },
      );
      return res.status === 200 && res.body.some((a) => a.ClientStatus === "running") ? true : undefined;
    });
    // The client agent's own HTTP API checks tokens too (resolving them through its servers).
    expect((await call(client, "GET", "/v1/jobs")).status).toBe(403);
    expect((await call(client, "GET", "/v1/jobs", { token: management })).status).toBe(200);

    // Task logs need read-logs on the allocation's namespace, wherever they are asked for.
    const logJob = {
      Job: {
        ID: "logs",
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
                Config: { command: "/bin/sh", args: ["-c", "echo hello-acl; sleep 3600"] },
                Resources: { CPU: 20, MemoryMB: 16 },
              },
            ],
          },
        ],
      },
    };
    expect((await call(leader, "POST", "/v1/jobs", { token: management, body: logJob })).status).toBe(200);
    const allocId = await eventually("the log task to run", 60_000, async () => {
      const res = await call<Array<{ ID: string; ClientStatus: string }>>(
        leader,
        "GET",
        "/v1/job/logs/allocations",
        {
          token: management,
        },
      );
      return res.body.find((a) => a.ClientStatus === "running")?.ID;
    });
    const logPath = `/v1/client/fs/logs/${allocId}?task=t&type=stdout&plain=true`;
    const ro = await createToken("ro-logs", ["readonly"]);
    for (const agent of [leader, follower, client]) {
      const denied = await call<{ error: string }>(agent, "GET", logPath, { token: ro });
      expect(denied.status, agent.name).toBe(403);
      expect(denied.body.error).toMatch(/missing capability read-logs on namespace default/);
    }
    await eventually("the log to be readable with the management token", 30_000, async () => {
      const res = await fetch(`${follower.httpUrl}${logPath}`, { headers: { "X-Nomad-Token": management } });
      const text = await res.text();
      return res.status === 200 && text.includes("hello-acl") ? true : undefined;
    });
    // The client agent's own gRPC log service checks the caller's token too.
    const fs = new ClientFsClient(`127.0.0.1:${client.rpcPort}`);
    try {
      const read = async (): Promise<void> => {
        const request = {
          task: "t",
          type: "stdout" as const,
          origin: "start" as const,
          offset: 0,
          follow: false,
        };
        for await (const _frame of fs.streamLogs(allocId, request, new AbortController().signal)) {
          // drain
        }
      };
      await expect(read()).rejects.toThrow(/missing capability read-logs/);
      await expect(withToken(ro, read)).rejects.toThrow(/missing capability read-logs/);
      await withToken(management, read);
    } finally {
      fs.close();
    }
  });
});
