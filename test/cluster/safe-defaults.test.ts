// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Nomad interpolation in a constraint is a plain string
import { readFileSync } from "node:fs";
import { request } from "node:http";
import { credentials, Metadata, status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AgentProcess, LocalCluster, type ServerProcess } from "../../src/cli/local-cluster.js";
import { MAX_GRPC_MESSAGE_BYTES } from "../../src/common/limits.js";
import { serverProto } from "../../src/rpc/server-client.js";
import { clientNodeId, job, jobAllocs, shellTask, waitForQuery } from "./client-helpers.js";

/** GET or PUT with the path sent byte for byte (fetch would resolve `..` segments first). */
function rawHttp(
  agent: AgentProcess,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; text: string }> {
  const url = new URL(agent.httpUrl);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** Reads a streamed answer (200 expected) until `done` accepts what came so far, then hangs up. */
async function readUntil(url: string, done: (text: string) => boolean): Promise<string> {
  const controller = new AbortController();
  const res = await fetch(url, { signal: AbortSignal.any([controller.signal, AbortSignal.timeout(60_000)]) });
  expect(res.status).toBe(200);
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = "";
  try {
    while (!done(text)) {
      const chunk = await reader.read();
      if (chunk.done) break;
      text += decoder.decode(chunk.value, { stream: true });
    }
  } finally {
    controller.abort();
  }
  return text;
}

/** Every value of a key named `key` anywhere in `value`. */
function valuesOf(value: unknown, key: string): unknown[] {
  const found: unknown[] = [];
  const stack: unknown[] = [value];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    if (typeof next !== "object" || next === null) continue;
    for (const [k, v] of Object.entries(next)) {
      if (k === key) found.push(v);
      stack.push(v);
    }
  }
  return found;
}

type GrpcCall = (
  request: { node: Buffer },
  metadata: Metadata,
  options: { deadline: number },
  callback: (error: { code: number; details: string } | null) => void,
) => void;

/** NodeRegister on a server with a client that would send up to 2× the servers' message limit. */
function registerRaw(server: ServerProcess, node: Buffer): Promise<{ code: number; details: string } | null> {
  const Ctor = serverProto().drover.server.Server;
  const client = new Ctor(server.rpcAddress, credentials.createInsecure(), {
    "grpc.max_send_message_length": 2 * MAX_GRPC_MESSAGE_BYTES,
  });
  const call = (client as unknown as { NodeRegister: GrpcCall }).NodeRegister.bind(client);
  return new Promise((resolve) => {
    call({ node }, new Metadata(), { deadline: Date.now() + 60_000 }, (error) => {
      client.close();
      resolve(error);
    });
  });
}

