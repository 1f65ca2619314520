// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Nomad interpolation targets are plain strings
/**
 * `npm run bench -- scheduler [--quick]`: the pure scheduler, no Raft. A real StateStore holds
 * 5,000 nodes in 25 racks (meta.rack); a service job of count 1,000 and one of 10,000 are placed
 * with binpack, with the spread algorithm and with a spread block on ${meta.rack}; then a system
 * job on every node. Each case runs on a fresh store; only the schedule() call is timed.
 */
import { StateStore } from "../src/fsm/state-store.js";
import type { Job } from "../src/fsm/structs.js";
import { DEFAULT_SCHEDULER_CONFIGURATION } from "../src/fsm/structs.js";
import { schedule } from "../src/scheduler/index.js";
import {
  mockEval,
  mockGroup,
  mockJob,
  mockNode,
  mockSystemJob,
  mockTask,
} from "../src/scheduler/test-fixtures.js";
import type { BenchResult } from "./harness.js";

const NODES = 5000;
const RACKS = 25;

function store(nodes: number, algorithm: "binpack" | "spread"): { store: StateStore; next: () => number } {
  const s = new StateStore();
  let index = 0;
  const next = (): number => ++index;
  const list = Array.from({ length: nodes }, (_, i) =>
    mockNode(`node-${String(i).padStart(5, "0")}`, {
      Meta: { rack: `rack-${i % RACKS}` },
      NodeResources: {
        Cpu: { CpuShares: 16000, TotalCpuCores: 16 },
        Memory: { MemoryMB: 32768 },
        Disk: { DiskMB: 200 * 1024 },
        Networks: [],
        MinDynamicPort: 20000,
        MaxDynamicPort: 32000,
      },
    }),
  );
  s.apply(next(), { type: "node-register", Nodes: list, Evals: [] });
  s.apply(next(), {
    type: "scheduler-config",
    Config: { ...DEFAULT_SCHEDULER_CONFIGURATION, SchedulerAlgorithm: algorithm },
    CAS: null,
  });
  return { store: s, next };
}

function serviceJob(count: number, spreadBlock: boolean): Job {
  return mockJob(`svc-${count}`, {
    TaskGroups: [
      mockGroup("web", {
        Count: count,
        Tasks: [mockTask("web", { Resources: { ...mockTask().Resources, CPU: 100, MemoryMB: 128 } })],
        Spreads: spreadBlock ? [{ Attribute: "${meta.rack}", Weight: 100, SpreadTarget: [] }] : [],
        EphemeralDisk: { Sticky: false, SizeMB: 10, Migrate: false },
      }),
    ],
  });
}

let peakHeapMb = 0;

interface Case {
  name: string;
  placements: number;
  seconds: number;
}

function runCase(name: string, job: Job, algorithm: "binpack" | "spread", nodes: number): Case {
  const { store: s, next } = store(nodes, algorithm);
  s.apply(next(), { type: "job-register", Job: job, Eval: null });
  const reader = s.snapshot();
  const stored = reader.jobByID(job.Namespace, job.ID);
  if (stored === undefined) throw new Error("job not stored");
  const evaluation = mockEval(stored);
  const start = process.hrtime.bigint();
  const result = schedule(reader, evaluation, { now: 1e18, seed: 1 });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  // Heap in use while the store, the snapshot and the plan are all still alive.
  peakHeapMb = Math.max(peakHeapMb, process.memoryUsage().heapUsed / 1024 / 1024);
  const placements = Object.values(result.plan?.NodeAllocation ?? {}).reduce((n, list) => n + list.length, 0);
  const expected = job.Type === "system" ? nodes : (job.TaskGroups[0]?.Count ?? 0);
  if (placements !== expected) throw new Error(`${name}: placed ${placements} of ${expected}`);
  return { name, placements, seconds };
}

/**
 * The fastest of `repetitions` runs of one case: the machines are shared, and other processes only
 * ever add time, so the minimum is the best estimate of what the code itself costs. The median is
 * kept in the row too.
 */
function timed(
  name: string,
  make: () => Job,
  algorithm: "binpack" | "spread",
  repetitions: number,
): Case & { median: number } {
  const runs: Case[] = [];
  for (let i = 0; i < repetitions; i++) runs.push(runCase(name, make(), algorithm, NODES));
  runs.sort((a, b) => a.seconds - b.seconds);
  const median = (runs[Math.floor(runs.length / 2)] as Case).seconds;
  return { ...(runs[0] as Case), median };
}

export async function run(args: string[]): Promise<BenchResult> {
  const quick = args.includes("--quick");
  const counts = quick ? [1000] : [1000, 10000];
  const repetitions = quick ? 1 : 5;
  const rows: Array<Record<string, string | number>> = [];
  const placed: Record<string, number> = {};
  const seconds: Record<string, number> = {};
  const add = (key: string, c: Case & { median: number }): void => {
    placed[key] = (placed[key] ?? 0) + c.placements;
    seconds[key] = (seconds[key] ?? 0) + c.seconds;
    rows.push({
      case: c.name,
      nodes: NODES,
      placements: c.placements,
      best_s: c.seconds,
      median_s: c.median,
      placements_per_s: c.placements / c.seconds,
    });
  };
  const cases = [
    ["binpack", "binpack", false],
    ["spread_algorithm", "spread", false],
    ["spread_block", "binpack", true],
  ] as const;
  // Warm-up: every code path once at the smaller size, untimed, so the JIT has compiled it.
  for (const [key, algorithm, spread] of cases)
    runCase(`warmup ${key}`, serviceJob(1000, spread), algorithm, NODES);
  runCase("warmup system", mockSystemJob("sys"), "binpack", NODES);
  for (const count of counts) {
    for (const [key, algorithm, spread] of cases) {
      add(
        key,
        timed(`${key} count=${count}`, () => serviceJob(count, spread), algorithm, repetitions),
      );
    }
  }
  add(
    "system",
    timed("system", () => mockSystemJob("sys"), "binpack", repetitions),
  );
  const rate = (key: string): number => (placed[key] ?? 0) / (seconds[key] ?? 1);
  return {
    metrics: {
      binpack_placements_per_s: rate("binpack"),
      spread_algorithm_placements_per_s: rate("spread_algorithm"),
      spread_block_placements_per_s: rate("spread_block"),
      system_placements_per_s: rate("system"),
      heap_mb: peakHeapMb,
    },
    rows,
    notes: [
      "each row is the best of 5 runs (median shown) on a fresh store after an untimed warm-up; only schedule() is timed",
      "the *_placements_per_s metrics are total placements / total time over the count=1,000 and count=10,000 rows",
      "heap_mb is the largest heap in use right after a schedule() call (5,000 nodes, the job, its plan)",
    ],
  };
}
