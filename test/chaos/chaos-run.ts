import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalCluster } from "../../src/cli/local-cluster.js";
import type { Allocation } from "../../src/fsm/structs.js";
import { eventually } from "../cluster/fixtures/raft-cluster.js";
import type { HistoryEvent } from "./history.js";
import { checkCommittedState, fetchState, lostWrites, type ServerState, StateHashes } from "./invariants.js";
import { overlappingTasks, readLedger } from "./ledger.js";
import { checkLinearizable } from "./linearizability.js";
import { type FaultKind, type InjectedFault, Nemesis } from "./nemesis.js";
import { NetnsNetwork } from "./netns-network.js";
import { Prng } from "./prng.js";
import {
  acceptableJobStates,
  type JobState,
  jobWorker,
  varWorker,
  type WorkloadContext,
} from "./workload.js";

export interface ChaosOptions {
  seed: number;
  durationMs: number;
  faults: readonly FaultKind[];
  servers?: number;
  clients?: number;
  varProcesses?: number;
  jobProcesses?: number;
  raftMultiplier?: number;
  /** How long jobs may take to converge once every fault is healed. */
  convergeTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface ChaosSummary {
  seed: number;
  durationMs: number;
  servers: number;
  clients: number;
  faults: readonly FaultKind[];
  varOps: Record<"ok" | "fail" | "info", number>;
  jobOps: Record<"ok" | "fail" | "info", number>;
  injected: InjectedFault[];
  /**
   * Per 5 s window of the workload: variable operations invoked, and how many the server answered
   * (ok, or a definite refusal such as a CAS conflict; not a timeout, a reset or a 5xx).
   */
  availability: Array<{ fromS: number; ok: number; total: number }>;
  linearizability: { keys: number; anomalies: string[]; timedOut: string[] };
  statesCompared: number;
  tasksSeen: number;
  /**
   * Raft log compactions and installed snapshots at the end, summed over the servers' current
   * processes (a restarted server's counters start again).
   */
  raftSnapshots: { compactions: number; installs: number };
  violations: string[];
  /** Where logs and data were kept (a failed run keeps them). */
  dir: string;
}

const WINDOW_MS = 5_000;
const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Sums `name`'s samples in a Prometheus text exposition. */
function metricSum(text: string, name: string): number {
  let sum = 0;
  for (const match of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, "gm")))
    sum += Number(match[1]);
  return sum;
}

async function raftSnapshotCounts(c: LocalCluster): Promise<{ compactions: number; installs: number }> {
  const counts = { compactions: 0, installs: 0 };
  for (const server of c.running()) {
    const text = await c
      .fetch(`${server.httpUrl}/v1/metrics?format=prometheus`)
      .then((res) => res.text())
      .catch(() => "");
    counts.compactions += metricSum(text, "drover_raft_snapshot_seconds_count");
    counts.installs += metricSum(text, "drover_raft_snapshot_installs_total");
  }
  return counts;
}

/** `eventually`, answering undefined instead of throwing when the time is up (a violation then). */
function within<T>(timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T | undefined> {
  return eventually("a chaos check", timeoutMs, probe).catch(() => undefined);
}

/** What one server says of Raft: the leader it names ("" for none) and its current term. */
async function raftView(url: string): Promise<{ leader: string; term: number } | undefined> {
  try {
    const [leader, metrics] = await Promise.all([
      fetch(`${url}/v1/status/leader`, { signal: AbortSignal.timeout(2_000) }).then((r) =>
        r.status === 200 ? (r.json() as Promise<string>) : undefined,
      ),
      fetch(`${url}/v1/metrics?format=prometheus`, { signal: AbortSignal.timeout(2_000) }).then((r) =>
        r.status === 200 ? r.text() : undefined,
      ),
    ]);
    const term = /^drover_raft_term(?:\{[^}]*\})? (\d+)/m.exec(metrics ?? "")?.[1];
    return leader === undefined || term === undefined ? undefined : { leader, term: Number(term) };
  } catch {
    return undefined;
  }
}

