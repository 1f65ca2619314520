/**
 * `npm run bench -- c1m [--jobs 1000] [--count 1000] [--nodes 5000] [--classes 5] [--timeout-s 1800]`
 *
 * HashiCorp's C1M on this machine: 3 Drover server processes, `nodes` simulated clients (in their
 * own child process, bench/c1m-node-sim.ts, spread over `classes` node classes), and `jobs` jobs of
 * `count` allocations in the C1M shape (cpu 50 MHz, memory 30 MB, a `${node.class}` constraint
 * naming one class), all submitted concurrently through the HTTP API.
 *
 * Metrics: `c1m_s` (first submission until every allocation runs in the servers' state; goal
 * ≤ 300 s for 1,000 × 1,000), `placements_per_s`, `leader_changes` (goal 0), `server_rss_mb_max`
 * (the largest peak RSS of any server, goal ≤ 4,096), `event_loop_lag_ms_max` (worst sample of any
 * server's main thread; per server in the rows), `raft_thread_lag_ms_max` (the same for the thread
 * that runs Raft, goal ≤ 200), `sim_cpu_share` (the simulator's CPU seconds ÷ those of servers
 * and simulator together, over the run: near 0.5 on two cores means the simulator, not Drover, may
 * be what limits the rate). The rows also show where each server's memory goes: the largest
 * samples of main's V8 heap, the Raft thread's V8 heap and the Raft log bytes it keeps in memory,
 * and the Raft snapshots each server took. A run that stalls or times out reports how far it got.
 */
import { type ChildProcess, fork } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import cliProgress from "cli-progress";
import { LocalCluster, type ServerProcess } from "../src/cli/local-cluster.js";
import type { SimProcessConfig, SimProcessMessage, SimProcessRequest } from "./c1m-node-sim.js";
import type { BenchResult } from "./harness.js";
import { parseNumberArgs, scrapeAll, submitJobs, waitForRunning } from "./sim-cluster.js";

const DEFAULTS = {
  jobs: 1000,
  count: 1000,
  nodes: 5000,
  classes: 5,
  cpu: 50,
  mem: 30,
  schedulers: 2,
  timeoutS: 1800,
  stallS: 180,
};
type Args = typeof DEFAULTS;

const here = dirname(fileURLToPath(import.meta.url));

/**
 * Each node gets room for 1.6× its share of the allocations (the shares are equal: jobs and nodes
 * are spread evenly over the classes), so that bin packing always finds a node in its class.
 */
function nodeSize(a: Args): { cpuMhz: number; memoryMb: number; diskMb: number } {
  const perNode = Math.ceil((a.jobs * a.count) / a.nodes);
  const room = Math.max(10, Math.ceil(perNode * 1.6));
  // Every alloc also asks for Nomad's default 300 MB of ephemeral disk.
  return { cpuMhz: room * a.cpu, memoryMb: room * a.mem, diskMb: room * 300 };
}

