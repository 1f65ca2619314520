/**
 * `npm run bench -- client [--tasks 200] [--servers 1]`
 *
 * One real client agent and real servers on loopback. One service job places `tasks` raw_exec
 * tasks (`sleep`) on the client at once. Measures, per task, the time from its allocation being
 * created by the scheduler (Allocation.CreateTime, set just before the plan commits) to its
 * process running (the task's shell writes a timestamp as its first act), the client's RSS once
 * all run, and the time from the job's DELETE until every task process is gone.
 * DROVER_PROFILE_DIR=<dir> writes a CPU profile of every agent into <dir>.
 */
import { readFileSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalCluster } from "../src/cli/local-cluster.js";
import { type BenchResult, percentile } from "./harness.js";

interface Args {
  tasks: number;
  servers: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { tasks: 200, servers: 1 };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i]?.replace(/^--?/, "") as keyof Args;
    const value = Number(argv[i + 1]);
    if (!(key in args) || !Number.isInteger(value) || value < 1)
      throw new Error(`bench client: bad argument ${argv[i]} ${argv[i + 1]}`);
    args[key] = value;
  }
  return args;
}

interface Alloc {
  ID: string;
  ClientStatus: string;
  CreateTime: number;
}

export async function run(argv: string[]): Promise<BenchResult> {
  const args = parseArgs(argv);
  const dir = await mkdtemp(join(tmpdir(), "drover-bench-client-"));
  // DROVER_PROFILE_DIR=/tmp/prof writes a CPU profile of every agent when it stops.
  const profileDir = process.env["DROVER_PROFILE_DIR"];
  const cluster = await LocalCluster.start({
    servers: args.servers,
    logLevel: "warn",
    ...(profileDir === undefined ? {} : { nodeArgs: ["--cpu-prof", "--cpu-prof-dir", profileDir] }),
  });
  try {
    const leader = await cluster.waitForLeader(60_000);
    const client = await cluster.addClient();
    await until(
      async () => {
        const nodes = await cluster.http<Array<{ Status: string }>>(leader, "GET", "/v1/nodes");
        return nodes.body.some((n) => n.Status === "ready");
      },
      60_000,
      "client ready",
    );

    const job = {
      Job: {
        ID: "bench",
        Type: "service",
        Datacenters: ["dc1"],
        TaskGroups: [
          {
            Name: "g",
            Count: args.tasks,
            Tasks: [
              {
                Name: "t",
                Driver: "raw_exec",
                // The first act of the task: note the time and its pid; then become `sleep`.
                Config: {
                  command: "/bin/sh",
                  args: ["-c", `echo $(date +%s%N) $$ > ${dir}/$NOMAD_ALLOC_ID; exec sleep 3600`],
                },
                Resources: { CPU: 10, MemoryMB: 10 },
                KillTimeout: 5e9,
              },
            ],
          },
        ],
      },
    };
    const submitted = await cluster.http(leader, "POST", "/v1/jobs", job);
    if (submitted.status !== 200)
      throw new Error(`submit: ${submitted.status} ${JSON.stringify(submitted.body)}`);
    await until(async () => (await readdir(dir)).length >= args.tasks, 300_000, "all tasks running");

    const allocs = (await cluster.http<Alloc[]>(leader, "GET", "/v1/job/bench/allocations")).body;
    const started = new Map<string, { atNs: number; pid: number }>();
    for (const name of await readdir(dir)) {
      const [at, pid] = (await readFile(join(dir, name), "utf8")).trim().split(" ");
      started.set(name, { atNs: Number(at), pid: Number(pid) });
    }
    const latenciesMs = allocs
      .filter((a) => started.has(a.ID))
      .map((a) => ((started.get(a.ID) as { atNs: number }).atNs - a.CreateTime) / 1e6);
    const rssMb = await rssOf(client.proc?.pid ?? 0);
    // The client's own share: task runner asked to start → driver reports the process running.
    const clientMetrics = (
      await fetch(`${client.httpUrl}/v1/metrics?format=prometheus`).then((r) => r.text())
    ).split("\n");
    const metric = (name: string): number =>
      Number(
        clientMetrics
          .find((l) => l.startsWith(name))
          ?.split(" ")
          .at(-1) ?? Number.NaN,
      );
    const runnerMeanMs =
      (1000 * metric("drover_client_task_start_seconds_sum")) /
      metric("drover_client_task_start_seconds_count");

    const stopAt = Date.now();
    await cluster.http(leader, "DELETE", "/v1/job/bench");
    const pids = [...started.values()].map((s) => s.pid);
    await until(async () => pids.every((pid) => !alive(pid)), 120_000, "all tasks stopped");
    const stopAllS = (Date.now() - stopAt) / 1000;

    const metrics = {
      tasks: latenciesMs.length,
      start_p50_ms: percentile(latenciesMs, 50),
      start_p99_ms: percentile(latenciesMs, 99),
      start_max_ms: Math.max(...latenciesMs),
      runner_start_mean_ms: runnerMeanMs,
      client_rss_mb: rssMb,
      stop_all_s: stopAllS,
    };
    return {
      metrics,
      notes: [
        `${args.tasks} raw_exec tasks on one client; ${args.servers} server(s) on the same 2-core machine`,
        "start: Allocation.CreateTime (scheduler, just before commit) → the task's first instruction",
        "goals: start_p50_ms ≤ 50, start_p99_ms ≤ 250, client_rss_mb ≤ 150, stop_all_s ≤ 5",
      ],
    };
  } finally {
    await cluster.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? "0");
  return Math.round(kb / 1024);
}

function alive(pid: number): boolean {
  // A zombie (exited, not yet reaped by whoever inherited it) is gone for our purposes.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`bench client: ${what} not reached within ${timeoutMs} ms`);
}
