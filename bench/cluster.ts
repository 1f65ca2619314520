/**
 * `npm run bench -- cluster [--nodes 5000] [--jobs 100] [--count 1000] [--cpu 50] [--mem 30]`
 *
 * 3 Drover server processes on loopback and this process simulating the client nodes over the
 * real client RPCs (register, heartbeat, alloc watch, batched running reports). Submits the jobs
 * (Nomad's C2M shape: cpu 50, memory 30) and measures placements/s end to end: from the first
 * submission until every allocation is running in the leader's state. Also reports plan
 * rejections, leader changes (must be 0) and the worst event-loop lag seen on any server, on its
 * main thread and on its Raft thread.
 * Unless `--tls 0`, the same scenario runs again on a fresh cluster with mutual TLS on every gRPC
 * connection (the simulated clients present client certificates) and HTTPS with client
 * certificates: `tls_writes_ratio` is its placements/s ÷ the plaintext run's.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalCluster } from "../src/cli/local-cluster.js";
import { NodeSimulator } from "../src/client/node-sim/node-simulator.js";
import { createLogger } from "../src/common/log.js";
import { AgentTls, TLS_DISABLED, useRpcTls } from "../src/common/tls.js";
import type { BenchResult } from "./harness.js";
import { parseNumberArgs, scrapeAll, submitJobs, waitForRunning } from "./sim-cluster.js";
import { type BenchTls, serverTlsArgs, writeBenchTls } from "./tls-files.js";

interface Args {
  nodes: number;
  jobs: number;
  count: number;
  cpu: number;
  mem: number;
  schedulers: number;
  timeoutS: number;
  /** 1: also run the scenario with mutual TLS and report the ratio. */
  tls: number;
}

function parseArgs(argv: string[]): Args {
  return parseNumberArgs("cluster", argv, {
    nodes: 5000,
    jobs: 100,
    count: 1000,
    cpu: 50,
    mem: 30,
    schedulers: 2,
    timeoutS: 900,
    tls: 1,
  } satisfies Args);
}

function job(id: string, a: Args): unknown {
  return {
    Job: {
      ID: id,
      Type: "service",
      Datacenters: ["dc1"],
      TaskGroups: [
        {
          Name: "g",
          Count: a.count,
          Tasks: [{ Name: "t", Driver: "mock", Resources: { CPU: a.cpu, MemoryMB: a.mem } }],
        },
      ],
    },
  };
}

