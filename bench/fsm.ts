import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { constants, type PerformanceEntry, PerformanceObserver } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { withAgentEnv } from "../src/cli/agent-env.js";
import { SeededRandom } from "../src/common/rand.js";
import { encodeCommand } from "../src/fsm/command-codec.js";
import type { Command } from "../src/fsm/commands.js";
import { DroverFsm } from "../src/fsm/drover-fsm.js";
import { mockEval, mockJob, mockNode, mockPlanApply } from "../src/fsm/mock.js";
import { packedMetric } from "../src/fsm/packed-metric.js";
import { writeSnapshotStream } from "../src/fsm/snapshot-stream.js";
import type { Allocation, AllocMetric, Job, Node } from "../src/fsm/structs.js";
import type { Entry } from "../src/raft/core/types.js";
import type { BenchResult } from "./harness.js";

/**
 * `npm run bench -- fsm [--allocs N] [--sync false] [--heap-mb MB] [--bare-node] [--keep DIR]`: applies plan entries of 1,000 allocations
 * (decode + apply + one LevelDB write per entry, fsync on) until the store holds N (default
 * 1,000,000) allocations on 5,000 nodes; times O(1) snapshots along the way; then, once that
 * process exited, restarts in a fresh one that loads everything from LevelDB and reports load
 * time and resident memory.
 * Both processes run with an agent's settings (withAgentEnv), as the FSM does in production;
 * `--bare-node` runs them with Node's defaults instead.
 */

export const NODES = 5000;
export const PLAN_SIZE = 1000;
export const NOW = 1_700_000_000_000_000_000;

