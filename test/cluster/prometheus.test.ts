import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalCluster, type ServerProcess } from "../../src/cli/local-cluster.js";
import { eventually } from "./fixtures/raft-cluster.js";

/**
 * A real Prometheus scrapes a real three-server cluster: every server's
 * `/v1/metrics?format=prometheus` is a target, and what the test asserts it reads back through
 * Prometheus' own query API, as a dashboard would. CI installs Debian's `prometheus`; on a machine
 * without it the suite says so and skips (in CI a missing binary is a failure).
 */

function prometheusBinary(): string | undefined {
  try {
    return execFileSync("sh", ["-c", "command -v prometheus"], { encoding: "utf8" }).trim() || undefined;
  } catch {
    return undefined;
  }
}

const binary = prometheusBinary();
if (binary === undefined && process.env["CI"] === "true") {
  throw new Error("prometheus is not installed; .ci/run installs Debian's prometheus package");
}
if (binary === undefined) {
  console.warn("prometheus.test: skipped, no prometheus binary (apt-get install prometheus)");
}

/**
 * The TCP port a process listens on, read from the kernel (Prometheus binds `:0` and does not say
 * which port it got): its socket inodes from /proc/<pid>/fd, matched against LISTEN sockets.
 */
function listeningPort(pid: number): number | undefined {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match?.[1] !== undefined) inodes.add(match[1]);
    } catch {
      // closed meanwhile
    }
  }
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    for (const line of readFileSync(table, "utf8").split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      // local_address is fields[1] ("0100007F:1F90"), st 0A is LISTEN, inode is fields[9].
      if (fields[3] === "0A" && inodes.has(fields[9] ?? "")) {
        return Number.parseInt((fields[1] ?? "").split(":")[1] ?? "", 16);
      }
    }
  }
  return undefined;
}

describe.skipIf(binary === undefined)("Prometheus scraping a three-server cluster", () => {
  let cluster: LocalCluster;
  let leader: ServerProcess;
  let prometheus: ChildProcess;
  let dir: string;
  let api: string;

  /** One instant query's values, by the series' labels. */
  async function query(expr: string): Promise<Array<{ metric: Record<string, string>; value: number }>> {
    const res = await fetch(`${api}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await res.json()) as {
      status: string;
      data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
    };
    if (body.status !== "success") throw new Error(`query ${expr}: ${JSON.stringify(body)}`);
    return body.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
  }

  beforeAll(async () => {
    cluster = await LocalCluster.start({ servers: 3 });
    leader = await cluster.waitForLeader(60_000);
    dir = mkdtempSync(join(tmpdir(), "drover-prometheus-"));
    const targets = cluster.servers.map((s) => new URL(s.httpUrl).host);
    writeFileSync(
      join(dir, "prometheus.yml"),
      [
        "global:",
        "  scrape_interval: 1s",
        "  evaluation_interval: 1s",
        "scrape_configs:",
        "  - job_name: drover",
        "    metrics_path: /v1/metrics",
        "    params:",
        "      format: [prometheus]",
        "    static_configs:",
        `      - targets: [${targets.map((t) => JSON.stringify(t)).join(", ")}]`,
        "",
      ].join("\n"),
    );
    prometheus = spawn(
      binary as string,
      [
        `--config.file=${join(dir, "prometheus.yml")}`,
        `--storage.tsdb.path=${join(dir, "data")}`,
        "--web.listen-address=127.0.0.1:0",
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    prometheus.stderr?.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    const pid = prometheus.pid as number;
    const port = await eventually(
      () => `prometheus listening (stderr: ${stderr})`,
      30_000,
      async () => (prometheus.exitCode === null ? listeningPort(pid) : undefined),
    );
    api = `http://127.0.0.1:${port}`;
    await eventually("prometheus ready", 30_000, async () =>
      // Refused until it listens on its API: not ready yet.
      (await fetch(`${api}/-/ready`).catch(() => undefined))?.ok === true ? true : undefined,
    );
  }, 120_000);

  afterAll(async () => {
    prometheus?.kill("SIGTERM");
    await cluster?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it("scrapes every server, and sees exactly one leader", async () => {
    const up = await eventually("all three targets up", 60_000, async () => {
      const result = await query("up");
      return result.length === 3 && result.every((r) => r.value === 1) ? result : undefined;
    });
    expect(up.map((r) => r.metric["instance"]).sort()).toEqual(
      cluster.servers.map((s) => new URL(s.httpUrl).host).sort(),
    );
    const leaders = await eventually("one leader in Prometheus", 30_000, async () => {
      const [sum] = await query("sum(drover_raft_leader)");
      return sum?.value === 1 ? sum : undefined;
    });
    expect(leaders.value).toBe(1);
    // The one with drover_raft_leader 1 is the agent the cluster calls leader.
    const [self] = await query("drover_raft_leader == 1");
    expect(self?.metric["instance"]).toBe(new URL(leader.httpUrl).host);
  });

  it("sees the commit index rise on every server while jobs are submitted", async () => {
    const before = new Map(
      (await query("drover_raft_commit_index")).map((r) => [r.metric["instance"], r.value]),
    );
    expect(before.size).toBe(3);
    for (let i = 0; i < 10; i++) {
      const res = await cluster.http(leader, "POST", "/v1/jobs", {
        Job: {
          ID: `scraped-${i}`,
          Type: "batch",
          Datacenters: ["dc1"],
          TaskGroups: [
            {
              Name: "g",
              Count: 1,
              Tasks: [{ Name: "t", Driver: "mock", Config: {}, Resources: { CPU: 10, MemoryMB: 10 } }],
            },
          ],
        },
      });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
    }
    await eventually("a higher commit index on every server", 60_000, async () => {
      const now = await query("drover_raft_commit_index");
      return now.length === 3 && now.every((r) => r.value >= (before.get(r.metric["instance"]) ?? 0) + 10)
        ? true
        : undefined;
    });
  });
});
