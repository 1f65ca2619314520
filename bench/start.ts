/**
 * `npm run bench -- start [--runs 3]`
 *
 * `npm start` as an operator meets it, run `runs` times one after the other: the built
 * `dist/src/cli/start.js` is spawned (with `--http-port 0`, so that a cluster someone runs on 4646
 * is left alone), and the clock runs until the example job's allocations all report running,
 * read by this harness through the HTTP API of the server start.js prints (blocking queries, not
 * start.js's own word). Reports start_to_running_s (p50 and max), the phases start.js reports in
 * its ready line (servers listening, leader agreed, clients ready, job running; seconds since its
 * process started), the RSS sum of the five agents once the job runs, and the time from SIGINT
 * to start.js's exit.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { parseJobHcl } from "../src/jobspec/index.js";
import { type BenchResult, percentile } from "./harness.js";

// Compiled to dist/bench/start.js; the example job lives in the source tree.
const START = join(import.meta.dirname, "..", "src", "cli", "start.js");
const JOB_FILE = join(import.meta.dirname, "..", "..", "examples", "web.hcl");
const TIMEOUT_MS = 120_000;

interface Timings {
  servers_up: number;
  leader: number;
  clients: number;
  running: number;
}

interface RunResult {
  startToRunningS: number;
  timings: Timings;
  agentsRssMb: number;
  stopS: number;
}

function parseArgs(argv: string[]): { runs: number } {
  let runs = 3;
  for (let i = 0; i < argv.length; i += 2) {
    const value = Number(argv[i + 1]);
    if (argv[i] !== "--runs" || !Number.isInteger(value) || value < 1)
      throw new Error(`bench start: bad argument ${argv[i]} ${argv[i + 1]} (usage: --runs N)`);
    runs = value;
  }
  return { runs };
}

export async function run(argv: string[]): Promise<BenchResult> {
  const { runs } = parseArgs(argv);
  const { job } = await parseJobHcl(await readFile(JOB_FILE, "utf8"), JOB_FILE);
  const expected = job.TaskGroups.reduce((sum, g) => sum + g.Count, 0);
  const results: RunResult[] = [];
  for (let i = 0; i < runs; i++) results.push(await once(job.ID, expected));
  const rows = results.map((r, i) => ({
    run: i + 1,
    start_to_running_s: r.startToRunningS,
    servers_up_s: r.timings.servers_up,
    leader_s: r.timings.leader,
    clients_ready_s: r.timings.clients,
    job_running_s: r.timings.running,
    agents_rss_mb: r.agentsRssMb,
    stop_s: r.stopS,
  }));
  const col = (pick: (r: RunResult) => number): number[] => results.map(pick);
  const startS = col((r) => r.startToRunningS);
  return {
    metrics: {
      runs,
      start_to_running_s: percentile(startS, 50),
      start_to_running_max_s: Math.max(...startS),
      servers_up_p50_s: percentile(
        col((r) => r.timings.servers_up),
        50,
      ),
      leader_p50_s: percentile(
        col((r) => r.timings.leader),
        50,
      ),
      clients_ready_p50_s: percentile(
        col((r) => r.timings.clients),
        50,
      ),
      agents_rss_mb: percentile(
        col((r) => r.agentsRssMb),
        50,
      ),
      stop_p50_s: percentile(
        col((r) => r.stopS),
        50,
      ),
    },
    rows,
    notes: [
      "start_to_running_s: spawn of dist/src/cli/start.js → every allocation of examples/web.hcl running (read through the API)",
      "phases: seconds since start.js started, from its ready line (servers listening → leader → clients ready → job running)",
      "agents_rss_mb: RSS sum of the 3 servers and 2 clients once the job runs (the tasks not included)",
      "goal: start_to_running_s ≤ 5",
    ],
  };
}

async function once(jobId: string, expected: number): Promise<RunResult> {
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, [START, "--http-port", "0"], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, DROVER_LOG_LEVEL: "info" },
  });
  try {
    const { address, ready } = watch(child);
    const http = await address;
    await allRunning(http, jobId, expected);
    const startToRunningS = (performance.now() - spawnedAt) / 1000;
    const timings = await ready;
    const agents = childPids(child.pid as number);
    if (agents.length !== 5) throw new Error(`bench start: ${agents.length} agent processes, expected 5`);
    const agentsRssMb = agents.reduce((sum, pid) => sum + rssMb(pid), 0);
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const stopAt = performance.now();
    child.kill("SIGINT");
    const code = await exited;
    if (code !== 0) throw new Error(`bench start: start.js exited ${code} after SIGINT`);
    return {
      startToRunningS,
      timings,
      agentsRssMb: Math.round(agentsRssMb),
      stopS: (performance.now() - stopAt) / 1000,
    };
  } finally {
    if (child.exitCode === null) child.kill("SIGKILL");
  }
}

/** The address start.js prints for s1, and its ready line's phases. */
function watch(child: ChildProcess): { address: Promise<string>; ready: Promise<Timings> } {
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const exitedEarly = new Promise<never>((_, reject) =>
    child.once("exit", (code) => reject(new Error(`bench start: start.js exited (${code}): ${stderr}`))),
  );
  exitedEarly.catch(() => undefined);
  const address = new Promise<string>((resolve) => {
    lines.on("line", (line) => {
      const match = /^drover: .*HTTP API is on (http:\/\/\S+)$/.exec(line);
      if (match !== null) resolve(match[1] as string);
    });
  });
  const ready = new Promise<Timings>((resolve) => {
    lines.on("line", (line) => {
      if (line.startsWith('{"drover_start_ready"'))
        resolve(
          (JSON.parse(line) as { drover_start_ready: { timings_s: Timings } }).drover_start_ready.timings_s,
        );
    });
  });
  return { address: Promise.race([address, exitedEarly]), ready: Promise.race([ready, exitedEarly]) };
}

/** Blocking queries on the job's allocations until every one that should run is running. */
async function allRunning(http: string, jobId: string, expected: number): Promise<void> {
  const deadline = Date.now() + TIMEOUT_MS;
  let index = 0;
  while (Date.now() < deadline) {
    const res = await fetch(`${http}/v1/job/${jobId}/allocations?index=${index}&wait=10s`).catch(
      () => undefined,
    );
    if (res === undefined || res.status !== 200) {
      // Not serving yet (every request is answered 503 until the agent's parts started).
      await new Promise((r) => setTimeout(r, 50));
      continue;
    }
    const allocs = (await res.json()) as Array<{ DesiredStatus: string; ClientStatus: string }>;
    index = Number(res.headers.get("x-nomad-index") ?? "0");
    const running = allocs.filter((a) => a.DesiredStatus === "run" && a.ClientStatus === "running");
    if (running.length >= expected) return;
  }
  throw new Error(`bench start: the example job was not running within ${TIMEOUT_MS / 1000} s`);
}

/** The agents: direct children of start.js (each `drover agent` is spawned by it). */
function childPids(parent: number): number[] {
  const pids: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "latin1");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === parent) pids.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

function rssMb(pid: number): number {
  try {
    const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "latin1"))?.[1] ?? "0");
    return kb / 1024;
  } catch {
    return 0;
  }
}
