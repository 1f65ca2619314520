import { join } from "node:path";
import {
  GenericContainer,
  getContainerRuntimeClient,
  Network,
  type StartedNetwork,
  type StartedTestContainer,
  Wait,
} from "testcontainers";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";

// The image of deploy/Dockerfile as an operator runs it: three servers and a client in their own
// containers on one Docker network, each bound to its network alias exactly as deploy/compose.yaml
// does, healthy by the image's own HEALTHCHECK. Then the leader's container is killed.
//
// Skipped, with the reason in the suite's name, when no Docker engine answers: this needs a real
// engine (it builds the image and runs it), and the probe below gives up within seconds.

const REPO = join(import.meta.dirname, "..", "..");
const SERVERS = ["server-1", "server-2", "server-3"] as const;
const JOIN = SERVERS.map((s) => `${s}:4647`).join(",");

/** undefined when a Docker engine answers, else why the suite is skipped. */
async function engineUnavailable(timeoutMs: number): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer from a Docker engine within ${timeoutMs} ms`), timeoutMs);
    timer.unref();
  });
  try {
    return await Promise.race([
      getContainerRuntimeClient().then(
        () => undefined,
        (error: unknown) => `no Docker engine: ${error instanceof Error ? error.message : String(error)}`,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

const skipReason = await engineUnavailable(5_000);
if (skipReason !== undefined) console.warn(`test/containers skipped: ${skipReason}`);

interface ApiResponse<T> {
  status: number;
  body: T;
  index: number;
}

async function api<T>(base: string, method: string, path: string, body?: unknown): Promise<ApiResponse<T>> {
  const res = await fetch(new URL(path, base), {
    method,
    ...(body === undefined
      ? {}
      : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  return {
    status: res.status,
    body: (text === "" ? undefined : JSON.parse(text)) as T,
    index: Number(res.headers.get("x-nomad-index") ?? "0"),
  };
}

/** Retries `probe` until it returns a value; fails with the last thing seen. */
async function eventually<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<{ done: true; value: T } | { done: false; seen: unknown }>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let seen: unknown;
  while (Date.now() < deadline) {
    try {
      const result = await probe();
      if (result.done) return result.value;
      seen = result.seen;
    } catch (error) {
      seen = error instanceof Error ? error.message : error;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what}: not within ${timeoutMs} ms; last seen ${JSON.stringify(seen)}`);
}

interface AllocStub {
  ID: string;
  JobID: string;
  NodeID: string;
  DesiredStatus: string;
  ClientStatus: string;
}

/** A raw_exec service job that keeps `count` real processes running on the client. */
function sleeperJob(id: string, count: number): unknown {
  return {
    Job: {
      ID: id,
      Type: "service",
      Datacenters: ["dc1"],
      TaskGroups: [
        {
          Name: "sleepers",
          Count: count,
          Tasks: [
            {
              Name: "sleep",
              Driver: "raw_exec",
              Config: { command: "/bin/sleep", args: ["3600"] },
              Resources: { CPU: 50, MemoryMB: 32 },
            },
          ],
        },
      ],
    },
  };
}

