import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalCluster, type ServerProcess } from "../../src/cli/local-cluster.js";
import { NodeSimulator } from "../../src/client/node-sim/node-simulator.js";
import { silentLogger } from "../../src/common/log.js";
import { DROVER_BIN, drover } from "./cli-runner.js";
import { serviceJob, submit } from "./scheduling-helpers.js";

interface RaftConf {
  Index: number;
  Servers: Array<{ ID: string; Address: string; Leader: boolean; Voter: boolean }>;
}

interface StreamLine {
  Index?: number;
  Events?: Array<{
    Topic: string;
    Type: string;
    Key: string;
    Index: number;
    Payload: Record<string, unknown>;
  }>;
  Error?: string;
}

async function eventually<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}${last === undefined ? "" : `: ${String(last)}`}`);
}

/**
 * Reads an ndjson event stream until `enough` says so (or the deadline), then disconnects.
 * Heartbeat lines (`{}`) are kept: the caller may want to see them.
 */
async function readStream(
  server: ServerProcess,
  query: string,
  enough: (lines: StreamLine[]) => boolean,
  timeoutMs = 30_000,
): Promise<StreamLine[]> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const lines: StreamLine[] = [];
  try {
    const res = await fetch(`${server.httpUrl}/v1/event/stream?${query}`, { signal: controller.signal });
    expect(res.status).toBe(200);
    const decoder = new TextDecoder();
    let buffered = "";
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffered += decoder.decode(chunk, { stream: true });
      let cut = buffered.indexOf("\n");
      while (cut >= 0) {
        lines.push(JSON.parse(buffered.slice(0, cut)) as StreamLine);
        buffered = buffered.slice(cut + 1);
        cut = buffered.indexOf("\n");
      }
      if (enough(lines)) break;
    }
  } catch (error) {
    if (!controller.signal.aborted) throw error;
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  return lines;
}

const typesOf = (lines: StreamLine[]): string[] =>
  lines.flatMap((l) => (l.Events ?? []).map((e) => `${e.Topic}/${e.Type}`));

describe("operator API, event stream and search on a 3-server cluster", () => {
  let cluster: LocalCluster;
  let sim: NodeSimulator;

  beforeAll(async () => {
    cluster = await LocalCluster.start({ servers: 3 });
    await cluster.waitForLeader(60_000);
    sim = new NodeSimulator({ servers: cluster.rpcAddresses(), logger: silentLogger(), namePrefix: "rack7" });
    await sim.addNodes(1);
  });

  afterAll(async () => {
    sim?.close();
    await cluster?.stop();
  });

  const conf = async (server: ServerProcess): Promise<RaftConf> =>
    (await cluster.http<RaftConf>(server, "GET", "/v1/operator/raft/configuration")).body;

  it("lists the three peers, one of them the leader", async () => {
    const leader = await cluster.waitForLeader(60_000);
    const { Servers } = await conf(leader);
    expect(Servers.map((s) => s.ID).sort()).toEqual(["s1", "s2", "s3"]);
    expect(Servers.filter((s) => s.Leader).map((s) => s.ID)).toEqual([leader.name]);
    expect(Servers.every((s) => s.Voter)).toBe(true);
    const cli = await drover(leader.httpUrl, ["operator", "raft", "list-peers"]);
    expect(cli.status, cli.stderr).toBe(0);
    expect(cli.stdout).toMatch(
      new RegExp(`${leader.name}\\.global\\s+${leader.name}\\s+\\S+\\s+leader\\s+true`),
    );
    expect(cli.stdout.match(/follower/g)).toHaveLength(2);
  });

  it("streams a job's events in index order from a follower, and resumes from ?index=", async () => {
    const leader = await cluster.waitForLeader(60_000);
    const follower = cluster.servers.find((s) => s !== leader) as ServerProcess;
    const wanted = ["Job/JobRegistered", "Evaluation/EvaluationUpdated", "Allocation/AllocationUpdated"];
    const streaming = readStream(
      follower,
      "topic=Job:streamed&topic=Evaluation:streamed&topic=Allocation:streamed",
      (lines) => wanted.every((w) => typesOf(lines).includes(w)),
    );
    await new Promise((r) => setTimeout(r, 300)); // subscribed before the job exists
    await submit(cluster, leader, serviceJob("streamed", 1, 100, 64));
    const lines = await streaming;
    for (const w of wanted) expect(typesOf(lines)).toContain(w);
    const batches = lines.filter((l) => l.Index !== undefined);
    const indexes = batches.map((l) => l.Index as number);
    expect(indexes).toEqual([...indexes].sort((a, b) => a - b));
    expect(new Set(indexes).size).toBe(indexes.length);
    for (const batch of batches) for (const e of batch.Events ?? []) expect(e.Index).toBe(batch.Index);
    const registered = batches.find((l) => l.Events?.some((e) => e.Type === "JobRegistered"));
    expect(registered?.Events?.find((e) => e.Topic === "Job")?.Payload["Job"]).toMatchObject({
      ID: "streamed",
    });

    // Resuming at the second batch's index replays from exactly there, on another server.
    const from = indexes[1] as number;
    const resumed = await readStream(
      leader,
      `topic=Job:streamed&topic=Evaluation:streamed&topic=Allocation:streamed&index=${from}`,
      (l) => l.filter((x) => x.Index !== undefined).length >= batches.length - 1,
    );
    expect(resumed.filter((l) => l.Index !== undefined).map((l) => l.Index)).toEqual(indexes.slice(1));
    const bad = await cluster.http(leader, "GET", "/v1/event/stream?topic=Jobz:*");
    expect(bad.status).toBe(400);

    // The CLI follows the same stream until interrupted.
    const child = spawn(
      process.execPath,
      [DROVER_BIN, "event", "stream", "--topic", "Job:streamed", "--index", "1"],
      {
        env: { ...process.env, DROVER_ADDR: follower.httpUrl, DROVER_TOKEN: "" },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no JobRegistered from the CLI: ${out}`)), 15_000);
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString();
        if (out.includes('"JobRegistered"')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    const exited = new Promise((resolve) => child.once("close", resolve));
    child.kill("SIGINT");
    expect(await exited).toBe(0);
    expect(JSON.parse(out.split("\n")[0] as string)).toMatchObject({
      Events: [{ Topic: "Job", Key: "streamed" }],
    });
  });

  it("finds a job by a prefix and a node by its name with fuzzy search", async () => {
    const leader = await cluster.waitForLeader(60_000);
    const follower = cluster.servers.find((s) => s !== leader) as ServerProcess;
    const found = await eventually("the job in the follower's state", 10_000, async () => {
      const res = await cluster.http<{ Matches: Record<string, Array<{ ID: string; Scope: string[] }>> }>(
        follower,
        "POST",
        "/v1/search/fuzzy",
        { Text: "strea", Context: "all" },
      );
      return res.body.Matches["jobs"]?.length === 1 ? res.body : undefined;
    });
    expect(found.Matches["jobs"]).toEqual([{ ID: "streamed", Scope: ["default"] }]);
    const nodes = await cluster.http<{ Matches: Record<string, Array<{ ID: string }>> }>(
      leader,
      "POST",
      "/v1/search/fuzzy",
      { Text: "rack7", Context: "nodes" },
    );
    expect(nodes.body.Matches["nodes"]?.map((m) => m.ID)).toEqual(["rack7-0"]);
    expect((await cluster.http(leader, "POST", "/v1/search/fuzzy", { Text: "x" })).status).toBe(400);
  });

  it("transfers leadership to a named server, asked through another follower", async () => {
    const leader = await cluster.waitForLeader(60_000);
    const [target, via] = cluster.servers.filter((s) => s !== leader) as [ServerProcess, ServerProcess];
    const res = await cluster.http<{ Leader: string }>(
      via,
      "PUT",
      `/v1/operator/raft/transfer-leadership?id=${target.name}`,
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.Leader).toBe(target.name);
    expect((await cluster.waitForLeader(30_000)).name).toBe(target.name);
    const unknown = await cluster.http(via, "PUT", "/v1/operator/raft/transfer-leadership?id=s9");
    expect(unknown.status).toBe(404);
  });

  it("removes peers until one voter is left, and refuses to remove the last", async () => {
    let leader = await cluster.waitForLeader(60_000);
    expect((await cluster.http(leader, "DELETE", "/v1/operator/raft/peer?id=s9")).status).toBe(404);
    expect((await cluster.http(leader, "DELETE", "/v1/operator/raft/peer")).status).toBe(400);
    // A follower removes the other follower (forwarded to the leader), by address.
    const [via, removed] = cluster.servers.filter((s) => s !== leader) as [ServerProcess, ServerProcess];
    const res = await cluster.http(via, "DELETE", `/v1/operator/raft/peer?address=${removed.rpcAddress}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    await cluster.kill(removed.name);
    const two = await eventually("a two-server configuration", 15_000, async () => {
      const c = await conf(via);
      return c.Servers.length === 2 ? c : undefined;
    });
    expect(two.Servers.map((s) => s.ID).sort()).toEqual([leader.name, via.name].sort());

    // The leader removes itself: it hands leadership over first, then the new leader removes it.
    const self = await cluster.http(leader, "DELETE", `/v1/operator/raft/peer?id=${leader.name}`);
    expect(self.status, JSON.stringify(self.body)).toBe(200);
    await cluster.kill(leader.name);
    const one = await eventually("a one-server configuration", 15_000, async () => {
      const c = await conf(via);
      return c.Servers.length === 1 && c.Servers[0]?.Leader === true ? c : undefined;
    });
    expect(one.Servers[0]?.ID).toBe(via.name);
    leader = await cluster.waitForLeader(30_000);
    const last = await cluster.http<{ error: string }>(
      leader,
      "DELETE",
      `/v1/operator/raft/peer?id=${via.name}`,
    );
    expect(last.status).toBe(400);
    expect(last.body.error).toMatch(/only voter/);
  });
});

describe("operator snapshot: save from one cluster, restore into a fresh one", () => {
  let source: LocalCluster;
  let target: LocalCluster;
  let sim: NodeSimulator;

  beforeAll(async () => {
    [source, target] = await Promise.all([
      LocalCluster.start({ servers: 1 }),
      LocalCluster.start({ servers: 3 }),
    ]);
    await Promise.all([source.waitForLeader(60_000), target.waitForLeader(60_000)]);
    sim = new NodeSimulator({ servers: source.rpcAddresses(), logger: silentLogger(), namePrefix: "src" });
    await sim.addNodes(2);
  });

  afterAll(async () => {
    sim?.close();
    await Promise.all([source?.stop(), target?.stop()]);
  });

  /**
   * What must survive a restore, read from one server's own state with one request per table:
   * not one consistent read. `indexes` collects each response's X-Nomad-Index, so a caller can
   * tell a picture taken while the server applied a write (first reads older than the last)
   * from one taken after it.
   */
  async function picture(
    cluster: LocalCluster,
    server: ServerProcess,
    indexes: number[] = [],
  ): Promise<unknown> {
    const get = async <T>(path: string): Promise<T> => {
      const res = await cluster.http<T>(server, "GET", `${path}${path.includes("?") ? "&" : "?"}stale`);
      expect(res.status, path).toBe(200);
      indexes.push(res.index);
      return res.body;
    };
    const jobs = await get<Array<{ ID: string; Version: number; JobModifyIndex: number }>>("/v1/jobs");
    const vars = await get<Array<{ Path: string }>>("/v1/vars");
    const items = await Promise.all(
      vars.map(async (v) => [v.Path, (await get<{ Items: unknown }>(`/v1/var/${v.Path}`)).Items]),
    );
    const nodes = await get<Array<{ ID: string; Name: string }>>("/v1/nodes");
    const allocs = await get<Array<{ ID: string; JobID: string }>>("/v1/allocations");
    const sortBy = <T extends { ID: string }>(xs: T[]): T[] =>
      [...xs].sort((a, b) => a.ID.localeCompare(b.ID));
    return {
      jobs: sortBy(jobs).map((j) => [j.ID, j.Version, j.JobModifyIndex]),
      vars: items,
      nodes: sortBy(nodes).map((n) => [n.ID, n.Name]),
      allocs: sortBy(allocs).map((a) => [a.ID, a.JobID]),
    };
  }

  it("restores jobs, nodes, allocations and variables on every server; garbage changes nothing", async () => {
    const src = await source.waitForLeader(60_000);
    await submit(source, src, serviceJob("saved-a", 2, 100, 64));
    await submit(source, src, serviceJob("saved-b", 1, 100, 64));
    for (const [path, value] of [
      ["app/db", "s3cret"],
      ["app/api", "token"],
    ] as const) {
      expect((await source.http(src, "PUT", `/v1/var/${path}`, { Items: { value } })).status).toBe(200);
    }
    await eventually("three allocations placed", 30_000, async () => {
      const res = await source.http<unknown[]>(src, "GET", "/v1/allocations");
      return res.body.length === 3 ? true : undefined;
    });

    const res = await fetch(`${src.httpUrl}/v1/operator/snapshot`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/octet-stream");
    const file = Buffer.from(await res.arrayBuffer());
    expect(file.subarray(0, 16).toString()).toBe("DROVER-SNAPSHOT\n");
    expect(Number(res.headers.get("x-nomad-index"))).toBeGreaterThan(0);
    const expected = await picture(source, src);

    const leader = await target.waitForLeader(60_000);
    expect((await target.http(leader, "PUT", "/v1/var/before", { Items: { kept: "yes" } })).status).toBe(200);
    const before = await picture(target, leader);
    const garbage = await target.http<{ error: string }>(leader, "PUT", "/v1/operator/snapshot", {
      Snapshot: Buffer.from("DROVER-SNAPSHOT\nnot really").toString("base64"),
    });
    expect(garbage.status).toBe(400);
    const truncated = await target.http(leader, "PUT", "/v1/operator/snapshot", {
      Snapshot: file.subarray(0, file.length - 10).toString("base64"),
    });
    expect(truncated.status).toBe(400);
    // The file itself as the body (what the CLI and `curl --data-binary` send), garbage here.
    const raw = await fetch(`${leader.httpUrl}/v1/operator/snapshot`, {
      method: "PUT",
      headers: { "Content-Type": "application/octet-stream" },
      body: new Uint8Array(Buffer.from("DROVER-SNAPSHOT\nnot really")),
    });
    expect(raw.status).toBe(400);
    expect(await picture(target, leader)).toEqual(before);
    const follower = target.servers.find((s) => s !== leader) as ServerProcess;
    const onFollower = await target.http<{ error: string }>(follower, "PUT", "/v1/operator/snapshot", {
      Snapshot: file.toString("base64"),
    });
    expect(onFollower.status).toBe(400);
    expect(onFollower.body.error).toMatch(/restore on the leader/);

    const restored = await target.http<{ Index: number; Records: number; SnapshotIndex: number }>(
      leader,
      "PUT",
      "/v1/operator/snapshot",
      {
        Snapshot: file.toString("base64"),
      },
    );
    expect(restored.status, JSON.stringify(restored.body)).toBe(200);
    expect(restored.body.Records).toBeGreaterThan(0);
    // This younger cluster's Raft log is shorter than the source's: the restore still lands past
    // every index the snapshot carries, so no index goes backwards (blocking queries, ?cas,
    // EnforceIndex), and the restored objects keep their own indexes (the pictures compare them).
    const sourceIndex = Number(res.headers.get("x-nomad-index"));
    expect(restored.body.SnapshotIndex).toBe(sourceIndex);
    expect(restored.body.Index).toBeGreaterThan(sourceIndex);
    // Every server applied the restore through Raft. A picture counts only if every read in it
    // saw the restore's index: the first probe can land while a follower applies the entry, and
    // then its jobs (read first) are from before the restore and its variables from after.
    for (const server of target.servers) {
      const seen = await eventually(`${server.name} restored`, 15_000, async () => {
        const indexes: number[] = [];
        const p = await picture(target, server, indexes);
        return Math.min(...indexes) >= restored.body.Index ? p : undefined;
      });
      expect(seen, server.name).toEqual(expected);
    }
    // The restored cluster keeps working: a new write lands after the restore's index.
    const after = await target.http<{ ModifyIndex: number }>(leader, "PUT", "/v1/var/after", {
      Items: { x: "y" },
    });
    expect(after.status).toBe(200);
    expect(after.body.ModifyIndex).toBeGreaterThan(restored.body.Index);
  });

  it("saves and restores with the CLI (drover operator snapshot save|restore)", async () => {
    const src = await source.waitForLeader(60_000);
    const leader = await target.waitForLeader(60_000);
    const dir = await mkdtemp(join(tmpdir(), "drover-snap-"));
    try {
      const file = join(dir, "state.snap");
      const saved = await drover(src.httpUrl, ["operator", "snapshot", "save", file]);
      expect(saved.status, saved.stderr).toBe(0);
      expect(saved.stdout).toMatch(/^State file written to /);
      expect((await readFile(file)).subarray(0, 16).toString()).toBe("DROVER-SNAPSHOT\n");
      // The target changed since the first restore; restoring again brings back the source's state.
      expect((await target.http(leader, "DELETE", "/v1/var/app/db")).status).toBe(200);
      const restored = await drover(leader.httpUrl, ["operator", "snapshot", "restore", file]);
      expect(restored.status, restored.stderr).toBe(0);
      expect(restored.stdout).toMatch(/^Snapshot Restored/);
      expect(await picture(target, leader)).toEqual(await picture(source, src));
      const missing = await drover(leader.httpUrl, ["operator", "snapshot", "restore", join(dir, "nope")]);
      expect(missing.status).toBe(1);
      expect(missing.stderr).toMatch(/Error reading/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