/**
 * Waits until every server has named one leader at one term continuously for `settleMs` (60 s at
 * most); answers that leader and term, or undefined.
 */
async function settled(
  c: LocalCluster,
  settleMs: number,
): Promise<{ leader: string; term: number } | undefined> {
  let since = Date.now();
  let current: { leader: string; term: number } | undefined;
  return within(60_000, async () => {
    const views = await Promise.all(c.servers.map((s) => raftView(s.httpUrl)));
    const first = views[0];
    const agreed =
      first !== undefined &&
      first.leader !== "" &&
      views.every((v) => v !== undefined && v.leader === first.leader && v.term === first.term);
    if (!agreed || current === undefined || current.leader !== first.leader || current.term !== first.term) {
      current = agreed ? { leader: first.leader, term: first.term } : undefined;
      since = Date.now();
      return undefined;
    }
    if (Date.now() - since < settleMs) {
      await wait(250);
      return undefined;
    }
    return current;
  });
}

/** The command that replays a run with these options. */
export function replayCommand(o: ChaosOptions): string {
  const minutes = Number((o.durationMs / 60_000).toFixed(3));
  return (
    `npm run chaos -- --minutes ${minutes} --seed ${o.seed} --faults ${o.faults.join(",")}` +
    ` --servers ${o.servers ?? 3}`
  );
}