export function c1mJob(id: string, nodeClass: string, a: Pick<Args, "count" | "cpu" | "mem">): unknown {
  return {
    Job: {
      ID: id,
      Type: "service",
      Datacenters: ["dc1"],
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Nomad's interpolation, not a JS template
      Constraints: [{ LTarget: "${node.class}", RTarget: nodeClass, Operand: "=" }],
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

/** CPU seconds (user + system) a process used so far, from /proc (Linux). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may hold spaces), counted from field 3 (state).
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks / 100;
}

/** A process's peak resident set (VmHWM) in MB, from /proc (Linux). */
function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const match = /VmHWM:\s+(\d+) kB/.exec(status);
  return match === null ? 0 : Number(match[1]) / 1024;
}

/** The node simulator's child process, with typed requests and answers. */
class SimProcess {
  private readonly waiters: Array<(m: SimProcessMessage) => void> = [];
  private failure: Error | undefined;

  private constructor(readonly child: ChildProcess) {
    child.on("message", (m: SimProcessMessage) => {
      if (m.type === "error") this.failure = new Error(`node simulator: ${m.message}`);
      for (const w of this.waiters.splice(0)) w(m);
    });
    child.on("exit", (code) => {
      this.failure ??= new Error(`node simulator exited (code ${code})`);
      for (const w of this.waiters.splice(0)) w({ type: "error", message: this.failure.message });
    });
  }

  static start(config: SimProcessConfig): SimProcess {
    const child = fork(join(here, "c1m-node-sim.js"), [JSON.stringify(config)], {
      env: { ...process.env, DROVER_LOG_LEVEL: "warn" },
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    process.once("exit", () => child.kill("SIGKILL"));
    return new SimProcess(child);
  }

  get pid(): number {
    const pid = this.child.pid;
    if (pid === undefined) throw new Error("node simulator has no pid");
    return pid;
  }

  /** Resolves with the next message of `type`; rejects if the child fails first. */
  next<T extends SimProcessMessage["type"]>(type: T): Promise<Extract<SimProcessMessage, { type: T }>> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const wait = (m: SimProcessMessage): void => {
        if (m.type === type) resolve(m as Extract<SimProcessMessage, { type: T }>);
        else if (m.type === "error") reject(new Error(m.message));
        else this.waiters.push(wait);
      };
      this.waiters.push(wait);
    });
  }

  request(request: SimProcessRequest): void {
    if (this.child.connected) this.child.send(request);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    this.request({ type: "close" });
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

function serverPid(s: ServerProcess): number {
  const pid = s.proc?.pid;
  if (pid === undefined) throw new Error(`server ${s.name} is not running`);
  return pid;
}

/**
 * Allocations of the first jobs placed outside their job's node class (must be 0): a check that
 * the constraint reached the scheduler, so that the run measures the C1M shape.
 */
async function constraintViolations(
  cluster: LocalCluster,
  jobIds: readonly string[],
  classOf: ReadonlyMap<string, string>,
): Promise<number> {
  const server = cluster.running()[0];
  if (server === undefined) return Number.NaN;
  const nodes = await cluster.http<Array<{ ID: string; NodeClass: string }>>(
    server,
    "GET",
    "/v1/nodes?stale",
  );
  const nodeClass = new Map(nodes.body.map((n) => [n.ID, n.NodeClass]));
  let violations = 0;
  for (const id of jobIds) {
    const allocs = await cluster.http<Array<{ NodeID: string }>>(
      server,
      "GET",
      `/v1/job/${id}/allocations?stale`,
    );
    for (const alloc of allocs.body) if (nodeClass.get(alloc.NodeID) !== classOf.get(id)) violations++;
  }
  return violations;
}

export async function run(argv: string[]): Promise<BenchResult> {
  const a = parseNumberArgs("c1m", argv, DEFAULTS);
  if (a.jobs < 1 || a.count < 1 || a.nodes < 1 || a.classes < 1)
    throw new Error("bench c1m: --jobs, --count, --nodes and --classes must be at least 1");
  const classes = Array.from({ length: Math.min(a.classes, a.nodes) }, (_, k) => `c1m-${k}`);
  const cluster = await LocalCluster.start({
    servers: 3,
    extraArgs: ["--num-schedulers", String(a.schedulers)],
    logLevel: "warn",
    // DROVER_BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the servers.
    nodeArgs: (process.env["DROVER_BENCH_NODE_ARGS"] ?? "").split(" ").filter((s) => s !== ""),
  });
  let sim: SimProcess | undefined;
  const notes: string[] = [];
  try {
    const leader = await cluster.waitForLeader(60_000);
    sim = SimProcess.start({ servers: cluster.rpcAddresses(), nodes: a.nodes, classes, ...nodeSize(a) });
    let timer: NodeJS.Timeout | undefined;
    const registered = await Promise.race([
      sim.next("registered"),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`bench c1m: the ${a.nodes} nodes did not register within ${a.timeoutS} s`)),
          a.timeoutS * 1000,
        );
      }),
    ]).finally(() => clearTimeout(timer));
    notes.push(
      `${a.nodes} nodes in ${classes.length} classes registered in ${registered.seconds.toFixed(1)} s (leader ${leader.name})`,
    );

    const servers = cluster.running();
    const pids = new Map(servers.map((s) => [s.name, serverPid(s)]));
    const simPid = sim.pid;
    const before = await scrapeAll(cluster);
    const cpuBefore = new Map([...pids].map(([name, pid]) => [name, cpuSeconds(pid)]));
    const simCpuBefore = cpuSeconds(simPid);
    const lagByServer = new Map<string, number>();
    // The Raft thread's own loop (heartbeats, votes, appends): the lag the issue's goal is about.
    const raftLagByServer = new Map<string, number>();
    const rssByServer = new Map<string, number>();
    // Where a server's memory goes, each the largest sample: main's V8 heap, the Raft thread's V8
    // heap and the bytes of Raft log entries it keeps in memory (outside its V8 heap).
    const memoryByServer = new Map<string, { mainHeap: number; raftHeap: number; raftLog: number }>();
    const total = a.jobs * a.count;

    const bar = new cliProgress.SingleBar(
      {
        format: "c1m {bar} {value}/{total} running | {duration}s | {rate}/s | {servers}",
        stream: process.stderr,
        noTTYOutput: true,
        notTTYSchedule: 10_000,
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
    const t0 = performance.now();
    bar.start(total, 0, { rate: "0", servers: "" });
    const ids = Array.from({ length: a.jobs }, (_, i) => `c1m-${String(i).padStart(4, "0")}`);
    const classOf = new Map(ids.map((id, i) => [id, classes[i % classes.length] as string]));
    // Submitted while the wait below samples progress: submission itself is part of c1m_s.
    let submittedS = Number.NaN;
    let submitError: string | undefined;
    submitJobs(cluster, ids, (id) => c1mJob(id, classOf.get(id) as string, a), 16).then(
      () => {
        submittedS = (performance.now() - t0) / 1000;
      },
      (error: unknown) => {
        submitError = `submission failed: ${error instanceof Error ? error.message : String(error)}`;
      },
    );
    const { running, stopped } = await waitForRunning(cluster, total, {
      timeoutS: a.timeoutS,
      stallS: a.stallS,
      startedAt: t0,
      intervalS: 2,
      stopWhen: () => submitError,
      onSample: (samples, running) => {
        for (const [name, metrics] of samples) {
          const lag = metrics.get("nodejs_eventloop_lag_max_seconds") ?? 0;
          lagByServer.set(name, Math.max(lagByServer.get(name) ?? 0, lag));
          const raftLag = metrics.get("drover_raft_thread_event_loop_lag_max_seconds") ?? 0;
          raftLagByServer.set(name, Math.max(raftLagByServer.get(name) ?? 0, raftLag));
          const memory = memoryByServer.get(name) ?? { mainHeap: 0, raftHeap: 0, raftLog: 0 };
          memory.mainHeap = Math.max(memory.mainHeap, metrics.get("nodejs_heap_size_used_bytes") ?? 0);
          memory.raftHeap = Math.max(memory.raftHeap, metrics.get("drover_raft_thread_heap_used_bytes") ?? 0);
          memory.raftLog = Math.max(memory.raftLog, metrics.get("drover_raft_log_memory_bytes") ?? 0);
          memoryByServer.set(name, memory);
        }
        for (const [name, pid] of pids) {
          try {
            rssByServer.set(name, Math.max(rssByServer.get(name) ?? 0, peakRssMb(pid)));
          } catch {
            // The server exited: its last sample stands, and the stall check reports the run.
          }
        }
        const elapsedS = (performance.now() - t0) / 1000;
        bar.update(running, {
          rate: (running / Math.max(elapsedS, 0.001)).toFixed(0),
          servers: [...rssByServer]
            .map(
              ([n, mb]) => `${n} ${mb.toFixed(0)} MB lag ${((lagByServer.get(n) ?? 0) * 1000).toFixed(0)} ms`,
            )
            .join(", "),
        });
      },
    });
    bar.stop();
    const c1mS = (performance.now() - t0) / 1000;

    const cpuServers = [...pids].reduce((sum, [name, pid]) => {
      try {
        return sum + cpuSeconds(pid) - (cpuBefore.get(name) ?? 0);
      } catch {
        return sum;
      }
    }, 0);
    const cpuSim = cpuSeconds(simPid) - simCpuBefore;
    sim.request({ type: "stats" });
    const stats = (await sim.next("stats")).stats;
    const after = await scrapeAll(cluster);
    const delta = (name: string, metric: string): number =>
      (after.get(name)?.get(metric) ?? 0) - (before.get(name)?.get(metric) ?? 0);
    const leaderChanges = Math.max(...servers.map((s) => delta(s.name, "drover_raft_leader_changes_total")));
    const rejected = Math.max(...servers.map((s) => delta(s.name, "drover_plan_rejected_nodes_total")));

    const violations = await constraintViolations(cluster, ids.slice(0, 3), classOf);
    if (stopped !== undefined) notes.push(`incomplete run: ${stopped}`);
    notes.push(
      `${a.jobs} jobs × ${a.count} allocs on ${a.nodes} nodes; submitted in ${Number.isNaN(submittedS) ? "(still submitting)" : `${submittedS.toFixed(1)} s`}; ${running} running after ${c1mS.toFixed(1)} s`,
    );
    notes.push(
      `cpu seconds over the run: servers ${cpuServers.toFixed(1)}, simulator ${cpuSim.toFixed(1)}, harness ${(process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6).toFixed(1)} (since start)`,
    );
    notes.push(
      `simulator: ${stats.reportsSent} reports, ${stats.heartbeats} heartbeats, ${stats.rpcErrors} rpc errors`,
    );
    const rows = servers.map((s) => ({
      server: s.name + (s.name === leader.name ? " (first leader)" : ""),
      rss_mb_max: rssByServer.get(s.name) ?? Number.NaN,
      main_heap_mb_max: (memoryByServer.get(s.name)?.mainHeap ?? 0) / 2 ** 20,
      raft_heap_mb_max: (memoryByServer.get(s.name)?.raftHeap ?? 0) / 2 ** 20,
      raft_log_mb_max: (memoryByServer.get(s.name)?.raftLog ?? 0) / 2 ** 20,
      event_loop_lag_ms_max: (lagByServer.get(s.name) ?? 0) * 1000,
      raft_thread_lag_ms_max: (raftLagByServer.get(s.name) ?? 0) * 1000,
      // Raft snapshots taken during the run and the seconds they took together.
      snapshots: delta(s.name, "drover_raft_snapshot_seconds_count"),
      snapshot_s: delta(s.name, "drover_raft_snapshot_seconds_sum"),
    }));
    const metrics: Record<string, number> = {
      c1m_s: c1mS,
      placements_per_s: running / c1mS,
      allocs_running: running,
      allocs_wanted: total,
      leader_changes: leaderChanges,
      plan_rejected_nodes: rejected,
      constraint_violations: violations,
      server_rss_mb_max: Math.max(...rssByServer.values(), 0),
      event_loop_lag_ms_max: Math.max(...lagByServer.values(), 0) * 1000,
      raft_thread_lag_ms_max: Math.max(...raftLagByServer.values(), 0) * 1000,
      sim_cpu_share: cpuSim / Math.max(cpuSim + cpuServers, 1e-9),
    };
    for (const [name, lag] of lagByServer) metrics[`event_loop_lag_ms_max_${name}`] = lag * 1000;
    for (const [name, mb] of rssByServer) metrics[`rss_mb_max_${name}`] = mb;
    notes.unshift(
      ...Object.entries(metrics).map(
        ([k, v]) => `${k}: ${Number.isInteger(v) ? v : v.toFixed(k.endsWith("share") ? 3 : 1)}`,
      ),
    );
    return { metrics, rows, notes };
  } finally {
    await sim?.stop();
    await cluster.stop();
  }
}