export function uuid(rand: SeededRandom): string {
  const hex = (n: number): string =>
    Array.from({ length: n }, () => "0123456789abcdef"[rand.int(16)] as string).join("");
  return `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
}

export function benchNode(rand: SeededRandom, i: number): Node {
  return mockNode({
    ID: uuid(rand),
    Name: `client-${String(i).padStart(5, "0")}`,
    ComputedClass: `v1:${i % 7}`,
    Attributes: {
      "kernel.name": "linux",
      "cpu.arch": "amd64",
      "unique.hostname": `client-${i}`,
      "unique.network.ip-address": `10.0.${Math.floor(i / 250)}.${i % 250}`,
      "driver.exec": "1",
      "nomad.version": "1.7.0",
    },
  });
}

export function benchJob(i: number): Job {
  const base = mockJob({ ID: `service-${String(i).padStart(4, "0")}` });
  const group = base.TaskGroups[0];
  if (group === undefined) throw new Error("mock job without a group");
  return { ...base, TaskGroups: [{ ...group, Name: "web", Count: PLAN_SIZE }] };
}

/** What Nomad's scheduler attaches to a placement: counts and the top node scores. */
function placementMetrics(rand: SeededRandom, nodeIds: readonly string[]): AllocMetric {
  return {
    NodesEvaluated: 5000,
    NodesFiltered: rand.int(20),
    NodesInPool: 5000,
    NodesAvailable: { dc1: 5000 },
    ClassFiltered: {},
    ConstraintFiltered: {},
    NodesExhausted: rand.int(3),
    ClassExhausted: {},
    DimensionExhausted: {},
    QuotaExhausted: [],
    ScoreMetaData: [0, 1].map((k) => ({
      NodeID: nodeIds[rand.int(nodeIds.length)] as string,
      Scores: { binpack: 0.3 + k / 10, "job-anti-affinity": 0 },
      NormScore: 0.3 + k / 10,
    })),
    AllocationTime: 150_000 + rand.int(100_000),
    CoalescedFailures: 0,
  };
}

export function benchAlloc(
  rand: SeededRandom,
  job: Job,
  evalId: string,
  index: number,
  node: Node,
  nodeIds: readonly string[],
): Allocation {
  const port = 20000 + rand.int(12000);
  return {
    ID: uuid(rand),
    Namespace: job.Namespace,
    EvalID: evalId,
    Name: `${job.ID}.web[${index}]`,
    NodeID: node.ID,
    NodeName: node.Name,
    JobID: job.ID,
    JobVersion: 0,
    TaskGroup: "web",
    AllocatedResources: {
      Tasks: {
        web: { Cpu: { CpuShares: 500 }, Memory: { MemoryMB: 256, MemoryMaxMB: 0 }, Networks: [] },
      },
      Shared: {
        DiskMB: 150,
        Networks: [
          {
            Mode: "host",
            Device: "",
            CIDR: "",
            IP: "10.0.0.1",
            MBits: 0,
            ReservedPorts: [],
            DynamicPorts: [{ Label: "http", Value: port, To: 8080, HostNetwork: "default" }],
          },
        ],
        Ports: [{ Label: "http", Value: port, To: 8080, HostIP: "10.0.0.1" }],
      },
    },
    DesiredStatus: "run",
    DesiredDescription: "",
    DesiredTransition: { Migrate: false, Reschedule: false, ForceReschedule: false },
    ClientStatus: "pending",
    ClientDescription: "",
    AllocStates: [],
    TaskStates: {},
    DeploymentID: "",
    DeploymentStatus: null,
    RescheduleTracker: null,
    NextAllocation: "",
    PreviousAllocation: "",
    FollowupEvalID: "",
    PreemptedAllocations: [],
    PreemptedByAllocation: "",
    // Packed, as the scheduler hands it over (src/scheduler/alloc-factory.ts).
    Metrics: packedMetric(placementMetrics(rand, nodeIds)),
    CreateIndex: 0,
    ModifyIndex: 0,
    AllocModifyIndex: 0,
    CreateTime: 0,
    ModifyTime: 0,
  };
}

function gc(): void {
  setFlagsFromString("--expose-gc");
  (runInNewContext("gc") as () => void)();
}

function parseArgs(args: readonly string[]): {
  allocs: number;
  sync: boolean;
  keep: string | undefined;
  heapMb: number;
  bare: boolean;
} {
  let allocs = 1_000_000;
  let bare = false;
  let sync = true;
  let keep: string | undefined;
  let heapMb = 8192;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--allocs") allocs = Number(args[++i]);
    else if (args[i] === "--sync") sync = args[++i] !== "false";
    else if (args[i] === "--keep") keep = args[++i];
    else if (args[i] === "--heap-mb") heapMb = Number(args[++i]);
    else if (args[i] === "--bare-node") bare = true;
  }
  return { allocs, sync, keep, heapMb, bare };
}

function ms(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

export async function run(args: string[]): Promise<BenchResult> {
  const { heapMb, bare, keep } = parseArgs(args);
  // --keep DIR leaves the LevelDB state in DIR for profiling the restart by hand.
  const dir = keep ?? mkdtempSync(join(tmpdir(), "drover-bench-fsm-"));
  try {
    // With a heap size, the apply runs in a process of its own with that limit (the default
    // ~4 GB limit makes V8 collect ever more often as the heap approaches it), which exits
    // before the restart starts: a restarting server does not run beside a process that still
    // holds the same million allocations, and on a VM a second resident process of that size
    // can make the load's page faults cost several times the system CPU.
    const apply = heapMb > 0 ? applyInChild(args, dir, heapMb, bare) : await applyPhase(args, dir);
    const restart = restartInChild(dir, apply.placed, heapMb, childEnv(bare));
    return report(apply, restart, heapMb, heapMb > 0);
  } finally {
    if (keep === undefined) rmSync(dir, { recursive: true, force: true });
  }
}

function applyInChild(args: string[], dir: string, heapMb: number, bare: boolean): ApplyReport {
  return inChild<ApplyReport>(
    `m.applyPhase(${JSON.stringify(args)}, ${JSON.stringify(dir)}).then((r) => process.stdout.write(JSON.stringify(r) + "\\n"))`,
    heapMb,
    childEnv(bare),
  );
}

/**
 * Runs `call` (an expression over this module as `m` that prints one JSON line) in a fresh Node
 * process with `heapMb` and the extra flags, and returns what it printed.
 */
function inChild<T>(call: string, heapMb: number, env: NodeJS.ProcessEnv): T {
  const self = fileURLToPath(import.meta.url);
  const script = `import(${JSON.stringify(`file://${self}`)}).then((m) => ${call})`;
  const heapFlags = [...(heapMb > 0 ? [`--max-old-space-size=${heapMb}`] : []), ...extraNodeFlags()];
  const out = execFileSync(process.execPath, [...heapFlags, "--input-type=module", "-e", script], {
    encoding: "utf8",
    maxBuffer: 1 << 20,
    stdio: ["ignore", "pipe", "inherit"],
    env,
  });
  return JSON.parse(out.trim().split("\n").at(-1) as string) as T;
}

/** What the apply phase measured (applyPhase), for the report. */
export interface ApplyReport {
  placed: number;
  plans: number;
  sync: boolean;
  applyMs: number;
  applyCpuUs: number;
  gcMs: number;
  majorGcMs: number;
  heapAfterApply: number;
  bytes: number;
  encodeMs: number;
  snapshotMsMax: number;
  snapshots: number;
  /** The agent settings the applying process ran with (settingsNote). */
  settings: string;
}

/**
 * Applies the plan entries into a store in `dir` (left closed there for the restart) and
 * reports what it measured.
 */
export async function applyPhase(args: string[], dir: string): Promise<ApplyReport> {
  const { allocs: target, sync } = parseArgs(args);
  // Garbage-collection pauses of the whole run (apply and bench-side work alike), to attribute
  // the apply time honestly.
  let gcMs = 0;
  let majorGcMs = 0;
  const gcObserver = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gcMs += entry.duration;
      if (
        (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind ===
        constants.NODE_PERFORMANCE_GC_MAJOR
      ) {
        majorGcMs += entry.duration;
      }
    }
  });
  gcObserver.observe({ entryTypes: ["gc"] });
  const fsm = await DroverFsm.open(dir, { sync });
  const rand = new SeededRandom(42);
  let index = 0;
  const entry = (command: Command): Entry => ({
    term: 1,
    index: ++index,
    type: "normal",
    data: encodeCommand(command),
  });

  const nodes = Array.from({ length: NODES }, (_, i) => benchNode(rand, i));
  const nodeIds = nodes.map((n) => n.ID);
  for (let i = 0; i < NODES; i += 500) {
    await fsm.apply([entry({ type: "node-register", Nodes: nodes.slice(i, i + 500), Evals: [] })]);
  }

  const plans = Math.ceil(target / PLAN_SIZE);
  let applyMs = 0;
  // Process CPU time (all threads: GC helpers and LevelDB's too) spent in apply calls: a
  // figure less distorted than wall time when the machine is shared.
  let applyCpuUs = 0;
  let encodeMs = 0;
  let bytes = 0;
  let snapshotMsMax = 0;
  let snapshots = 0;
  let placed = 0;
  for (let p = 0; p < plans; p++) {
    const job = benchJob(p);
    const evalId = uuid(rand);
    await fsm.apply([
      entry({
        type: "job-register",
        Job: job,
        Eval: mockEval({ ID: evalId, JobID: job.ID, CreateTime: NOW, ModifyTime: NOW }),
      }),
    ]);
    const count = Math.min(PLAN_SIZE, target - placed);
    const allocs = Array.from({ length: count }, (_, i) =>
      benchAlloc(rand, job, evalId, i, nodes[(p * 37 + i) % NODES] as Node, nodeIds),
    );
    const plan = mockPlanApply(allocs, { EvalID: evalId, Now: NOW + p });
    const encodeStart = process.hrtime.bigint();
    const planEntry = entry(plan);
    encodeMs += ms(encodeStart);
    bytes += planEntry.data.length;
    const applyStart = process.hrtime.bigint();
    const cpuStart = process.cpuUsage();
    await fsm.apply([planEntry]);
    applyMs += ms(applyStart);
    const cpu = process.cpuUsage(cpuStart);
    applyCpuUs += cpu.user + cpu.system;
    placed += count;

    if (p % 10 === 0 || p === plans - 1) {
      // Taking a snapshot: the immutable reader plus the (lazy) Raft snapshot stream over it.
      const snapStart = process.hrtime.bigint();
      const view = fsm.store.snapshot();
      const stream = writeSnapshotStream(view.tables);
      const took = ms(snapStart);
      await stream.return(undefined);
      if (view.allocCount() !== placed || view.index !== index) throw new Error("snapshot out of step");
      snapshotMsMax = Math.max(snapshotMsMax, took);
      snapshots += 1;
    }
  }
  // Writes trail apply (group commit); the rate counts them only once they are durable.
  const flushStart = process.hrtime.bigint();
  await fsm.flush();
  applyMs += ms(flushStart);
  if (fsm.store.snapshot().allocCount() !== placed) throw new Error("lost allocations");
  gcObserver.disconnect();
  gc();
  const heapAfterApply = process.memoryUsage().heapUsed;
  await fsm.close();

  return {
    placed,
    plans,
    sync,
    applyMs,
    applyCpuUs,
    gcMs,
    majorGcMs,
    heapAfterApply,
    bytes,
    encodeMs,
    snapshotMsMax,
    snapshots,
    settings: settingsNote(),
  };
}

function report(
  apply: ApplyReport,
  restart: RestartReport,
  heapMb: number,
  ownProcess: boolean,
): BenchResult {
  const { placed, plans } = apply;
  const allocUpsertsPerS = placed / (apply.applyMs / 1000);
  return {
    metrics: {
      alloc_upserts_per_s: Math.round(allocUpsertsPerS),
      snapshot_ms_max: apply.snapshotMsMax,
      bytes_per_alloc: Math.round(restart.rssBytesPerAlloc),
      restart_s: restart.seconds,
    },
    rows: [
      { metric: "alloc_upserts_per_s", value: Math.round(allocUpsertsPerS), goal: ">= 100000" },
      { metric: "snapshot_ms_max", value: apply.snapshotMsMax, goal: "<= 1" },
      {
        metric: "bytes_per_alloc (RSS, fresh process)",
        value: Math.round(restart.rssBytesPerAlloc),
        goal: "<= 1500",
      },
      { metric: "restart_s", value: restart.seconds, goal: "<= 10" },
      {
        metric: "heap_bytes_per_alloc (fresh process)",
        value: Math.round(restart.heapBytesPerAlloc),
        goal: "",
      },
      {
        metric: "heap_bytes_per_alloc (after apply)",
        value: Math.round(apply.heapAfterApply / placed),
        goal: "",
      },
      { metric: "apply_cpu_us_per_alloc (process CPU in apply)", value: apply.applyCpuUs / placed, goal: "" },
      { metric: "restart_cpu_s (process CPU of the load)", value: restart.cpuSeconds, goal: "" },
      { metric: "gc_pause_s (whole apply phase, all GCs)", value: apply.gcMs / 1000, goal: "" },
      { metric: "gc_major_pause_s (whole apply phase)", value: apply.majorGcMs / 1000, goal: "" },
      { metric: "apply_wall_s (counted in alloc_upserts_per_s)", value: apply.applyMs / 1000, goal: "" },
      { metric: "plan_entry_bytes_avg", value: Math.round(apply.bytes / plans), goal: "" },
      { metric: "encode_ms_per_plan (proposer side, not counted)", value: apply.encodeMs / plans, goal: "" },
    ],
    notes: [
      `${placed} allocations in ${plans} plan entries of ${PLAN_SIZE} on ${NODES} nodes; LevelDB sync=${apply.sync}`,
      `processes run with --max-old-space-size=${heapMb > 0 ? heapMb : "default"} (--heap-mb 0 for Node's default)` +
        ` ${process.env["DROVER_BENCH_NODE_FLAGS"] ?? ""}`,
      `agent settings (withAgentEnv; --bare-node for Node's defaults): ${apply.settings}`,
      `apply time counts decode + apply + one atomic LevelDB write per entry; ${apply.snapshots} snapshots timed`,
      ownProcess
        ? "restart: a fresh process, started once the applying one exited, opens LevelDB, loads every record and rebuilds the indexes"
        : "restart: a fresh process opens LevelDB, loads every record and rebuilds the indexes (--heap-mb 0: beside the applying process, which still holds its heap)",
    ],
  };
}