describe.skipIf(skipReason !== undefined)(
  `container image: 3 servers + 1 client${skipReason === undefined ? "" : ` (skipped: ${skipReason})`}`,
  () => {
    let image = "";
    let network: StartedNetwork | undefined;
    const servers = new Map<string, StartedTestContainer>();
    let client: StartedTestContainer | undefined;
    const logs = new Map<string, string[]>();

    /** An agent container from the image, bound to its alias as in deploy/compose.yaml. */
    function agent(name: string, args: string[]): GenericContainer {
      const lines: string[] = [];
      logs.set(name, lines);
      return (
        new GenericContainer(image)
          .withNetwork(network as StartedNetwork)
          .withNetworkAliases(name)
          .withHostname(name)
          .withEnvironment({ DROVER_ADDR: `http://${name}:4646` })
          .withCommand(["agent", "--node", name, "--bind", name, "--data-dir", "/var/lib/drover", ...args])
          .withExposedPorts(4646)
          .withLogConsumer((stream) => {
            stream.on("data", (chunk: Buffer | string) => {
              lines.push(...String(chunk).split("\n").filter(Boolean));
              if (lines.length > 400) lines.splice(0, lines.length - 400);
            });
          })
          // The image's HEALTHCHECK: healthy once the agent knows a leader.
          .withWaitStrategy(Wait.forHealthCheck())
          .withStartupTimeout(180_000)
      );
    }

    const url = (c: StartedTestContainer): string => `http://${c.getHost()}:${c.getMappedPort(4646)}`;

    beforeAll(async () => {
      // deleteOnExit: the testcontainers reaper removes the image with the containers.
      image = `drover-containers-test:${Date.now().toString(36)}`;
      await GenericContainer.fromDockerfile(REPO, "deploy/Dockerfile").build(image, { deleteOnExit: true });
      network = await new Network().start();
      // All three at once: with --bootstrap-expect 3 none is healthy until all are up.
      const started = await Promise.allSettled(
        SERVERS.map((name) =>
          agent(name, ["--server", "--bootstrap-expect", "3", "--join", JOIN])
            .start()
            .then((c) => servers.set(name, c)),
        ),
      );
      const failed = started.find((s) => s.status === "rejected");
      if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
      client = await agent("client-1", [
        "--client",
        "--servers",
        JOIN,
        "--driver-enable",
        "raw_exec",
      ]).start();
    }, 20 * 60_000);

    afterAll(async () => {
      const all = [...servers.values(), ...(client === undefined ? [] : [client])];
      await Promise.allSettled(all.map((c) => c.stop({ timeout: 10_000 })));
      await network?.stop().catch(() => undefined);
    }, 120_000);

    /** The leader's RPC address as every given server reports it, once they agree. */
    async function agreedLeader(among: StartedTestContainer[], not?: string): Promise<string> {
      return eventually("an agreed leader", 60_000, async () => {
        const answers = await Promise.all(among.map((c) => api<string>(url(c), "GET", "/v1/status/leader")));
        const first = answers[0]?.body ?? "";
        const agreed = answers.every((a) => a.status === 200 && a.body === first);
        if (agreed && first !== "" && first !== not) return { done: true, value: first };
        return { done: false, seen: answers.map((a) => a.body) };
      });
    }

    /** Blocking queries on the job's allocations until `count` of them run. */
    async function runningAllocs(base: () => string, jobId: string, count: number): Promise<AllocStub[]> {
      let index = 0;
      return eventually(`${count} running allocations of ${jobId}`, 120_000, async () => {
        const res = await api<AllocStub[]>(
          base(),
          "GET",
          `/v1/job/${jobId}/allocations?index=${index}&wait=5s`,
        );
        if (res.status !== 200) {
          index = 0;
          return { done: false, seen: res.body };
        }
        index = res.index;
        const running = res.body.filter((a) => a.DesiredStatus === "run" && a.ClientStatus === "running");
        if (running.length === count) return { done: true, value: running };
        return { done: false, seen: res.body.map((a) => `${a.DesiredStatus}/${a.ClientStatus}`) };
      });
    }

    it("elects a new leader when the leader's container is killed, and loses no job", async () => {
      onTestFailed(() => {
        for (const [name, lines] of logs)
          console.error(`── ${name} (last lines) ──\n${lines.slice(-40).join("\n")}`);
      });
      const all = SERVERS.map((name) => servers.get(name) as StartedTestContainer);
      const leaderAddress = await agreedLeader(all);
      // Servers advertise their alias, so the leader's address names its container.
      const leaderName = leaderAddress.slice(0, leaderAddress.lastIndexOf(":"));
      expect(SERVERS).toContain(leaderName);
      const leader = servers.get(leaderName) as StartedTestContainer;
      const survivors = all.filter((c) => c !== leader);

      // The image's CLI reaches its agent through DROVER_ADDR.
      const peers = await survivors[0]!.exec(["drover", "operator", "raft", "list-peers"]);
      expect(peers.exitCode, peers.output).toBe(0);
      for (const name of SERVERS) expect(peers.output).toContain(`${name}:4647`);

      const nodes = await eventually("the client node ready", 60_000, async () => {
        const res = await api<Array<{ Name: string; Status: string }>>(url(leader), "GET", "/v1/nodes");
        const ready = res.body.filter((n) => n.Name === "client-1" && n.Status === "ready");
        return ready.length === 1 ? { done: true, value: ready } : { done: false, seen: res.body };
      });
      expect(nodes).toHaveLength(1);

      // Registered through a follower: it forwards the write to the leader.
      const submitted = await api<{ EvalID: string }>(
        url(survivors[0]!),
        "POST",
        "/v1/jobs",
        sleeperJob("web", 2),
      );
      expect(submitted.status, JSON.stringify(submitted.body)).toBe(200);
      const before = await runningAllocs(() => url(survivors[0]!), "web", 2);

      const runtime = await getContainerRuntimeClient();
      await runtime.container.getById(leader.getId()).kill({ signal: "SIGKILL" });

      const newLeader = await agreedLeader(survivors, leaderAddress);
      expect(newLeader).not.toBe(leaderAddress);
      expect(SERVERS.map((s) => `${s}:4647`)).toContain(newLeader);

      // No job lost: still listed by both survivors, its allocations the same ones, still running.
      for (const s of survivors) {
        const jobs = await api<Array<{ ID: string; Status: string }>>(url(s), "GET", "/v1/jobs");
        expect(jobs.status).toBe(200);
        expect(jobs.body.map((j) => j.ID)).toContain("web");
      }
      const after = await runningAllocs(() => url(survivors[1]!), "web", 2);
      expect(after.map((a) => a.ID).sort()).toEqual(before.map((a) => a.ID).sort());

      // And the two-server quorum still takes writes and schedules them.
      const again = await api<{ EvalID: string }>(
        url(survivors[1]!),
        "POST",
        "/v1/jobs",
        sleeperJob("api", 1),
      );
      expect(again.status, JSON.stringify(again.body)).toBe(200);
      await runningAllocs(() => url(survivors[0]!), "api", 1);
    });
  },
);
