/**
 * `npm run bench -- raft [--duration-s 10] [--failovers 5] [--skip-etcd] [--skip-drover]
 *                       [--skip-tls] [--outstanding 1|64] [--keep-dir]
 *                       [--agent-node-flags "--max-semi-space-size=32"]`
 *
 * Drover's replicated write path against etcd 3.4, side by side in one run, both as 3 servers
 * on loopback with fsync on, both driven through their client-facing HTTP APIs with keep-alive:
 *  - etcd: `POST /v3/kv/put` (the v3 JSON gateway) with a 1 KiB value;
 *  - Drover: `PUT /v1/var/bench/<n>` (Nomad variables) with one 1 KiB item.
 * For each: writes/s and latency at 1 and 64 outstanding requests for `duration` seconds each,
 * sent to the leader (both clusters run at once and the phases alternate between them, so that
 * a shared machine's background load hits both alike); then kill -9 of the leader `failovers`
 * times, measuring the time until a write through a surviving server succeeds. Drover also reports leader changes observed while
 * nothing failed (from drover_raft_leader_changes_total on every server). Drover's agents run
 * with the environment every launcher gives them (src/cli/agent-env.ts: glibc malloc settings and
 * the young generation's size); `--agent-node-flags` passes further V8/Node flags to them.
 * Unless `--skip-tls`, a third cluster, Drover with mutual TLS on gRPC and HTTPS with client
 * certificates (certificates from `drover tls`'s code), runs the same load phases (no failovers):
 * `tls_writes_ratio` is its writes/s at 64 outstanding ÷ plaintext Drover's in the same run.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { Agent, request } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { withAgentEnv } from "../src/cli/agent-env.js";
import { type BenchResult, percentile } from "./harness.js";
import { pickLoopbackPorts } from "./loopback-ports.js";
import { type BenchTls, serverTlsArgs, writeBenchTls } from "./tls-files.js";

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, "..", "..");
const VALUE_1K = "x".repeat(1024);

interface Member {
  readonly name: string;
  readonly httpUrl: string;
  readonly args: readonly string[];
  readonly command: string;
  /** The process environment (default: this process's). */
  readonly env?: NodeJS.ProcessEnv;
  process: ChildProcess | undefined;
}

/** What the load generator needs from a system under test. */
interface Target {
  readonly name: string;
  readonly members: Member[];
  start(): Promise<void>;
  /** Index into `members` of the current leader (waits for one). */
  leader(timeoutMs: number): Promise<number>;
  put(agent: Agent, member: Member, n: number, timeoutMs: number): Promise<void>;
  healthy(): Promise<boolean>;
  stop(): Promise<void>;
  /** A keep-alive agent for this system's client API (HTTPS with the CLI certificate under TLS). */
  newAgent(maxSockets: number): Agent;
}

interface LoadResult {
  writesPerS: number;
  p50: number;
  p99: number;
  errors: number;
  /** CPU time (user + system) of all the system's server processes per acknowledged write. */
  cpuMsPerWrite: number;
}

// ───────────────────────── HTTP ─────────────────────────

