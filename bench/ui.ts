/**
 * `npm run bench -- ui [--jobs 10000] [--count 10] [--nodes 100] [--runs 5]`
 *
 * The web UI on a large cluster: 3 Drover server processes, this process simulating the client
 * nodes over the real client RPCs (as bench/cluster.ts), and `jobs` jobs of `count` mock-driver
 * allocations each (10,000 × 10 = 100,000 allocations) submitted through the HTTP API and placed
 * by the schedulers: the state is filled the way a cluster fills it, only faster, with nothing
 * written around Raft. Then, on the leader:
 *
 * - `jobs_api_ms`: the median time of the request behind the jobs list's first page
 *   (`/v1/jobs?namespace=*&per_page=100`, each row with its summary), timed from this process;
 * - `jobs_render_ms`: in headless Chromium (Debian's, at CHROMIUM_PATH or /usr/bin/chromium),
 *   the median time from navigation start to the first job row painted on /ui/jobs (a fresh page
 *   each run, so the bundle is fetched each time);
 * - `bundle_kb_gz`: the gzipped size of everything in dist/ui, as the agent serves it.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { chromium } from "playwright-core";
import { LocalCluster, type ServerProcess } from "../src/cli/local-cluster.js";
import { NodeSimulator } from "../src/client/node-sim/node-simulator.js";
import { createLogger } from "../src/common/log.js";
import type { BenchResult } from "./harness.js";

interface Args {
  jobs: number;
  count: number;
  nodes: number;
  runs: number;
  timeoutS: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { jobs: 10_000, count: 10, nodes: 100, runs: 5, timeoutS: 3600 };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i]?.replace(/^--?/, "") as keyof Args;
    const value = Number(argv[i + 1]);
    if (!(key in args) || !Number.isFinite(value))
      throw new Error(`bench ui: bad argument ${argv[i]} ${argv[i + 1]}`);
    args[key] = value;
  }
  return args;
}

const here = dirname(fileURLToPath(import.meta.url));
// Compiled to dist/bench/ui.js; the bundle is dist/ui.
const uiDir = resolve(here, "..", "ui");

function bundleBytesGz(dir: string): number {
  let total = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    total += statSync(path).isDirectory()
      ? bundleBytesGz(path)
      : gzipSync(readFileSync(path), { level: 9 }).length;
  }
  return total;
}

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

function job(id: string, count: number): unknown {
  return {
    Job: {
      ID: id,
      Type: "service",
      Datacenters: ["dc1"],
      TaskGroups: [
        {
          Name: "web",
          Count: count,
          Tasks: [{ Name: "t", Driver: "mock", Resources: { CPU: 10, MemoryMB: 10 } }],
        },
      ],
    },
  };
}

async function allocCount(cluster: LocalCluster, server: ServerProcess): Promise<number> {
  const res = await cluster.http<{ Allocations: Record<string, number> }>(
    server,
    "GET",
    "/v1/cluster/summary?stale",
  );
  return Object.values(res.body.Allocations ?? {}).reduce((a, b) => a + b, 0);
}

export async function run(argv: string[]): Promise<BenchResult> {
  const a = parseArgs(argv);
  const notes: string[] = [];
  const bundleKbGz = bundleBytesGz(uiDir) / 1024;
  const logger = createLogger("bench-ui", { level: "warn" });
  const cluster = await LocalCluster.start({ servers: 3, logLevel: "warn" });
  const sim = new NodeSimulator({
    servers: cluster.rpcAddresses(),
    logger,
    namePrefix: "bench",
    cpuMhz: 64_000,
    memoryMb: 256_000,
    // Each alloc asks Nomad's default 300 MB ephemeral disk: 100,000 allocs on 100 nodes need
    // 300 GB a node, or placements stop at a third of the state (333 a node on the default disk).
    diskMb: 1_000_000,
    registerConcurrency: 64,
  });
  try {
    const leader = await cluster.waitForLeader(60_000);
    await sim.addNodes(a.nodes);
    const t0 = performance.now();
    let next = 0;
    const submitter = async (): Promise<void> => {
      while (next < a.jobs) {
        const id = `ui-${String(next++).padStart(5, "0")}`;
        for (let attempt = 0; ; attempt++) {
          const res = await cluster
            .http(leader, "POST", "/v1/jobs", job(id, a.count))
            .catch((error: unknown) => ({ status: 0, body: String(error), index: 0 }));
          if (res.status === 200) break;
          if (attempt >= 30) throw new Error(`submit ${id}: ${res.status} ${JSON.stringify(res.body)}`);
          await new Promise((r) => setTimeout(r, 1000));
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, submitter));
    const want = a.jobs * a.count;
    let allocs = 0;
    // Counted on a follower (stale), every 5 s, to leave the leader to the schedulers.
    const follower = cluster.servers.find((s) => s.name !== leader.name) ?? leader;
    for (;;) {
      allocs = await allocCount(cluster, follower);
      if (allocs >= want) break;
      if (performance.now() - t0 > a.timeoutS * 1000)
        throw new Error(`bench ui: only ${allocs}/${want} allocations placed`);
      const elapsedS = ((performance.now() - t0) / 1000).toFixed(0);
      process.stderr.write(`bench ui: ${allocs}/${want} allocations after ${elapsedS} s\n`);
      await new Promise((r) => setTimeout(r, 5000));
    }
    notes.push(
      `${a.jobs} jobs, ${allocs} allocations on ${a.nodes} simulated nodes, filled in ${((performance.now() - t0) / 1000).toFixed(0)} s`,
    );

    const apiPath = "/v1/jobs?namespace=*&per_page=100";
    const apiMs: number[] = [];
    for (let i = 0; i < 20; i++) {
      const start = performance.now();
      const res = await fetch(`${leader.httpUrl}${apiPath}`);
      const rows = (await res.json()) as unknown[];
      apiMs.push(performance.now() - start);
      if (rows.length !== Math.min(100, a.jobs))
        throw new Error(`bench ui: ${apiPath} answered ${rows.length} rows`);
    }

    const browser = await chromium.launch({
      executablePath: process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium",
      args: ["--no-sandbox"],
    });
    const renderMs: number[] = [];
    /** Per run, when each step ended (ms since navigation start): where the render time goes. */
    const phases: string[] = [];
    try {
      for (let i = 0; i < a.runs; i++) {
        const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
        // Records the first frame painted after the first job row is in the DOM, in ms since
        // navigation start (performance.now()'s origin).
        await page.addInitScript(() => {
          const w = window as unknown as { __firstRowMs?: number };
          const observer = new MutationObserver(() => {
            if (document.querySelector('[aria-label="Jobs"] [aria-rowindex]') === null) return;
            observer.disconnect();
            requestAnimationFrame(() => {
              setTimeout(() => {
                w.__firstRowMs = performance.now();
              }, 0);
            });
          });
          observer.observe(document, { childList: true, subtree: true });
        });
        await page.goto(`${leader.httpUrl}/ui/jobs`);
        await page.waitForFunction(
          () => (window as unknown as { __firstRowMs?: number }).__firstRowMs !== undefined,
          undefined,
          {
            timeout: 60_000,
          },
        );
        const timing = await page.evaluate(() => {
          type Timed = { name: string; responseEnd: number };
          const resources = performance.getEntriesByType("resource") as unknown as Timed[];
          const end = (part: string) => resources.find((r) => r.name.includes(part))?.responseEnd ?? -1;
          const nav = performance.getEntriesByType("navigation")[0] as unknown as Timed | undefined;
          return {
            firstRow: (window as unknown as { __firstRowMs: number }).__firstRowMs,
            html: nav?.responseEnd ?? -1,
            script: end(".js"),
            api: end("/v1/jobs"),
          };
        });
        renderMs.push(timing.firstRow);
        phases.push(
          `html ${timing.html.toFixed(0)}, script ${timing.script.toFixed(0)}, jobs answer ${timing.api.toFixed(0)}, first row ${timing.firstRow.toFixed(0)} ms`,
        );
        await page.close();
      }
    } finally {
      await browser.close();
    }
    notes.push(`jobs_render_ms runs: ${renderMs.map((m) => m.toFixed(0)).join(", ")}`);
    for (const phase of phases) notes.push(`  ${phase}`);
    notes.push(`jobs_api_ms p100 of 20: ${Math.max(...apiMs).toFixed(1)}`);
    return {
      metrics: {
        jobs_render_ms: median(renderMs),
        jobs_api_ms: median(apiMs),
        bundle_kb_gz: bundleKbGz,
        jobs: a.jobs,
        allocs,
      },
      notes,
    };
  } finally {
    sim.close();
    await cluster.stop();
  }
}