/**
 * One chaos run on real processes: N servers (each in its own network namespace) and client
 * agents, a recorded workload at random servers, one fault at a time from the seed, then every
 * fault healed and the invariants checked. Everything it starts (processes, namespaces, bridge,
 * task processes) is removed before it returns or throws.
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosSummary> {
  const log = options.log ?? (() => {});
  const serverCount = options.servers ?? 3;
  const clientCount = options.clients ?? 2;
  const multiplier = options.raftMultiplier ?? 1;
  const unavailable = NetnsNetwork.unavailable();
  if (unavailable !== undefined)
    throw new Error(`the chaos harness cannot build its network: ${unavailable}`);
  const rng = new Prng(options.seed);
  const dir = mkdtempSync(join(tmpdir(), "drover-chaos-"));
  const ledger = join(dir, "ledger");
  writeFileSync(ledger, "");
  // Servers compact their Raft logs every few dozen entries, so that a server killed, paused or
  // cut off comes back behind its leader's log and is caught up by a snapshot made for it.
  const serverConfig = join(dir, "server.hcl");
  writeFileSync(
    serverConfig,
    'server {\n  raft_snapshot_threshold = 64\n  raft_snapshot_interval = "2s"\n  raft_trailing_logs = 16\n}\n',
  );
  const names = Array.from({ length: serverCount }, (_, i) => `s${i + 1}`);
  const violations: string[] = [];
  const violation = (text: string): void => {
    if (violations.includes(text)) return;
    violations.push(text);
    log(`VIOLATION ${text}`);
  };
  const network = await NetnsNetwork.create(names);
  let cluster: LocalCluster | undefined;
  let nemesis: Nemesis | undefined;
  let failed = true;
  const killTasks = (client?: string): void => {
    if (!existsSync(ledger)) return;
    for (const task of readLedger(ledger)) {
      if (client !== undefined && task.client !== client) continue;
      let cmdline = "";
      try {
        cmdline = readFileSync(`/proc/${task.pid}/cmdline`, "utf8");
      } catch {
        continue;
      }
      // A pid is ours only while its command line names this run's ledger (pids are reused).
      if (!cmdline.includes(ledger)) continue;
      for (const target of [-task.pid, task.pid]) {
        try {
          process.kill(target, "SIGKILL");
        } catch {
          // Gone already.
        }
      }
    }
  };
  const onExit = (): void => killTasks();
  process.once("exit", onExit);
  try {
    log(
      `chaos: seed ${options.seed}, ${serverCount} servers, ${clientCount} clients, data and logs in ${dir}`,
    );
    cluster = await LocalCluster.start({
      servers: serverCount,
      baseDir: join(dir, "cluster"),
      bindFor: (name, kind) => (kind === "server" ? network.addressOf(name) : network.hostAddress),
      commandPrefix: (name, kind) => (kind === "server" ? network.commandPrefix(name) : []),
      extraArgs: ["--raft-multiplier", String(multiplier), "--config", serverConfig],
      logLevel: "warn",
    });
    const c = cluster;
    const leader = await c.waitForLeader(60_000);
    for (let i = 0; i < clientCount; i++) {
      await c.addClient({ extraArgs: ["--cpu-total-compute", "1000", "--memory-total-mb", "512"] });
    }
    const ready = await within(60_000, async () => {
      const res = await c.http<Array<{ Status: string }>>(leader, "GET", "/v1/nodes").catch(() => undefined);
      return res?.body.filter((n) => n.Status === "ready").length === clientCount ? true : undefined;
    });
    if (ready === undefined) throw new Error(`the ${clientCount} clients did not register within 60 s`);

    const t0 = process.hrtime.bigint();
    const elapsedMs = () => Number(process.hrtime.bigint() - t0) / 1e6;
    const ctx: WorkloadContext = {
      targets: c.servers.map((s) => ({ name: s.name, url: s.httpUrl })),
      t0,
      timeoutMs: 4_000,
      stopped: false,
      history: [],
      jobOps: [],
      keyEpochMs: 10_000,
      keysPerEpoch: 4,
      ledger,
      keysUsed: new Set(),
    };
    const workers = [
      ...Array.from({ length: options.varProcesses ?? 5 }, (_, p) => varWorker(ctx, p, rng.fork())),
      ...Array.from({ length: options.jobProcesses ?? 2 }, (_, p) => jobWorker(ctx, 100 + p, rng.fork(), 3)),
    ];

    // The committed state of every server, sampled while faults come and go.
    const hashes = new StateHashes();
    const sample = async (): Promise<ServerState[]> => {
      const states = await Promise.all(c.running().map((s) => fetchState(s.name, s.httpUrl, 3_000)));
      const got = states.filter((s): s is ServerState => s !== undefined);
      for (const state of got) {
        const diverged = hashes.add(state);
        if (diverged !== undefined) violation(diverged);
        for (const v of checkCommittedState(state)) violation(v);
      }
      return got;
    };
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        await sample();
        await wait(3_000);
      }
    })();

    // Healthy means one leader and one term on every server for this long: a fault's effects
    // outlast its healing (TCP backs off retransmissions for seconds after heavy loss), and an
    // election already under way when the fault heals is part of the fault, not of calm.
    const settleMs = 4 * 1_000 * multiplier;
    const nem = new Nemesis(c, network, rng.fork(), options.faults, 1_000 * multiplier, killTasks, elapsedMs);
    nemesis = nem;
    while (elapsedMs() < options.durationMs) {
      // Healthy: every server runs, none is faulted, all name one leader at one term. From then
      // until the next fault, no server may name another leader or move to a later term. (A
      // follower that briefly names no leader is not a change: TCP may still be backing off a
      // retransmission after a fault; pre-vote keeps it from disrupting the leader.)
      let healthy: { leader: string; term: number } | undefined;
      try {
        await c.waitForLeader(60_000);
        healthy = await settled(c, settleMs);
        if (healthy === undefined)
          violation(`the servers did not hold one leader and term for ${settleMs} ms within 60 s of healing`);
      } catch (error) {
        violation(`no agreed leader within 60 s of healing: ${(error as Error).message}`);
      }
      const calmMs = rng.int(2_000, 5_000);
      const calmEnd = Date.now() + calmMs;
      while (healthy !== undefined && Date.now() < calmEnd) {
        const views = await Promise.all(c.servers.map((s) => raftView(s.httpUrl)));
        for (const [i, view] of views.entries()) {
          if (view === undefined || healthy === undefined) continue;
          const named = view.leader !== "" && view.leader !== healthy.leader;
          if (named || view.term > healthy.term) {
            violation(
              `leader changed while the cluster was healthy and not faulted: ${c.servers[i]?.name} at term ` +
                `${view.term} names "${view.leader}", the leader was ${healthy.leader} at term ${healthy.term} ` +
                `(${Math.round(elapsedMs() / 1000)} s)`,
            );
            healthy = undefined; // one report per calm window
          }
        }
        await wait(500);
      }
      if (elapsedMs() >= options.durationMs || options.faults.length === 0) {
        if (options.faults.length === 0) await wait(Math.max(0, options.durationMs - elapsedMs()));
        break;
      }
      await nem.step();
      const last = nem.injected.at(-1);
      if (last !== undefined)
        log(
          `fault at ${Math.round(last.atMs / 1000)} s: ${last.name} (${last.detail}) for ${last.heldMs} ms`,
        );
    }
    await nem.healAll();
    ctx.stopped = true;
    await Promise.all(workers);
    const workloadMs = elapsedMs();
    log(`workload stopped after ${Math.round(workloadMs / 1000)} s; checking`);

    // Final reads of every key, from the leader, recorded as their own process.
    const finalLeader = await c.waitForLeader(60_000);
    const finals = new Map<string, string | null>();
    const keys = [...ctx.keysUsed];
    const readProcess = 10_000;
    for (const key of keys) {
      const value = await within(30_000, async () => {
        const invoked = Number(process.hrtime.bigint() - t0);
        const res = await fetch(`${finalLeader.httpUrl}/v1/var/${key}`, {
          signal: AbortSignal.timeout(5_000),
        }).catch(() => undefined);
        if (res === undefined || (res.status !== 200 && res.status !== 404)) return undefined;
        const body = res.status === 404 ? null : ((await res.json()) as { Items?: { v?: string } });
        const read = body?.Items?.v ?? null;
        const op = { f: "read" as const, key, value: null };
        ctx.history.push({
          process: readProcess,
          type: "invoke",
          op,
          time: invoked,
          server: finalLeader.name,
        });
        ctx.history.push({
          process: readProcess,
          type: "ok",
          op: { ...op, value: read },
          time: Number(process.hrtime.bigint() - t0),
          server: finalLeader.name,
        });
        return { read };
      });
      if (value === undefined) violation(`final read of ${key} did not succeed within 30 s`);
      else finals.set(key, value.read);
    }
    for (const lost of lostWrites(ctx.history, finals)) violation(lost);

    // Jobs: what the servers hold is what the acknowledged operations leave, and it converges.
    const jobIds = [...new Set(ctx.jobOps.map((o) => o.jobId))];
    const expected = new Map<string, JobState | undefined>();
    for (const jobId of jobIds) {
      const ops = ctx.jobOps.filter((o) => o.jobId === jobId);
      const acceptable = acceptableJobStates(ops);
      const res = await within(30_000, async () =>
        c
          .http<{
            Stop: boolean;
            TaskGroups: Array<{ Count: number; Tasks: Array<{ Env: Record<string, string> }> }>;
          }>(finalLeader, "GET", `/v1/job/${jobId}`)
          .then((r) => (r.status === 200 || r.status === 404 ? r : undefined))
          .catch(() => undefined),
      );
      if (res === undefined) {
        violation(`job ${jobId} could not be read at the end`);
        continue;
      }
      const group = res.status === 200 ? res.body.TaskGroups[0] : undefined;
      const actual: JobState | undefined =
        res.status === 404 || group === undefined
          ? undefined
          : {
              live: !res.body.Stop,
              count: group.Count,
              version: Number(group.Tasks[0]?.Env["CHAOS_VERSION"]),
            };
      const allowed = acceptable.some((s) => JSON.stringify(s ?? null) === JSON.stringify(actual ?? null));
      if (!allowed) {
        violation(
          `job ${jobId}: an acknowledged operation was lost: the servers hold ${JSON.stringify(actual ?? "no job")}, ` +
            `its operations allow ${JSON.stringify(acceptable)}`,
        );
      }
      expected.set(jobId, actual);
    }
    const convergeMs = options.convergeTimeoutMs ?? 120_000;
    let lastGap = "";
    const converged = await within(convergeMs, async () => {
      const res = await c
        .http<Array<{ JobID: string; Name: string; DesiredStatus: string; ClientStatus: string }>>(
          finalLeader,
          "GET",
          "/v1/allocations",
        )
        .catch(() => undefined);
      if (res === undefined || res.status !== 200) return undefined;
      const gaps: string[] = [];
      for (const [jobId, state] of expected) {
        const mine = res.body.filter(
          (a) =>
            a.JobID === jobId &&
            a.DesiredStatus === "run" &&
            a.ClientStatus !== "complete" &&
            a.ClientStatus !== "failed" &&
            a.ClientStatus !== "lost",
        );
        const want = state?.live === true ? state.count : 0;
        const running = mine.filter((a) => a.ClientStatus === "running");
        if (
          mine.length !== want ||
          running.length !== want ||
          new Set(mine.map((a) => a.Name)).size !== mine.length
        )
          gaps.push(`${jobId}: ${running.length}/${mine.length} running, want ${want}`);
      }
      lastGap = gaps.join("; ");
      return gaps.length === 0 ? true : undefined;
    });
    if (converged === undefined)
      violation(`jobs did not converge within ${convergeMs / 1000} s of healing: ${lastGap}`);

    // Every server's FSM at one applied index, once the writes have settled.
    sampling = false;
    await sampler;
    let finalStates: ServerState[] = [];
    const same = await within(60_000, async () => {
      finalStates = await sample();
      const indexes = new Set(finalStates.map((s) => s.index));
      return finalStates.length === serverCount && indexes.size === 1 ? true : undefined;
    });
    if (same === undefined) {
      violation(
        `the servers did not reach one applied index within 60 s of settling: ${finalStates.map((s) => `${s.server}@${s.index}`).join(", ")}`,
      );
    }

    // No task ran twice at once.
    const finalAllocs = finalStates[0]?.tables.allocs;
    const wanted = (allocId: string): boolean => {
      const alloc = finalAllocs?.get(allocId) as Allocation | undefined;
      return alloc !== undefined && alloc.DesiredStatus === "run" && alloc.ClientStatus !== "lost";
    };
    const tasks = readLedger(ledger);
    for (const overlap of overlappingTasks(tasks, (a, b) => wanted(a.allocId) && wanted(b.allocId)))
      violation(overlap);

    const lin = checkLinearizable(ctx.history);
    const anomalies = lin.anomalies.map((a) => `${a.key}: ${a.report}`);
    for (const anomaly of anomalies) log(`ANOMALY ${anomaly}`);

    const count = (events: readonly { type: string }[]) => ({
      ok: events.filter((e) => e.type === "ok").length,
      fail: events.filter((e) => e.type === "fail").length,
      info: events.filter((e) => e.type === "info").length,
    });
    const workerEvents = ctx.history.filter((e) => e.process !== readProcess);
    const summary: ChaosSummary = {
      seed: options.seed,
      durationMs: Math.round(workloadMs),
      servers: serverCount,
      clients: clientCount,
      faults: options.faults,
      varOps: count(workerEvents.filter((e) => e.type !== "invoke")),
      jobOps: count(ctx.jobOps.map((o) => ({ type: o.outcome }))),
      injected: nem.injected,
      availability: availability(workerEvents, workloadMs),
      linearizability: { keys: lin.keys, anomalies, timedOut: lin.timedOut ?? [] },
      statesCompared: hashes.compared,
      tasksSeen: tasks.length,
      raftSnapshots: await raftSnapshotCounts(c),
      violations,
      dir,
    };
    failed = violations.length > 0 || anomalies.length > 0 || !lin.ok;
    return summary;
  } finally {
    nemesis?.resumeAll();
    await cluster?.stop().catch(() => {});
    killTasks();
    process.off("exit", onExit);
    network.destroy();
    if (!failed) rmSync(dir, { recursive: true, force: true });
  }
}

/** Variable operations by the 5 s window they were invoked in: how many, how many succeeded. */
function availability(history: readonly HistoryEvent[], durationMs: number): ChaosSummary["availability"] {
  const windows = Array.from({ length: Math.max(1, Math.ceil(durationMs / WINDOW_MS)) }, (_, i) => ({
    fromS: (i * WINDOW_MS) / 1000,
    ok: 0,
    total: 0,
  }));
  const invoked = new Map<number, number>();
  for (const event of history) {
    if (event.type === "invoke") {
      invoked.set(event.process, event.time);
      continue;
    }
    const at = invoked.get(event.process);
    if (at === undefined) continue;
    const window = windows[Math.min(windows.length - 1, Math.floor(at / 1e6 / WINDOW_MS))];
    if (window === undefined) continue;
    window.total++;
    // Available: the server answered for itself (ok, or a refusal such as a CAS conflict).
    if (event.type === "ok" || (event.type === "fail" && event.error?.startsWith("HTTP 4") === true))
      window.ok++;
  }
  return windows;
}

