import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { getPriority, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalCluster } from "../../src/cli/local-cluster.js";
import { DROVER_BIN } from "./cli-runner.js";
import { eventually } from "./fixtures/raft-cluster.js";

/**
 * Raft on its own thread, seen from outside: its metrics in both forms of /v1/metrics, its own
 * port (`--serf-port`), and a server that restarts on a new Raft port being found again by its
 * peers (they store its RPC address and ask it where Raft listens).
 */
describe("the Raft thread", () => {
  let cluster: LocalCluster;

  beforeAll(async () => {
    cluster = await LocalCluster.start({ servers: 3 });
    await cluster.waitForLeader(60_000);
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it("exports drover_raft_* and its own loop lag in the text and JSON forms of /v1/metrics", async () => {
    const server = cluster.servers[0];
    if (server === undefined) throw new Error("no server");
    const text = await (await cluster.fetch(`${server.httpUrl}/v1/metrics?format=prometheus`)).text();
    for (const name of [
      "drover_raft_term",
      "drover_raft_commit_index",
      "drover_raft_applied_index",
      "drover_raft_leader_changes_total",
      "drover_raft_thread_event_loop_lag_max_seconds",
    ]) {
      expect(text).toMatch(new RegExp(`^# TYPE ${name} `, "m"));
      expect(text).toMatch(new RegExp(`^${name}\\{agent="${server.name}"\\} \\d`, "m"));
    }
    // The main thread's own metrics are still there, once each.
    expect(text.match(/^# TYPE nodejs_eventloop_lag_max_seconds /gm)).toHaveLength(1);
    expect(text.match(/^# TYPE drover_raft_term /gm)).toHaveLength(1);
    const json = (await (await cluster.fetch(`${server.httpUrl}/v1/metrics`)).json()) as {
      Gauges: Array<{ Name: string; Value: number }>;
    };
    const gauges = new Set(json.Gauges.map((g) => g.Name));
    expect(gauges).toContain("drover_raft_term");
    expect(gauges).toContain("drover_raft_thread_event_loop_lag_max_seconds");
  });

  it("runs the Raft thread, and only it, at a higher CPU priority when the agent may raise one", async () => {
    const server = cluster.servers[0];
    const pid = server?.proc?.pid;
    if (pid === undefined) throw new Error("no server process");
    const niceOf = (tid: string): number => {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
      return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]);
    };
    // The process's own priority is its main thread's, whose thread id is the pid. Not the first
    // entry of the listing: readdir's names come sorted as strings, so "10012" precedes "9998".
    const base = niceOf(String(pid));
    const tids = readdirSync(`/proc/${pid}/task`);
    const nices = tids.map(niceOf);
    const raised = nices.filter((n) => n < base);
    // Root (this suite's CI) may; anyone else keeps every thread at the process's priority.
    // Every thread's nice value in the message: a failure must say which thread sat where.
    const seen = `main thread ${pid} at ${base}; threads ${JSON.stringify(tids)} at ${JSON.stringify(nices)}; this test process at ${getPriority(process.pid)}`;
    if (process.getuid?.() === 0) expect(raised, seen).toEqual([Math.max(-20, base - 5)]);
    else expect(raised, seen).toEqual([]);
  });

  it("finds a follower again after it restarts on another Raft port", async () => {
    const leader = await cluster.waitForLeader(60_000);
    const follower = cluster.servers.find((s) => s.name !== leader.name);
    if (follower === undefined) throw new Error("no follower");
    await cluster.kill(follower.name, "SIGKILL");
    // Written while it is down, so it must replicate after it is back.
    const written = await cluster.http<{ Index: number }>(leader, "PUT", "/v1/var/raft-thread/probe", {
      Items: { at: "down" },
    });
    expect(written.status).toBe(200);
    // A new process: its Raft listener is on a new ephemeral port (--serf-port defaults to 0).
    await cluster.restart(follower.name);
    await eventually(`${follower.name} has the write made while it was down`, 60_000, async () => {
      const read = await cluster
        .http<{ Items: { at: string } }>(
          cluster.server(follower.name),
          "GET",
          "/v1/var/raft-thread/probe?stale",
        )
        .catch(() => undefined);
      return read?.status === 200 && read.body.Items.at === "down" ? true : undefined;
    });
  });
});

describe("--serf-port", () => {
  let held: Server;
  let dir: string;

  beforeAll(async () => {
    // A port bound here and held for the whole test: the agent must fail to take it.
    held = createServer();
    await new Promise<void>((resolve) => held.listen(0, "127.0.0.1", resolve));
    dir = await mkdtemp(join(tmpdir(), "drover-serf-"));
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => held.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  });

  it("a server whose Raft port is taken exits 1 with one line naming the Raft listener", async () => {
    const address = held.address();
    if (address === null || typeof address === "string") throw new Error("no port");
    const child = spawn(
      process.execPath,
      [
        DROVER_BIN,
        "agent",
        "--server",
        "--node",
        "serf-taken",
        "--data-dir",
        dir,
        "--bind",
        "127.0.0.1",
        "--http-port",
        "0",
        "--rpc-port",
        "0",
        "--serf-port",
        String(address.port),
      ],
      { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, DROVER_LOG_LEVEL: "error" } },
    );
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
    expect(code).toBe(1);
    expect(stderr).toMatch(new RegExp(`raft listener on 127\\.0\\.0\\.1:${address.port}`));
  });
});