function http(
  agent: Agent,
  url: string,
  method: string,
  body: string | undefined,
  timeoutMs: number,
): Promise<{ status: number; body: string }> {
  return new Promise((resolvePromise, reject) => {
    const send = url.startsWith("https:") ? httpsRequest : request;
    const req = send(url, { method, agent, headers: { "content-type": "application/json" } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolvePromise({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
      );
      res.on("error", reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end(body);
  });
}

async function ok(agent: Agent, url: string, method: string, body: string | undefined, timeoutMs: number) {
  const res = await http(agent, url, method, body, timeoutMs);
  if (res.status < 200 || res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${res.body}`);
  return res.body;
}

// ───────────────────────── processes ─────────────────────────

function startMember(member: Member, logFile: string): void {
  const out = openSync(logFile, "a");
  member.process = spawn(member.command, [...member.args], {
    stdio: ["ignore", out, out],
    ...(member.env === undefined ? {} : { env: member.env }),
  });
  const child = member.process;
  child.once("exit", () => {
    if (member.process === child) member.process = undefined;
  });
}

async function kill9(member: Member): Promise<void> {
  const child = member.process;
  if (child === undefined) return;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  child.kill("SIGKILL");
  await exited;
}

/** CPU time (user + system, ms) a live process has used so far (Linux /proc; NaN elsewhere). */
function cpuMs(member: Member): number {
  const pid = member.process?.pid;
  if (pid === undefined) return 0;
  try {
    // Fields after the command name: state is [0], utime [11], stime [12], in clock ticks (100/s).
    const fields = (readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1] ?? "").split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

function clusterCpuMs(target: Target): number {
  return target.members.reduce((sum, m) => sum + cpuMs(m), 0);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

// ───────────────────────── etcd ─────────────────────────

async function etcdTarget(dir: string): Promise<Target> {
  mkdirSync(dir, { recursive: true });
  const ports = await pickLoopbackPorts(6);
  const names = ["e1", "e2", "e3"];
  const peer = (i: number): string => `http://127.0.0.1:${ports[3 + i]}`;
  const client = (i: number): string => `http://127.0.0.1:${ports[i]}`;
  const initialCluster = names.map((n, i) => `${n}=${peer(i)}`).join(",");
  const members: Member[] = names.map((name, i) => ({
    name,
    httpUrl: client(i),
    command: "etcd",
    args: [
      "--name",
      name,
      "--data-dir",
      join(dir, name),
      "--listen-client-urls",
      client(i),
      "--advertise-client-urls",
      client(i),
      "--listen-peer-urls",
      peer(i),
      "--initial-advertise-peer-urls",
      peer(i),
      "--initial-cluster",
      initialCluster,
      "--initial-cluster-token",
      "drover-bench",
      "--initial-cluster-state",
      "new",
      "--log-level",
      "error",
    ],
    process: undefined,
  }));
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  const status = async (m: Member): Promise<{ id: string; leader: string }> => {
    const body = JSON.parse(await ok(agent, `${m.httpUrl}/v3/maintenance/status`, "POST", "{}", 500)) as {
      header: { member_id: string };
      leader: string;
    };
    return { id: body.header.member_id, leader: body.leader };
  };
  return {
    name: "etcd",
    members,
    start: async () => {
      for (const m of members) startMember(m, join(dir, `${m.name}.log`));
    },
    leader: (timeoutMs) =>
      until("an etcd leader", timeoutMs, async () => {
        for (let i = 0; i < members.length; i++) {
          const m = members[i] as Member;
          if (m.process === undefined) continue;
          const s = await status(m).catch(() => undefined);
          if (s !== undefined && s.leader !== "0" && s.id === s.leader) return i;
        }
        return undefined;
      }),
    put: async (a, m, n, timeoutMs) => {
      const key = Buffer.from(`bench/${n}`).toString("base64");
      const value = Buffer.from(VALUE_1K).toString("base64");
      await ok(a, `${m.httpUrl}/v3/kv/put`, "POST", JSON.stringify({ key, value }), timeoutMs);
    },
    healthy: async () => {
      const all = await Promise.all(members.map((m) => status(m).catch(() => undefined)));
      return all.every((s) => s !== undefined && s.leader !== "0");
    },
    stop: async () => {
      agent.destroy();
      await Promise.all(members.map(kill9));
    },
    newAgent: (maxSockets) => new Agent({ keepAlive: true, maxSockets }),
  };
}

// ───────────────────────── Drover ─────────────────────────

async function droverTarget(dir: string, nodeFlags: readonly string[], tls?: BenchTls): Promise<Target> {
  mkdirSync(dir, { recursive: true });
  const scheme = tls === undefined ? "http" : "https";
  const tlsArgs = tls === undefined ? [] : serverTlsArgs(tls);
  const newAgent = (maxSockets: number): Agent =>
    tls === undefined
      ? new Agent({ keepAlive: true, maxSockets })
      : new HttpsAgent({
          keepAlive: true,
          maxSockets,
          ca: readFileSync(tls.ca),
          cert: readFileSync(tls.cli.cert),
          key: readFileSync(tls.cli.key),
        });
  const [http, rpc] = [await pickLoopbackPorts(3), await pickLoopbackPorts(3)];
  const names = ["s1", "s2", "s3"];
  const bin = join(repoRoot, "bin", "drover.js");
  const members: Member[] = names.map((name, i) => ({
    name,
    httpUrl: `${scheme}://127.0.0.1:${http[i]}`,
    command: process.execPath,
    // As deployed: the malloc and young-generation settings every launcher gives an agent.
    env: withAgentEnv(process.env),
    args: [
      ...nodeFlags,
      bin,
      "agent",
      "--server",
      "--node",
      name,
      "--data-dir",
      join(dir, name),
      "--bind",
      "127.0.0.1",
      "--http-port",
      String(http[i]),
      "--rpc-port",
      String(rpc[i]),
      "--bootstrap-expect",
      "3",
      "--join",
      rpc
        .filter((_, j) => j !== i)
        .map((p) => `127.0.0.1:${p}`)
        .join(","),
      ...tlsArgs,
    ],
    process: undefined,
  }));
  const agent = newAgent(4);
  const leaderRpc = async (m: Member): Promise<string> =>
    JSON.parse(await ok(agent, `${m.httpUrl}/v1/status/leader`, "GET", undefined, 500)) as string;
  return {
    name: tls === undefined ? "drover" : "drover-tls",
    members,
    newAgent,
    start: async () => {
      for (const m of members) startMember(m, join(dir, `${m.name}.log`));
    },
    leader: (timeoutMs) =>
      until("a Drover leader", timeoutMs, async () => {
        for (const m of members) {
          if (m.process === undefined) continue;
          const address = await leaderRpc(m).catch(() => "");
          const index = rpc.findIndex((p) => address === `127.0.0.1:${p}`);
          if (index >= 0 && members[index]?.process !== undefined) return index;
        }
        return undefined;
      }),
    put: async (a, m, n, timeoutMs) => {
      const body = JSON.stringify({ Path: `bench/${n}`, Items: { v: VALUE_1K } });
      await ok(a, `${m.httpUrl}/v1/var/bench/${n}`, "PUT", body, timeoutMs);
    },
    healthy: async () => {
      const all = await Promise.all(members.map((m) => leaderRpc(m).catch(() => "")));
      return all.every((address) => address !== "" && address === all[0]);
    },
    // SIGTERM first, so that agents run with `--cpu-prof` write their profiles; kill -9 after 5 s.
    stop: async () => {
      agent.destroy();
      await Promise.all(members.map((m) => terminate(m, 5000)));
    },
  };
}

async function terminate(member: Member, graceMs: number): Promise<void> {
  const child = member.process;
  if (child === undefined) return;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}

async function droverLeaderChanges(target: Target): Promise<number> {
  const agent = target.newAgent(1);
  let max = 0;
  for (const m of target.members) {
    const text = await ok(agent, `${m.httpUrl}/v1/metrics?format=prometheus`, "GET", undefined, 2000);
    const line = text.split("\n").find((l) => l.startsWith("drover_raft_leader_changes_total"));
    const value = line === undefined ? Number.NaN : Number(line.split(" ").at(-1));
    max = Math.max(max, value);
  }
  return max;
}

// ───────────────────────── measurements ─────────────────────────

async function load(target: Target, concurrency: number, durationMs: number): Promise<LoadResult> {
  const leader = target.members[await target.leader(30_000)] as Member;
  const agent = target.newAgent(concurrency);
  const latencies: number[] = [];
  let errors = 0;
  let n = 0;
  const warmupEnd = Date.now() + 1000;
  while (Date.now() < warmupEnd) await target.put(agent, leader, n++, 5000);
  const started = process.hrtime.bigint();
  const cpuBefore = clusterCpuMs(target);
  const end = Date.now() + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < end) {
        const t0 = process.hrtime.bigint();
        try {
          await target.put(agent, leader, n++, 5000);
          latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
        } catch {
          errors++; // counted and reported; a healthy cluster has none
        }
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpuMsPerWrite = (clusterCpuMs(target) - cpuBefore) / latencies.length;
  agent.destroy();
  return {
    writesPerS: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    errors,
    cpuMsPerWrite,
  };
}

/** kill -9 the leader, time until a write through a survivor succeeds, restart the victim. */
async function failovers(target: Target, rounds: number, logDir: string): Promise<number[]> {
  const times: number[] = [];
  for (let round = 0; round < rounds; round++) {
    await until(`${target.name} healthy before failover ${round + 1}`, 120_000, async () =>
      (await target.healthy()) ? true : undefined,
    );
    await sleep(1500);
    const victimIndex = await target.leader(30_000);
    const victim = target.members[victimIndex] as Member;
    const survivors = target.members.filter((m) => m !== victim);
    const agent = target.newAgent(4);
    // Connections to the survivors are open before the kill, as a running client's would be.
    await Promise.all(survivors.map((m, i) => target.put(agent, m, 1e9 + round * 10 + i, 5000)));
    const killedAt = process.hrtime.bigint();
    await kill9(victim);
    let elapsedMs = Number.NaN;
    for (let attempt = 0; Number.isNaN(elapsedMs); attempt++) {
      const m = survivors[attempt % survivors.length] as Member;
      try {
        await target.put(agent, m, 2e9 + round * 1000 + attempt, 300);
        elapsedMs = Number(process.hrtime.bigint() - killedAt) / 1e6;
      } catch {
        if (Number(process.hrtime.bigint() - killedAt) / 1e6 > 60_000)
          throw new Error("no write within 60 s");
      }
    }
    agent.destroy();
    times.push(elapsedMs);
    startMember(victim, join(logDir, `${victim.name}.log`));
  }
  return times;
}

function argValue(args: readonly string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : fallback;
}

export async function run(args: string[]): Promise<BenchResult> {
  const durationMs = argValue(args, "--duration-s", 10) * 1000;
  const rounds = argValue(args, "--failovers", 5);
  // `--outstanding 1` (or 64) runs one load phase only, e.g. to profile the c1 path alone.
  const phases = args.includes("--outstanding") ? [argValue(args, "--outstanding", 1)] : [1, 64];
  const metrics: Record<string, number> = {};
  const rows: Array<Record<string, string | number>> = [];
  const notes: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), "drover-bench-raft-"));

  interface Side {
    readonly target: Target;
    readonly prefix: "etcd" | "drover" | "drover_tls";
    c1?: LoadResult;
    c64?: LoadResult;
    failovers?: number[];
    failed: boolean;
  }
  const sides: Side[] = [];
  /** Runs one step of a side; a failed Drover side is reported (with its logs) and dropped. */
  const step = async (side: Side, what: () => Promise<void>): Promise<void> => {
    if (side.failed) return;
    try {
      await what();
    } catch (error) {
      if (side.prefix === "etcd") throw error;
      side.failed = true;
      notes.push(`Drover side failed: ${(error as Error).message}`);
      for (const name of ["s1", "s2", "s3"]) {
        const file = join(dir, side.target.name, `${name}.log`);
        const tail = existsSync(file) ? readFileSync(file, "utf8").trim().split("\n").slice(-4) : [];
        for (const line of tail) notes.push(`  ${name}: ${line.slice(0, 300)}`);
      }
    }
  };

  try {
    if (!args.includes("--skip-etcd")) {
      if (spawnSync("etcd", ["--version"]).status !== 0) {
        notes.push(
          "etcd skipped: the etcd binary is not installed (apt-get install -y etcd-server etcd-client)",
        );
      } else {
        sides.push({ target: await etcdTarget(join(dir, "etcd")), prefix: "etcd", failed: false });
      }
    }
    if (!args.includes("--skip-drover")) {
      if (!existsSync(join(repoRoot, "dist", "src", "cli", "main.js"))) {
        notes.push("Drover skipped: dist/ is not built");
      } else {
        const flagsAt = args.indexOf("--agent-node-flags");
        const nodeFlags = flagsAt >= 0 ? (args[flagsAt + 1] ?? "").split(" ").filter((f) => f !== "") : [];
        // The settings as the agents got them (a value already in this environment wins).
        const deployed = withAgentEnv(process.env);
        const settings = Object.keys(withAgentEnv({})).map((k) => `${k}=${deployed[k] ?? ""}`);
        notes.push(
          `Drover agents ran with ${settings.join(" ")}` +
            (nodeFlags.length > 0 ? ` and node flags ${nodeFlags.join(" ")}` : ""),
        );
        sides.push({
          target: await droverTarget(join(dir, "drover"), nodeFlags),
          prefix: "drover",
          failed: false,
        });
        if (!args.includes("--skip-tls")) {
          const tls = writeBenchTls(join(dir, "tls"));
          sides.push({
            target: await droverTarget(join(dir, "drover-tls"), nodeFlags, tls),
            prefix: "drover_tls",
            failed: false,
          });
        }
      }
    }
    // Both clusters run at once and their load phases alternate (etcd c1, Drover c1, etcd c64,
    // Drover c64), so that a shared machine's changing background load hits both alike.
    for (const side of sides) await step(side, () => side.target.start());
    for (const side of sides) {
      await step(side, async () => {
        await until(`${side.target.name} healthy`, 60_000, async () =>
          (await side.target.healthy()) ? true : undefined,
        );
      });
    }
    const drover = sides.find((side) => side.prefix === "drover");
    let changesBefore = 0;
    if (drover !== undefined) {
      await step(drover, async () => {
        changesBefore = await droverLeaderChanges(drover.target);
      });
    }
    for (const side of sides) {
      if (!phases.includes(1)) break;
      await step(side, async () => {
        side.c1 = await load(side.target, 1, durationMs);
      });
    }
    for (const side of sides) {
      if (!phases.includes(64)) break;
      await step(side, async () => {
        side.c64 = await load(side.target, 64, durationMs);
      });
    }
    if (drover !== undefined) {
      await step(drover, async () => {
        metrics["drover_leader_changes_steady"] = (await droverLeaderChanges(drover.target)) - changesBefore;
      });
    }
    // The TLS variant measures the steady write path only; failover is the plaintext cluster's.
    for (const side of sides) {
      if (side.prefix === "drover_tls" || rounds === 0) continue;
      await step(side, async () => {
        side.failovers = await failovers(side.target, rounds, join(dir, side.target.name));
      });
    }
    for (const side of sides) {
      const { prefix, c1, c64, failovers: times } = side;
      for (const [outstanding, r] of [
        [1, c1],
        [64, c64],
      ] as const) {
        if (r === undefined) continue;
        metrics[`${prefix}_writes_per_s_c${outstanding}`] = r.writesPerS;
        metrics[`${prefix}_p50_ms_c${outstanding}`] = r.p50;
        metrics[`${prefix}_p99_ms_c${outstanding}`] = r.p99;
        metrics[`${prefix}_cpu_ms_per_write_c${outstanding}`] = r.cpuMsPerWrite;
        rows.push({
          system: side.target.name,
          outstanding,
          "writes/s": r.writesPerS,
          p50_ms: r.p50,
          p99_ms: r.p99,
          "cpu_ms/write": r.cpuMsPerWrite,
          errors: r.errors,
        });
      }
      // `--failovers 0` (quick loops on the steady write path) measures no failover at all.
      if (times !== undefined && times.length > 0) {
        metrics[`${prefix}_failover_median_ms`] = percentile(times, 50);
        metrics[`${prefix}_failover_max_ms`] = Math.max(...times);
        rows.push({
          system: side.target.name,
          outstanding: "failover",
          "writes/s": "",
          p50_ms: percentile(times, 50),
          p99_ms: Math.max(...times),
          "cpu_ms/write": "",
          errors: 0,
        });
        notes.push(`${side.target.name} failover times (ms): ${times.map((t) => t.toFixed(0)).join(", ")}`);
      }
    }
    const d = metrics["drover_writes_per_s_c64"];
    const e = metrics["etcd_writes_per_s_c64"];
    if (d !== undefined && e !== undefined) metrics["ratio_writes_c64"] = d / e;
    const t = metrics["drover_tls_writes_per_s_c64"];
    if (d !== undefined && t !== undefined) metrics["tls_writes_ratio"] = t / d;
    const d1 = metrics["drover_writes_per_s_c1"];
    const t1 = metrics["drover_tls_writes_per_s_c1"];
    if (d1 !== undefined && t1 !== undefined) metrics["tls_writes_ratio_c1"] = t1 / d1;
    notes.push(
      "both systems: 3 servers on loopback, fsync on, 1 KiB values, HTTP keep-alive, requests sent to the leader",
      "cpu_ms/write: user+system CPU of the 3 server processes per acknowledged write (the machine is shared: compare ratios within one run)",
    );
  } finally {
    for (const side of sides) await side.target.stop();
    // `--keep-dir` leaves the servers' data and logs (e.g. `DROVER_RAFT_TRACE=1` output) behind.
    if (args.includes("--keep-dir")) notes.push(`data and logs kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
  return { metrics, rows, notes };
}