// One server and two real clients, one of them without raw_exec: what an operator gets without
// configuring anything beyond enabling the drivers they want.
describe("safe defaults", () => {
  let cluster: LocalCluster;
  let server: ServerProcess;
  let withRawExec: AgentProcess;
  let plain: AgentProcess;
  let allocId: string;

  beforeAll(async () => {
    cluster = await LocalCluster.start({ servers: 1 });
    server = await cluster.waitForLeader(60_000);
    withRawExec = await cluster.addClient({ name: "c-raw" });
    plain = await cluster.addClient({ name: "c-plain", drivers: [] });
    await clientNodeId(cluster, withRawExec);
    await clientNodeId(cluster, plain);
    const res = await cluster.http(
      server,
      "POST",
      "/v1/jobs",
      job("talker", "service", [
        { Name: "g", Tasks: [shellTask("web", "echo hello from web; exec sleep 600")] },
      ]),
    );
    expect(res.status).toBe(200);
    const allocs = await jobAllocs(
      cluster,
      "talker",
      (a) => a.some((x) => x.ClientStatus === "running"),
      "talker running",
    );
    allocId = (allocs.find((a) => a.ClientStatus === "running") as { ID: string }).ID;
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it("binds every listener of every agent to loopback by default", () => {
    for (const agent of [server, withRawExec, plain])
      expect(new URL(agent.httpUrl).hostname).toBe("127.0.0.1");
    expect(server.rpcAddress).toMatch(/^127\.0\.0\.1:/);
  });

  it("a log request for ../../etc/passwd is refused, however it is spelled, and leaks nothing", async () => {
    const passwd = readFileSync("/etc/passwd", "utf8").split("\n")[0] ?? "root:";
    const attempts = [
      `task=../../etc/passwd&type=stdout`,
      `task=..%2F..%2F..%2F..%2Fetc%2Fpasswd&type=stdout`,
      `task=%2Fetc%2Fpasswd&type=stdout`,
      `task=..&type=stdout`,
      `task=web%00&type=stdout`,
      `task=web&type=..%2F..%2F..%2Fetc%2Fpasswd`,
      `task=web&type=stdout%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd`,
    ];
    for (const agent of [server, withRawExec]) {
      for (const query of attempts) {
        const res = await rawHttp(agent, "GET", `/v1/client/fs/logs/${allocId}?${query}&plain=true`);
        expect([400, 404], `${agent.name} ${query}: ${res.text}`).toContain(res.status);
        expect(res.text).not.toContain(passwd);
        expect(res.text).toMatch(/\?(task|type)/);
      }
      // The alloc id itself cannot climb out either.
      const viaAlloc = await rawHttp(
        agent,
        "GET",
        `/v1/client/fs/logs/..%2F..%2F..%2Fetc?task=passwd&plain=true`,
      );
      expect([400, 404], viaAlloc.text).toContain(viaAlloc.status);
      expect(viaAlloc.text).not.toContain(passwd);
    }
    // The real log is still served: the refusals are about the names, not the route.
    const real = await readUntil(
      `${server.httpUrl}/v1/client/fs/logs/${allocId}?task=web&type=stdout&plain=true&follow=true`,
      (text) => text.includes("hello from web"),
    );
    expect(real).toContain("hello from web");
  });

  it("refuses a job named ../x or a task named a/../../b at register, naming the field", async () => {
    const badJob = await cluster.http<{ error: string }>(
      server,
      "POST",
      "/v1/jobs",
      job("../x", "batch", [{ Name: "g", Tasks: [shellTask("t", "true")] }]),
    );
    expect(badJob.status).toBe(400);
    expect(badJob.body.error).toMatch(/ID/);
    const badTask = await cluster.http<{ error: string }>(
      server,
      "POST",
      "/v1/jobs",
      job("ok", "batch", [{ Name: "g", Tasks: [shellTask("a/../../b", "true")] }]),
    );
    expect(badTask.status).toBe(400);
    expect(badTask.body.error).toMatch(/TaskGroups\[0\]\.Tasks\[0\]\.Name/);
    const badGroup = await cluster.http<{ error: string }>(
      server,
      "POST",
      "/v1/jobs",
      job("ok", "batch", [{ Name: "..", Tasks: [shellTask("t", "true")] }]),
    );
    expect(badGroup.status).toBe(400);
    expect(badGroup.body.error).toMatch(/TaskGroups\[0\]\.Name/);
    const hcl = await cluster.http<{ error: string }>(server, "POST", "/v1/jobs/parse", {
      JobHCL: 'job "../x" {\n  group "g" {\n    task "t" {\n      driver = "raw_exec"\n    }\n  }\n}\n',
    });
    expect(hcl.status).toBe(400);
    expect((await cluster.http(server, "GET", "/v1/job/ok")).status).toBe(404);
    const badNamespace = await cluster.http<{ error: string }>(server, "POST", "/v1/namespace", {
      Name: "../x",
    });
    expect(badNamespace.status).toBe(400);
    expect(badNamespace.body.error).toMatch(/Name/);
  });

  it("refuses the variable path a/../b and other traversal spellings", async () => {
    // A raw `..` segment in the URL is resolved as URL parsing does (`/v1/var/a/../b` is
    // `/v1/var/b`, as curl and fetch resolve it before sending); a path that arrives holding `..`
    // (escaped slashes, the CLI, gRPC) is refused.
    for (const path of ["/v1/var/a%2F..%2Fb", "/v1/var/..%2Fetc", "/v1/var/a%00b", "/v1/var/%2Fabs"]) {
      const put = await rawHttp(server, "PUT", path, { Items: { k: "v" } });
      expect(put.status, `${path}: ${put.text}`).toBe(400);
      expect(put.text).toMatch(/Path: /);
    }
    const many = Object.fromEntries(Array.from({ length: 1025 }, (_, i) => [`k${i}`, "v"]));
    const tooMany = await cluster.http<{ error: string }>(server, "PUT", "/v1/var/many", { Items: many });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error).toMatch(/^Items: /);
    expect((await cluster.http<unknown[]>(server, "GET", "/v1/vars")).body).toEqual([]);
  });

  it("a raw_exec job on a client without raw_exec does not place, and the eval says why", async () => {
    const res = await cluster.http(
      server,
      "POST",
      "/v1/jobs",
      job("pinned", "service", [
        {
          Name: "g",
          Constraints: [{ LTarget: "${node.unique.name}", RTarget: "c-plain", Operand: "=" }],
          Tasks: [shellTask("t", "exec sleep 600")],
        },
      ]),
    );
    expect(res.status).toBe(200);
    const evals = await waitForQuery<
      Array<{ FailedTGAllocs: Record<string, { ConstraintFiltered: Record<string, number> }> | null }>
    >(
      cluster,
      "/v1/job/pinned/evaluations",
      (list) => list.some((e) => Object.keys(e.FailedTGAllocs ?? {}).length > 0),
      60_000,
      "placement failure recorded",
    );
    const failed = evals.find((e) => Object.keys(e.FailedTGAllocs ?? {}).length > 0);
    expect(failed?.FailedTGAllocs?.["g"]?.ConstraintFiltered["missing drivers"]).toBe(1);
    expect(await jobAllocs(cluster, "pinned", () => true, "allocs")).toHaveLength(0);
    const drivers = async (client: AgentProcess): Promise<string[]> => {
      const id = await clientNodeId(cluster, client);
      const node = await cluster.http<{ Drivers: Record<string, unknown> }>(server, "GET", `/v1/node/${id}`);
      return Object.keys(node.body.Drivers);
    };
    expect(await drivers(plain)).not.toContain("raw_exec");
    expect(await drivers(withRawExec)).toContain("raw_exec");
  });

  it("never shows a node's SecretID: node list, node, allocations, search, event stream", async () => {
    const nodes = await cluster.http<Array<{ ID: string }>>(server, "GET", "/v1/nodes");
    const answers: unknown[] = [nodes.body];
    for (const node of nodes.body) {
      answers.push((await cluster.http(server, "GET", `/v1/node/${node.ID}`)).body);
      answers.push((await cluster.http(server, "GET", `/v1/node/${node.ID}/allocations`)).body);
    }
    answers.push((await cluster.http(server, "GET", `/v1/allocation/${allocId}`)).body);
    answers.push((await cluster.http(server, "GET", "/v1/allocations")).body);
    answers.push(
      (await cluster.http(server, "POST", "/v1/search/fuzzy", { Text: "c-", Context: "all" })).body,
    );
    for (const answer of answers) {
      expect(answer).not.toBeNull();
      expect(valuesOf(answer, "SecretID")).toEqual([]);
    }
    // The Node topic from the start of the broker's history: the registrations are in it.
    const text = await readUntil(`${server.httpUrl}/v1/event/stream?topic=Node&index=1`, (t) =>
      t.includes('"Topic":"Node"'),
    );
    expect(text).toContain('"Topic":"Node"');
    for (const line of text.split("\n").filter((l) => l.startsWith("{") && l.endsWith("}"))) {
      expect(valuesOf(JSON.parse(line), "SecretID")).toEqual([]);
    }
  });

  it("refuses an oversized or absurdly nested gRPC message without harm to the server", async () => {
    const huge = await registerRaw(server, Buffer.alloc(MAX_GRPC_MESSAGE_BYTES + 1024));
    expect(huge?.code).toBe(status.RESOURCE_EXHAUSTED);
    const nested = Buffer.alloc(1_000_001, 0x91); // a million one-element arrays in each other
    nested[1_000_000] = 0xc0;
    const deep = await registerRaw(server, nested);
    expect(deep?.code).toBe(status.INVALID_ARGUMENT);
    expect(deep?.details).toMatch(/nested too deeply/);
    // Still serving, still the leader, the running job untouched.
    expect((await cluster.http(server, "GET", "/v1/agent/health")).status).toBe(200);
    const allocs = await cluster.http<Array<{ ClientStatus: string }>>(
      server,
      "GET",
      "/v1/job/talker/allocations",
    );
    expect(allocs.body.map((a) => a.ClientStatus)).toContain("running");
  });
});