interface RestartReport {
  seconds: number;
  cpuSeconds: number;
  rssBytesPerAlloc: number;
  heapBytesPerAlloc: number;
}

/** DROVER_BENCH_NODE_FLAGS: extra V8 flags for both measuring processes (apply and restart). */
function extraNodeFlags(): string[] {
  return process.env["DROVER_BENCH_NODE_FLAGS"]?.split(" ").filter((f) => f !== "") ?? [];
}

/**
 * The environment of the measuring processes: an agent's (withAgentEnv: its V8 young generation
 * and malloc settings), since the FSM runs inside an agent; `--bare-node` leaves Node's defaults.
 */
function childEnv(bare: boolean): NodeJS.ProcessEnv {
  return bare ? process.env : withAgentEnv(process.env);
}

/** The agent settings this process runs with, as the notes list them. */
function settingsNote(): string {
  const keys = Object.keys(withAgentEnv({}));
  return keys.map((key) => `${key}=${process.env[key] ?? "(unset)"}`).join(" ");
}

/**
 * Runs `loadPhase` in a fresh Node process, so that memory and load time start from nothing;
 * `env`: the same settings as the applying process.
 */
function restartInChild(dir: string, allocs: number, heapMb: number, env: NodeJS.ProcessEnv): RestartReport {
  return inChild<RestartReport>(`m.loadPhase(${JSON.stringify(dir)}, ${allocs})`, heapMb, env);
}

/** The child side of the restart measurement: prints one JSON line. */
export async function loadPhase(dir: string, allocs: number): Promise<void> {
  gc();
  const rssBefore = process.memoryUsage().rss;
  const heapBefore = process.memoryUsage().heapUsed;
  const start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  const fsm = await DroverFsm.open(dir);
  const snap = fsm.store.snapshot();
  // "Ready to serve": the indexes answer queries.
  if (snap.allocCount() !== allocs || snap.nodeCount() !== NODES) throw new Error("restart lost records");
  snap.allocsByNode(snap.nodes()[Symbol.iterator]().next().value?.ID ?? "");
  const seconds = ms(start) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  gc();
  const usage = process.memoryUsage();
  const report: RestartReport = {
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    rssBytesPerAlloc: (usage.rss - rssBefore) / allocs,
    heapBytesPerAlloc: (usage.heapUsed - heapBefore) / allocs,
  };
  await fsm.close();
  process.stdout.write(`${JSON.stringify(report)}\n`);
}
