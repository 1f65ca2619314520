import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AgentProcess, LocalCluster, type ServerProcess } from "../../src/cli/local-cluster.js";
import { jobAllocs } from "./client-helpers.js";

/**
 * What an operator runs on, read from real agents: the Prometheus exposition of servers and a
 * client (every documented series there, with HELP and TYPE, and no label that carries an ID),
 * and a request ID that follows a request from the follower that took it to the leader's log.
 */

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

/** Series every server exports (docs/metrics.md). */
const SERVER_SERIES = [
  "drover_raft_leader",
  "drover_raft_term",
  "drover_raft_commit_index",
  "drover_raft_applied_index",
  "drover_raft_leader_changes_total",
  "drover_raft_commit_seconds",
  "drover_raft_snapshot_seconds",
  "drover_raft_snapshot_bytes",
  "drover_raft_snapshot_installs_total",
  "drover_autopilot_healthy",
  "drover_autopilot_failure_tolerance",
  "drover_fsm_apply_seconds",
  "drover_broker_ready",
  "drover_broker_ready_by_scheduler",
  "drover_broker_unacked",
  "drover_broker_blocked",
  "drover_plan_queue_depth",
  "drover_plan_apply_seconds",
  "drover_plan_rejected_nodes_total",
  "drover_worker_schedule_seconds",
  "drover_scheduler_placements_total",
  "drover_scheduler_placement_failures_total",
  "drover_nodes",
  "drover_allocs",
  "drover_heartbeats_active",
  "drover_heartbeat_expiries_total",
  "drover_drain_nodes",
  "drover_drain_allocs_migrated_total",
  "drover_drain_complete_total",
  "drover_grpc_server_handled_total",
  "drover_grpc_server_handling_seconds",
  "nodejs_eventloop_lag_seconds",
];

/** Series a client agent exports. */
const CLIENT_SERIES = [
  "drover_client_allocs",
  "drover_client_task_restarts_total",
  "drover_client_task_start_seconds",
  "drover_grpc_server_handled_total",
  "drover_grpc_server_handling_seconds",
  "nodejs_eventloop_lag_seconds",
];

interface Family {
  help: string | undefined;
  type: string | undefined;
  samples: Array<{ name: string; labels: Map<string, string>; value: number }>;
}

/** The exposition by family: HELP, TYPE and samples (histograms' _bucket/_sum/_count included). */
function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const family = (name: string): Family => {
    let f = families.get(name);
    if (f === undefined) {
      f = { help: undefined, type: undefined, samples: [] };
      families.set(name, f);
    }
    return f;
  };
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (meta !== null) {
      const f = family(meta[2] as string);
      if (meta[1] === "HELP") f.help = meta[3];
      else f.type = meta[3];
      continue;
    }
    const sample = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (sample === null) throw new Error(`unparsable exposition line: ${line}`);
    const name = sample[1] as string;
    const base = [...families.keys()].find(
      (f) => name === f || name === `${f}_bucket` || name === `${f}_sum` || name === `${f}_count`,
    );
    if (base === undefined) throw new Error(`sample ${name} before its family's HELP/TYPE`);
    const labels = new Map(
      [...(sample[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [
        m[1] as string,
        m[2] as string,
      ]),
    );
    family(base).samples.push({ name, labels, value: Number(sample[3]) });
  }
  return families;
}

async function scrape(agent: AgentProcess): Promise<Map<string, Family>> {
  const res = await fetch(`${agent.httpUrl}/v1/metrics?format=prometheus`);
  expect(res.status).toBe(200);
  return parseExposition(await res.text());
}

/** Every family has HELP and TYPE, counters end in _total, and no label value is an ID. */
function checkWellFormed(agent: string, families: Map<string, Family>): void {
  for (const [name, f] of families) {
    expect(f.help, `${agent}: ${name} has no HELP`).toMatch(/\S/);
    expect(f.type, `${agent}: ${name} has no TYPE`).toMatch(/^(counter|gauge|histogram|summary)$/);
    if (name.startsWith("drover_") && f.type === "counter")
      expect(name, `${agent}: counter name`).toMatch(/_total$/);
    for (const s of f.samples) {
      for (const [label, value] of s.labels) {
        expect(UUID.test(value), `${agent}: ${s.name}{${label}="${value}"} carries an ID`).toBe(false);
      }
    }
  }
}