/** The summary as the CLI prints it. */
export function formatSummary(s: ChaosSummary, options: ChaosOptions): string {
  const byKind = new Map<string, number>();
  for (const f of s.injected) byKind.set(f.name, (byKind.get(f.name) ?? 0) + 1);
  const lines = [
    `chaos summary: seed ${s.seed}, ${Math.round(s.durationMs / 1000)} s, ${s.servers} servers, ${s.clients} clients, faults ${s.faults.join(",") || "none"}`,
    `operations: variables ${s.varOps.ok + s.varOps.fail + s.varOps.info} (ok ${s.varOps.ok}, fail ${s.varOps.fail}, info ${s.varOps.info}); ` +
      `jobs ${s.jobOps.ok + s.jobOps.fail + s.jobOps.info} (ok ${s.jobOps.ok}, fail ${s.jobOps.fail}, info ${s.jobOps.info})`,
    `faults injected: ${s.injected.length}${byKind.size === 0 ? "" : ` (${[...byKind].map(([k, n]) => `${k} ${n}`).join(", ")})`}`,
    "availability per 5 s window (variable operations answered ok or refused / invoked):",
    ...chunk(
      s.availability.map(
        (w) => `${w.fromS}s ${w.total === 0 ? "-" : `${Math.round((100 * w.ok) / w.total)}%`}`,
      ),
      8,
    ).map((row) => `  ${row.join("  ")}`),
    `linearizability: ${s.linearizability.keys} keys checked, anomalies: ${s.linearizability.anomalies.length}` +
      (s.linearizability.timedOut.length > 0
        ? `, undecided (search timed out): ${s.linearizability.timedOut.length}`
        : ""),
    `FSM states compared at equal applied indexes: ${s.statesCompared}; task instances in the ledger: ${s.tasksSeen}`,
    `Raft log compactions: ${s.raftSnapshots.compactions}; snapshots installed: ${s.raftSnapshots.installs} (servers' current processes)`,
    `invariant violations: ${s.violations.length}`,
    ...s.violations.map((v) => `  - ${v}`),
    ...s.linearizability.anomalies.map((a) => `  - anomaly ${a}`),
  ];
  if (
    s.violations.length > 0 ||
    s.linearizability.anomalies.length > 0 ||
    s.linearizability.timedOut.length > 0
  ) {
    lines.push(`FAILED: seed ${s.seed}; replay with: ${replayCommand(options)}; logs kept in ${s.dir}`);
  }
  return lines.join("\n");
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const rows: T[][] = [];
  for (let i = 0; i < items.length; i += size) rows.push(items.slice(i, i + size));
  return rows;
}
