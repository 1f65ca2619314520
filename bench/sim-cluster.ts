/**
 * What the end-to-end benchmarks (cluster, c1m) share: numeric flag parsing, scraping every
 * server's Prometheus metrics, submitting jobs through the HTTP API across leader changes, and
 * waiting until a number of allocations run, which reports a stall instead of hanging.
 */
import type { LocalCluster, ServerProcess } from "../src/cli/local-cluster.js";

/** Parses `--key value` pairs into a copy of `defaults`; every value must be a finite number. */
export function parseNumberArgs<T extends Record<string, number>>(
  bench: string,
  argv: readonly string[],
  defaults: T,
): T {
  const args: Record<string, number> = { ...defaults };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i]?.replace(/^--?/, "").replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    const value = Number(argv[i + 1]);
    if (key === undefined || !(key in args) || argv[i + 1] === undefined || !Number.isFinite(value))
      throw new Error(`bench ${bench}: bad argument ${argv[i]} ${argv[i + 1] ?? ""}`.trimEnd());
    args[key] = value;
  }
  return args as T;
}

/** Parses Prometheus text into name{labels} → value (the agent label dropped). */
export function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const space = line.lastIndexOf(" ");
    out.set(
      line
        .slice(0, space)
        .replace(/,?agent="[^"]*"/, "")
        .replace("{}", ""),
      Number(line.slice(space + 1)),
    );
  }
  return out;
}

export async function scrape(cluster: LocalCluster, server: ServerProcess): Promise<Map<string, number>> {
  const res = await cluster.fetch(`${server.httpUrl}/v1/metrics?format=prometheus`, {
    signal: AbortSignal.timeout(10_000),
  });
  return parseMetrics(await res.text());
}

/** Every running server's metrics by server name; a server busy past the timeout is left out. */
export async function scrapeAll(cluster: LocalCluster): Promise<Map<string, Map<string, number>>> {
  const out = new Map<string, Map<string, number>>();
  await Promise.all(
    cluster.running().map(async (s) => {
      try {
        out.set(s.name, await scrape(cluster, s));
      } catch {
        // A server busy past the scrape timeout: skip this sample.
      }
    }),
  );
  return out;
}

/**
 * Registers one job per id through the HTTP API, `concurrency` requests in flight. Submissions
 * go round the running servers (followers forward); a failure during a leader change is retried
 * up to 30 times, a second apart.
 */
export async function submitJobs(
  cluster: LocalCluster,
  ids: readonly string[],
  body: (id: string) => unknown,
  concurrency = 8,
): Promise<void> {
  let next = 0;
  const submitter = async (): Promise<void> => {
    while (next < ids.length) {
      const id = ids[next++] as string;
      for (let attempt = 0; ; attempt++) {
        const running = cluster.running();
        const server = running[(next + attempt) % running.length];
        if (server === undefined) throw new Error(`submit ${id}: no server running`);
        const res = await cluster
          .http(server, "POST", "/v1/jobs", body(id))
          .catch((error: unknown) => ({ status: 0, body: String(error), index: 0 }));
        if (res.status === 200) break;
        if (attempt >= 30) throw new Error(`submit ${id}: ${res.status} ${JSON.stringify(res.body)}`);
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, ids.length) }, submitter));
}

export interface WaitForRunningOptions {
  /** Give up after this long since `startedAt` (performance.now() ms). */
  timeoutS: number;
  /** Give up when the running count did not move for this long. */
  stallS: number;
  startedAt: number;
  /** Seconds between samples. */
  intervalS?: number;
  /** Ends the wait early when it returns a reason (e.g. the submission failed). */
  stopWhen?: () => string | undefined;
  /** Sees every sample (event-loop lag, progress lines). */
  onSample?: (samples: Map<string, Map<string, number>>, running: number) => void;
}

export interface WaitForRunningResult {
  /** The highest running count any server reported. */
  running: number;
  /** Why the wait ended early, or undefined when `total` allocations ran. */
  stopped: string | undefined;
}

/**
 * Samples every server until `total` allocations are running. Every server's state converges, so
 * the highest count is the leader's (or ahead of a lagging one). Never hangs: a timeout or a stall
 * ends the wait with what was reached.
 */
export async function waitForRunning(
  cluster: LocalCluster,
  total: number,
  options: WaitForRunningOptions,
): Promise<WaitForRunningResult> {
  let running = 0;
  let lastRunning = -1;
  let lastProgress = performance.now();
  for (;;) {
    const samples = await scrapeAll(cluster);
    for (const metrics of samples.values()) {
      running = Math.max(running, metrics.get('drover_allocs{client_status="running"}') ?? 0);
    }
    options.onSample?.(samples, running);
    if (running >= total) return { running, stopped: undefined };
    const reason = options.stopWhen?.();
    if (reason !== undefined) return { running, stopped: reason };
    const now = performance.now();
    if (running !== lastRunning) {
      lastRunning = running;
      lastProgress = now;
    }
    if (now - lastProgress > options.stallS * 1000)
      return {
        running,
        stopped: `stalled: ${running}/${total} running, no progress for ${options.stallS} s`,
      };
    if (now - options.startedAt > options.timeoutS * 1000)
      return { running, stopped: `timed out after ${options.timeoutS} s: ${running}/${total} running` };
    await new Promise((r) => setTimeout(r, (options.intervalS ?? 1) * 1000));
  }
}