/** Sum over `agents` of the samples of `name` whose labels include `labels`. */
function total(
  all: Array<Map<string, Family>>,
  family: string,
  name: string,
  labels: Record<string, string>,
): number {
  let sum = 0;
  for (const families of all) {
    for (const s of families.get(family)?.samples ?? []) {
      if (s.name === name && Object.entries(labels).every(([k, v]) => s.labels.get(k) === v)) sum += s.value;
    }
  }
  return sum;
}

describe("observability: metrics and request IDs on a real cluster", () => {
  let cluster: LocalCluster;
  let leader: ServerProcess;
  let client: AgentProcess;

  beforeAll(async () => {
    // Debug: the leader's line about a forwarded request is a debug line.
    cluster = await LocalCluster.start({ servers: 3, logLevel: "debug" });
    leader = await cluster.waitForLeader(60_000);
    client = await cluster.addClient();
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it("exports every documented series with HELP and TYPE, and no ID in any label", async () => {
    const res = await cluster.http(leader, "POST", "/v1/jobs", {
      Job: {
        ID: "observed",
        Type: "service",
        Datacenters: ["dc1"],
        TaskGroups: [
          {
            Name: "g",
            Count: 1,
            Tasks: [
              { Name: "t", Driver: "mock", Config: { run_for: "1h" }, Resources: { CPU: 10, MemoryMB: 10 } },
            ],
          },
        ],
      },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    await jobAllocs(
      cluster,
      "observed",
      (a) => a.some((x) => x.ClientStatus === "running"),
      "observed running",
    );

    const servers = await Promise.all(cluster.servers.map((s) => scrape(s)));
    for (const [i, families] of servers.entries()) {
      const name = cluster.servers[i]?.name ?? "?";
      for (const series of SERVER_SERIES)
        expect(families.has(series), `${name}: ${series} missing`).toBe(true);
      checkWellFormed(name, families);
      // Every server applied the job's registration and measured it.
      expect(
        total([families], "drover_fsm_apply_seconds", "drover_fsm_apply_seconds_count", {
          command: "job-register",
        }),
        `${name}: job-register applies`,
      ).toBeGreaterThanOrEqual(1);
    }
    const clientFamilies = await scrape(client);
    for (const series of CLIENT_SERIES)
      expect(clientFamilies.has(series), `client: ${series} missing`).toBe(true);
    checkWellFormed("client", clientFamilies);

    // Some server's worker placed the allocation; the client's registration and heartbeats were
    // answered by the server RPC service.
    expect(
      total(servers, "drover_scheduler_placements_total", "drover_scheduler_placements_total", {
        scheduler: "service",
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      total(servers, "drover_grpc_server_handled_total", "drover_grpc_server_handled_total", {
        service: "drover.server.Server",
        method: "NodeRegister",
        code: "OK",
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      total(
        [clientFamilies],
        "drover_client_task_start_seconds",
        "drover_client_task_start_seconds_count",
        {},
      ),
    ).toBeGreaterThanOrEqual(1);
  }, 120_000);

  it("carries a request's ID from the follower that took it to the leader's log", async () => {
    const follower = cluster.servers.find((s) => s !== leader) as ServerProcess;
    const requestId = `obs-${process.pid}-forwarded`;
    const res = await fetch(`${follower.httpUrl}/v1/var/obs/traced`, {
      method: "PUT",
      headers: { "X-Request-ID": requestId },
      body: JSON.stringify({ Items: { k: "v" } }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-request-id")).toBe(requestId);

    const deadline = Date.now() + 30_000;
    let found: Record<string, unknown> | undefined;
    while (found === undefined && Date.now() < deadline) {
      const lines = (await readFile(leader.logFile, "utf8")).split("\n");
      for (const line of lines) {
        if (!line.includes(requestId)) continue;
        found = JSON.parse(line) as Record<string, unknown>;
        break;
      }
      if (found === undefined) await new Promise((r) => setTimeout(r, 100));
    }
    expect(found, `no line with ${requestId} in ${leader.logFile}`).toBeDefined();
    expect(found).toMatchObject({
      requestId,
      component: "rpc",
      method: "VarPut",
      msg: "rpc: serving a forwarded request",
    });
  });

  it("answers a generated request ID when none (or an unusable one) is sent", async () => {
    const plain = await fetch(`${leader.httpUrl}/v1/status/leader`);
    expect(plain.headers.get("x-request-id")).toMatch(UUID);
    const bad = await fetch(`${leader.httpUrl}/v1/no/such/path`, {
      headers: { "X-Request-ID": "has spaces in it" },
    });
    expect(bad.status).toBe(404);
    expect(bad.headers.get("x-request-id")).toMatch(UUID);
  });
});