export async function run(argv: string[]): Promise<BenchResult> {
  const a = parseArgs(argv);
  const plain = await scenario(a, undefined);
  if (a.tls === 0) return plain;
  const dir = mkdtempSync(join(tmpdir(), "drover-bench-tls-"));
  try {
    const tls = await scenario(a, writeBenchTls(dir));
    const metrics: Record<string, number> = { ...plain.metrics };
    for (const [key, value] of Object.entries(tls.metrics)) metrics[`tls_${key}`] = value;
    const p = plain.metrics["placements_per_s"];
    const t = tls.metrics["placements_per_s"];
    if (p !== undefined && t !== undefined && p > 0) metrics["tls_writes_ratio"] = t / p;
    return {
      metrics,
      notes: [
        ...plain.notes,
        "TLS run: mutual TLS on all gRPC (verify_server_hostname), HTTPS with client certificates",
        ...tls.notes.map((n) => `TLS run: ${n}`),
        "tls_writes_ratio: placements/s with TLS ÷ without, both runs in this invocation",
      ],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function scenario(
  a: Args,
  tls: BenchTls | undefined,
): Promise<{ metrics: Record<string, number>; notes: string[] }> {
  const logger = createLogger("bench-cluster", { level: "warn" });
  const tlsArgs = tls === undefined ? [] : serverTlsArgs(tls);
  const cluster = await LocalCluster.start({
    servers: 3,
    extraArgs: ["--num-schedulers", String(a.schedulers), ...tlsArgs],
    ...(tls === undefined
      ? {}
      : { https: { caCert: tls.ca, clientCert: tls.cli.cert, clientKey: tls.cli.key } }),
    logLevel: "warn",
    // DROVER_BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the servers.
    nodeArgs: (process.env["DROVER_BENCH_NODE_ARGS"] ?? "").split(" ").filter((s) => s !== ""),
  });
  // The simulated clients are this process: its gRPC channels present the client certificate.
  useRpcTls(
    tls === undefined
      ? undefined
      : new AgentTls(
          {
            ...TLS_DISABLED,
            rpc: true,
            caFile: tls.ca,
            certFile: tls.client.cert,
            keyFile: tls.client.key,
            verifyServerHostname: true,
          },
          "global",
        ),
  );
  const sim = new NodeSimulator({
    servers: cluster.rpcAddresses(),
    logger,
    namePrefix: "bench",
    cpuMhz: 4000,
    memoryMb: 8192,
    registerConcurrency: 64,
  });
  const notes: string[] = [];
  try {
    const leader = await cluster.waitForLeader(60_000);
    const regStart = performance.now();
    await sim.addNodes(a.nodes);
    const registerS = (performance.now() - regStart) / 1000;
    notes.push(`${a.nodes} nodes registered in ${registerS.toFixed(1)} s`);

    const before = await scrapeAll(cluster);
    const total = a.jobs * a.count;
    let maxLagS = 0;
    const lagByServer = new Map<string, number>();
    // The Raft thread's own loop (heartbeats, votes, appends), apart from the main thread's.
    let maxRaftLagS = 0;
    const raftLagByServer = new Map<string, number>();
    const t0 = performance.now();
    const ids = Array.from({ length: a.jobs }, (_, i) => `c2m-${i}`);
    await submitJobs(cluster, ids, (id) => job(id, a));
    const submittedS = (performance.now() - t0) / 1000;
    const { running, stopped } = await waitForRunning(cluster, total, {
      timeoutS: a.timeoutS,
      stallS: 120,
      startedAt: t0,
      onSample: (samples) => {
        for (const [name, metrics] of samples) {
          const lag = metrics.get("nodejs_eventloop_lag_max_seconds") ?? 0;
          maxLagS = Math.max(maxLagS, lag);
          lagByServer.set(name, Math.max(lagByServer.get(name) ?? 0, lag));
          const raftLag = metrics.get("drover_raft_thread_event_loop_lag_max_seconds") ?? 0;
          maxRaftLagS = Math.max(maxRaftLagS, raftLag);
          raftLagByServer.set(name, Math.max(raftLagByServer.get(name) ?? 0, raftLag));
        }
      },
    });
    if (stopped !== undefined) notes.push(`stopped waiting: ${stopped}`);
    const elapsedS = (performance.now() - t0) / 1000;
    const after = await scrapeAll(cluster);
    const delta = (name: string, metric: string): number =>
      (after.get(name)?.get(metric) ?? 0) - (before.get(name)?.get(metric) ?? 0);
    const leaderChanges = Math.max(
      ...cluster.servers.map((s) => delta(s.name, "drover_raft_leader_changes_total")),
    );
    const rejected = Math.max(
      ...cluster.servers.map((s) => delta(s.name, "drover_plan_rejected_nodes_total")),
    );
    notes.push(
      `submitted ${a.jobs} jobs in ${submittedS.toFixed(1)} s; all running after ${elapsedS.toFixed(1)} s`,
    );
    notes.push(
      `max event-loop lag by server (leader ${leader.name}): ${[...lagByServer].map(([n, l]) => `${n} ${(l * 1000).toFixed(0)} ms`).join(", ")}`,
    );
    notes.push(
      `max Raft-thread lag by server: ${[...raftLagByServer].map(([n, l]) => `${n} ${(l * 1000).toFixed(0)} ms`).join(", ")}`,
    );
    const stats = sim.stats();
    notes.push(
      `simulator: ${stats.reportsSent} reports, ${stats.heartbeats} heartbeats, ${stats.rpcErrors} rpc errors`,
    );
    return {
      metrics: {
        placements_per_s: running / elapsedS,
        plan_rejected_nodes: rejected,
        leader_changes: leaderChanges,
        max_event_loop_lag_ms: maxLagS * 1000,
        raft_thread_lag_ms_max: maxRaftLagS * 1000,
        allocs_running: running,
      },
      notes,
    };
  } finally {
    sim.close();
    useRpcTls(undefined);
    await cluster.stop();
  }
}
