import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AgentProcess, LocalCluster, type ServerProcess } from "../../src/cli/local-cluster.js";
import { clientNodeId, jobAllocs, job as jobBody, shellTask, waitForQuery } from "./client-helpers.js";

/**
 * Every read route that supports Nomad's blocking queries (`?index=N&wait=D`), on a real
 * three-server cluster with one real client agent: with nothing changing, a query waits out `wait`
 * and answers the same index and body; a write the route reflects wakes a waiting query with a
 * higher X-Nomad-Index and the new answer. Queries go to the leader, to a follower (forwarded) and
 * to a follower with `?stale` (answered from its own state).
 */

type Via = "leader" | "follower" | "stale";

interface Answer {
  status: number;
  body: unknown;
  index: number;
}

interface Case {
  readonly path: () => string;
  readonly via: Via;
  /** A write this route must reflect. */
  readonly change: () => Promise<void>;
  /** The answer reflects the change (default: the body differs from the one before it). */
  readonly sees?: (body: never) => boolean;
}

const WAIT_MS = 400;

describe("HTTP API: blocking queries on every read route", () => {
  let cluster: LocalCluster;
  let leader: ServerProcess;
  let follower: ServerProcess;
  let client: AgentProcess;
  let nodeId: string;
  const ids: Record<"alloc" | "deployment" | "eval" | "blocked", string | undefined> = {
    alloc: undefined,
    deployment: undefined,
    eval: undefined,
    blocked: undefined,
  };

  const send = (server: ServerProcess, method: string, path: string, body?: unknown) =>
    cluster.http(server, method, path, body);

  async function write(method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await send(leader, method, path, body);
    if (res.status !== 200) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  function query(via: Via, path: string, index?: number, waitMs?: number): Promise<Answer> {
    const params: string[] = [];
    if (via === "stale") params.push("stale");
    if (index !== undefined) params.push(`index=${index}`, `wait=${waitMs}ms`);
    const sep = path.includes("?") ? "&" : "?";
    const full = params.length === 0 ? path : `${path}${sep}${params.join("&")}`;
    return send(via === "leader" ? leader : follower, "GET", full);
  }

  const webGroup = (count: number, version: string) => ({
    Name: "web",
    Count: count,
    Update: { MaxParallel: 1, HealthCheck: "task_states", MinHealthyTime: 100e6, HealthyDeadline: 60e9 },
    Tasks: [shellTask("t", "exec sleep 600", { Env: { VERSION: version } })],
  });
  const registerWeb = (count: number, version: string, meta: Record<string, string> = {}) =>
    write("POST", "/v1/jobs", jobBody("web", "service", [webGroup(count, version)], { Meta: meta }));
  const scaleWeb = (count: number) =>
    write("POST", "/v1/job/web/scale", { Count: count, Target: { Group: "web" } });

  beforeAll(async () => {
    cluster = await LocalCluster.start({ servers: 3 });
    leader = await cluster.waitForLeader(60_000);
    follower = cluster.servers.find((s) => s.name !== leader.name) as ServerProcess;
    client = await cluster.addClient();
    nodeId = await clientNodeId(cluster, client);
    await registerWeb(1, "1");
    const [first] = await jobAllocs(
      cluster,
      "web",
      (a) => a.some((x) => x.ClientStatus === "running"),
      "web",
    );
    ids.alloc = first?.ID;
    await write("PUT", "/v1/var/app/config", { Path: "app/config", Items: { level: "info" } });
    // A job no node can fit: its evaluation leaves a blocked eval behind.
    const huge = shellTask("t", "exec sleep 600", { Resources: { CPU: 50, MemoryMB: 10_000_000 } });
    await write("POST", "/v1/jobs", jobBody("stuck", "service", [{ Name: "g", Count: 1, Tasks: [huge] }]));
    const evals = await waitForQuery<Array<{ ID: string; Status: string }>>(
      cluster,
      "/v1/job/stuck/evaluations",
      (list) => list.some((e) => e.Status === "blocked"),
      60_000,
      "a blocked eval",
    );
    ids.blocked = evals.find((e) => e.Status === "blocked")?.ID;
    // A deployment that stays running: its allocations need ten minutes of health to count.
    const patient = {
      MaxParallel: 1,
      HealthCheck: "task_states",
      MinHealthyTime: 600e9,
      HealthyDeadline: 900e9,
      ProgressDeadline: 1200e9,
    };
    await write("POST", "/v1/jobs", jobBody("slow", "service", [{ ...webGroup(1, "1"), Update: patient }]));
    const deployment = await waitForQuery<{ ID: string; Status: string } | null>(
      cluster,
      "/v1/job/slow/deployment",
      (d) => d !== null && d.Status === "running",
      60_000,
      "a running deployment",
    );
    ids.deployment = deployment?.ID;
    const [slowAlloc] = await jobAllocs(
      cluster,
      "slow",
      (a) => a.some((x) => x.ClientStatus === "running"),
      "slow",
    );
    ids.alloc = slowAlloc?.ID;
  }, 180_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  const cases: Record<string, Case> = {
    "/v1/jobs": {
      path: () => "/v1/jobs",
      via: "leader",
      change: async () =>
        void (await write(
          "POST",
          "/v1/jobs",
          jobBody("other", "service", [{ ...webGroup(0, "0"), Name: "idle" }]),
        )),
      sees: (jobs: Array<{ ID: string }>) => jobs.some((j) => j.ID === "other"),
    },
    "/v1/job/:id": {
      path: () => "/v1/job/web",
      via: "follower",
      change: async () => void (await registerWeb(1, "2", { rev: "2" })),
      sees: (job: { Meta: Record<string, string> }) => job.Meta["rev"] === "2",
    },
    "/v1/job/:id/versions": {
      path: () => "/v1/job/web/versions",
      via: "stale",
      change: async () => void (await registerWeb(1, "3", { rev: "3" })),
      sees: (v: { Versions: Array<{ Meta: Record<string, string> }> }) => v.Versions[0]?.Meta["rev"] === "3",
    },
    "/v1/job/:id/scale": {
      path: () => "/v1/job/web/scale",
      via: "leader",
      change: async () => void (await scaleWeb(2)),
      sees: (s: { TaskGroups: Record<string, { Desired: number }> }) => s.TaskGroups["web"]?.Desired === 2,
    },
    "/v1/job/:id/allocations": {
      path: () => "/v1/job/web/allocations",
      via: "follower",
      change: async () => void (await scaleWeb(3)),
    },
    "/v1/job/:id/summary": {
      path: () => "/v1/job/web/summary",
      via: "stale",
      change: async () => void (await scaleWeb(4)),
    },
    "/v1/allocations": {
      path: () => "/v1/allocations",
      via: "leader",
      change: async () => void (await scaleWeb(3)),
    },
    "/v1/node/:id/allocations": {
      path: () => `/v1/node/${nodeId}/allocations`,
      via: "follower",
      change: async () => void (await scaleWeb(4)),
    },
    "/v1/allocation/:id": {
      path: () => `/v1/allocation/${ids.alloc}`,
      via: "stale",
      change: async () => void (await write("POST", `/v1/allocation/${ids.alloc}/stop`)),
      sees: (a: { DesiredTransition: { Migrate: boolean }; DesiredStatus: string }) =>
        a.DesiredTransition.Migrate || a.DesiredStatus === "stop",
    },
    "/v1/job/:id/deployments": {
      path: () => "/v1/job/web/deployments",
      via: "leader",
      change: async () => void (await registerWeb(2, "4", { rev: "4" })),
    },
    "/v1/job/:id/deployment": {
      path: () => "/v1/job/web/deployment",
      via: "follower",
      change: async () => void (await registerWeb(2, "5", { rev: "5" })),
      sees: (d: { JobVersion: number } | null) => d !== null && d.JobVersion > 0,
    },
    "/v1/deployments": {
      path: () => "/v1/deployments",
      via: "stale",
      change: async () => void (await registerWeb(2, "6", { rev: "6" })),
    },
    "/v1/deployment/:id": {
      path: () => `/v1/deployment/${ids.deployment}`,
      via: "leader",
      change: async () =>
        void (await write("POST", `/v1/deployment/pause/${ids.deployment}`, { Pause: true })),
      sees: (d: { Status: string }) => d.Status === "paused",
    },
    "/v1/job/:id/evaluations": {
      path: () => "/v1/job/web/evaluations",
      via: "follower",
      change: async () => {
        ids.eval = ((await write("POST", "/v1/job/web/evaluate", {})) as { EvalID: string }).EvalID;
      },
      sees: (evals: Array<{ ID: string }>) => evals.some((e) => e.ID === ids.eval),
    },
    "/v1/evaluations": {
      path: () => "/v1/evaluations",
      via: "stale",
      change: async () => void (await write("POST", "/v1/job/web/evaluate", {})),
    },
    "/v1/evaluation/:id": {
      path: () => `/v1/evaluation/${ids.blocked}`,
      via: "leader",
      // A job keeps one blocked eval: a newer one supersedes it, and the leader cancels the old.
      change: async () => void (await write("POST", "/v1/job/stuck/evaluate", {})),
      sees: (e: { Status: string }) => e.Status === "canceled",
    },
    "/v1/nodes": {
      path: () => "/v1/nodes",
      via: "follower",
      change: async () =>
        void (await write("POST", `/v1/node/${nodeId}/eligibility`, { Eligibility: "ineligible" })),
      sees: (nodes: Array<{ SchedulingEligibility: string }>) =>
        nodes.some((n) => n.SchedulingEligibility === "ineligible"),
    },
    "/v1/node/:id": {
      path: () => `/v1/node/${nodeId}`,
      via: "stale",
      change: async () =>
        void (await write("POST", `/v1/node/${nodeId}/eligibility`, { Eligibility: "eligible" })),
      sees: (node: { SchedulingEligibility: string }) => node.SchedulingEligibility === "eligible",
    },
    "/v1/vars": {
      path: () => "/v1/vars?prefix=app",
      via: "leader",
      change: async () =>
        void (await write("PUT", "/v1/var/app/other", { Path: "app/other", Items: { a: "1" } })),
      sees: (vars: Array<{ Path: string }>) => vars.some((v) => v.Path === "app/other"),
    },
    "/v1/var/:path": {
      path: () => "/v1/var/app/config",
      via: "follower",
      change: async () =>
        void (await write("PUT", "/v1/var/app/config", { Path: "app/config", Items: { level: "debug" } })),
      sees: (v: { Items: Record<string, string> }) => v.Items["level"] === "debug",
    },
    "/v1/operator/scheduler/configuration": {
      path: () => "/v1/operator/scheduler/configuration",
      via: "stale",
      change: async () =>
        void (await write("PUT", "/v1/operator/scheduler/configuration", { SchedulerAlgorithm: "spread" })),
      sees: (c: { SchedulerConfig: { SchedulerAlgorithm: string } }) =>
        c.SchedulerConfig.SchedulerAlgorithm === "spread",
    },
  };

  for (const [route, c] of Object.entries(cases)) {
    it(`${route} (${c.via}) waits out ?wait unchanged, and wakes on a change`, async () => {
      const path = c.path();
      // The route settles first: the client's status updates and the deployment watcher write
      // for a while after each change, and this is about what a query sees when nothing changes.
      let before = await query(c.via, path);
      expect(before.status, JSON.stringify(before.body)).toBe(200);
      expect(before.index).toBeGreaterThan(0);
      for (let attempt = 0; attempt < 50; attempt++) {
        const started = Date.now();
        const idle = await query(c.via, path, before.index, WAIT_MS);
        expect(idle.status).toBe(200);
        expect(idle.index).toBeGreaterThanOrEqual(before.index);
        if (idle.index === before.index) {
          // It held the request for the whole wait, and answered what it had.
          expect(Date.now() - started).toBeGreaterThanOrEqual(WAIT_MS - 50);
          expect(idle.body).toEqual(before.body);
          break;
        }
        before = idle;
      }

      const waiting = query(c.via, path, before.index, 60_000);
      await c.change();
      const woken = await waiting;
      expect(woken.status).toBe(200);
      expect(woken.index).toBeGreaterThan(before.index);
      // The first wake-up may be an earlier step of the change (an eval before its allocs):
      // follow the route with blocking queries until it shows the change.
      const sees = (c.sees ?? ((body: unknown) => JSON.stringify(body) !== JSON.stringify(before.body))) as (
        body: unknown,
      ) => boolean;
      if (!sees(woken.body)) {
        const sep = path.includes("?") ? "&" : "?";
        await waitForQuery(cluster, `${path}${c.via === "stale" ? `${sep}stale` : ""}`, sees, 60_000, route);
      }
    });
  }
});
