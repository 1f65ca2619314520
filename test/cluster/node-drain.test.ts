// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Nomad interpolation in a constraint is a plain string
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AgentProcess, LocalCluster } from "../../src/cli/local-cluster.js";
import { drover } from "./cli-runner.js";
import { clientNodeId, job, jobAllocs, shellTask, waitForQuery } from "./client-helpers.js";

/** The fields of an allocation these tests follow (from the event stream's full allocations). */
interface Alloc {
  ID: string;
  JobID: string;
  TaskGroup: string;
  NodeID: string;
  DesiredStatus: string;
  ClientStatus: string;
  DesiredTransition: { Migrate: boolean };
  DeploymentID: string;
  DeploymentStatus: { Healthy: boolean | null } | null;
  PreviousAllocation: string;
  ModifyTime: number;
}

interface NodeView {
  ID: string;
  Drain: boolean;
  SchedulingEligibility: string;
  DrainStrategy: {
    Deadline: number;
    ForceDeadline: string;
    StartedAt: string;
    IgnoreSystemJobs: boolean;
  } | null;
  Events: Array<{ Message: string; Subsystem: string; Details: Record<string, string>; Timestamp: string }>;
}

/**
 * Every allocation change of the cluster, in commit order, from `GET /v1/event/stream` on one
 * server: the state of all allocations after each Raft index can be replayed from it, so an
 * invariant can be checked over the whole history of a drain, not over a few samples.
 */
class AllocHistory {
  /** One entry per Raft index: the allocations that index changed. */
  readonly batches: Array<{ index: number; allocs: Alloc[] }> = [];
  private readonly controller = new AbortController();
  private readonly done: Promise<void>;
  private failure: unknown;

  constructor(httpUrl: string, fromIndex: number) {
    this.done = this.read(`${httpUrl}/v1/event/stream?topic=Allocation:*&index=${fromIndex}`);
  }

  get lastIndex(): number {
    return this.batches.at(-1)?.index ?? 0;
  }

  private async read(url: string): Promise<void> {
    try {
      const res = await fetch(url, { signal: this.controller.signal });
      const decoder = new TextDecoder();
      let buffered = "";
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffered += decoder.decode(chunk, { stream: true });
        for (let cut = buffered.indexOf("\n"); cut >= 0; cut = buffered.indexOf("\n")) {
          const line = JSON.parse(buffered.slice(0, cut)) as {
            Index?: number;
            Events?: Array<{ Payload: { Allocation: Alloc } }>;
          };
          buffered = buffered.slice(cut + 1);
          if (line.Index === undefined || line.Events === undefined) continue;
          this.batches.push({ index: line.Index, allocs: line.Events.map((e) => e.Payload.Allocation) });
        }
      }
    } catch (error) {
      // Kept for stopAt(): a test that fails before it must not leave an unhandled rejection.
      if (!this.controller.signal.aborted) this.failure = error;
    }
  }

  /** Waits (on the stream itself) until it has seen index `index`, then disconnects. */
  async stopAt(index: number, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.lastIndex < index && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    this.controller.abort();
    await this.done;
    if (this.failure !== undefined) throw this.failure;
    expect(this.lastIndex, "event stream caught up with the drain").toBeGreaterThanOrEqual(index);
  }

  /** Replays the history: `visit` sees every allocation's latest version after each index. */
  replay(visit: (state: ReadonlyMap<string, Alloc>, index: number) => void): void {
    const state = new Map<string, Alloc>();
    for (const batch of this.batches) {
      for (const alloc of batch.allocs) state.set(alloc.ID, alloc);
      visit(state, batch.index);
    }
  }
}

/** The drainer's notion of a healthy replacement: running, and healthy by its deployment if it has one. */
function healthy(alloc: Alloc): boolean {
  if (alloc.DesiredStatus !== "run" || alloc.ClientStatus !== "running") return false;
  const verdict = alloc.DeploymentStatus?.Healthy ?? null;
  return verdict ?? alloc.DeploymentID === "";
}

/** Per group of `jobId`: allocations marked for migration whose replacement is not healthy yet. */
function migrating(state: ReadonlyMap<string, Alloc>, jobId: string): Map<string, number> {
  const all = [...state.values()].filter((a) => a.JobID === jobId);
  const counts = new Map<string, number>();
  for (const alloc of all) {
    if (!alloc.DesiredTransition.Migrate) continue;
    const replaced = all.some((r) => r.PreviousAllocation === alloc.ID && healthy(r));
    if (!replaced) counts.set(alloc.TaskGroup, (counts.get(alloc.TaskGroup) ?? 0) + 1);
  }
  return counts;
}

const GROUPS = ["g1", "g2", "g3"];

// Three real servers and two real client agents running raw_exec sleeps: a node drain as an
// operator runs it, from the API and from the CLI.
describe("node drain on a 3-server cluster with real clients", () => {
  let cluster: LocalCluster;
  let clientA: AgentProcess;
  let clientB: AgentProcess;
  let nodeA: string;
  let nodeB: string;

  const leader = () => cluster.waitForLeader(30_000);

  async function send(
    method: "PUT" | "POST",
    path: string,
    body: unknown,
  ): Promise<{ status: number; body: unknown; index: number }> {
    const res = await cluster.http(await leader(), method, path, body);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res;
  }

  const eligibility = (node: string, value: "eligible" | "ineligible") =>
    send("POST", `/v1/node/${node}/eligibility`, { Eligibility: value });

  async function node(id: string): Promise<NodeView> {
    return (await cluster.http<NodeView>(await leader(), "GET", `/v1/node/${id}`)).body;
  }

  const drainComplete = (id: string, timeoutMs = 120_000) =>
    waitForQuery<NodeView>(
      cluster,
      `/v1/node/${id}`,
      (n) => n.DrainStrategy === null && n.Events.at(-1)?.Message === "Node drain complete",
      timeoutMs,
      `drain of ${id} complete`,
    );

  beforeAll(async () => {
    cluster = await LocalCluster.start({ servers: 3 });
    await cluster.waitForLeader(60_000);
    clientA = await cluster.addClient({ name: "c1" });
    clientB = await cluster.addClient({ name: "c2" });
    nodeA = await clientNodeId(cluster, clientA);
    nodeB = await clientNodeId(cluster, clientB);
    // Everything starts on A: B takes no placements until the drain begins.
    await eligibility(nodeB, "ineligible");
    await send(
      "POST",
      "/v1/jobs",
      job(
        "web",
        "service",
        GROUPS.map((name) => ({
          Name: name,
          Count: 2,
          Migrate: { MaxParallel: 1 },
          Tasks: [shellTask("t", "exec sleep 600")],
        })),
      ),
    );
    await jobAllocs(
      cluster,
      "web",
      (allocs) => allocs.filter((a) => a.ClientStatus === "running" && a.NodeID === nodeA).length === 6,
      "web running on A",
    );
    await eligibility(nodeB, "eligible");
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it("migrates a service job one alloc per group at a time, and completes by itself", async () => {
    const server = await leader();
    const from = (await cluster.http(server, "GET", "/v1/allocations")).index;
    const history = new AllocHistory(server.httpUrl, from);

    const answer = await send("PUT", `/v1/node/${nodeA}/drain`, {
      DrainSpec: { Deadline: 600e9, IgnoreSystemJobs: false },
    });
    expect(answer.body).toMatchObject({ EvalIDs: [], EvalCreateIndex: 0 });
    expect((answer.body as { NodeModifyIndex: number }).NodeModifyIndex).toBeGreaterThan(0);

    const done = await drainComplete(nodeA);
    expect(done.Drain).toBe(false);
    expect(done.SchedulingEligibility).toBe("ineligible");
    expect(done.Events.map((e) => e.Message)).toEqual(["Node drain strategy set", "Node drain complete"]);
    expect(done.Events.every((e) => e.Subsystem === "Drain" && !Number.isNaN(Date.parse(e.Timestamp)))).toBe(
      true,
    );

    const allocs = await jobAllocs(
      cluster,
      "web",
      (list) => list.filter((a) => a.DesiredStatus === "run" && a.ClientStatus === "running").length === 6,
      "web running again after the drain",
    );
    const live = allocs.filter((a) => a.DesiredStatus === "run");
    expect(live.map((a) => a.NodeID)).toEqual(Array(6).fill(nodeB));

    // Over every committed state of the drain: at most one alloc per group migrating at once,
    // and each group did migrate (the bound was reached, not trivially kept).
    const lastAlloc = (await cluster.http(await leader(), "GET", "/v1/allocations")).index;
    await history.stopAt(lastAlloc);
    const most = new Map<string, number>();
    history.replay((state, index) => {
      for (const [group, count] of migrating(state, "web")) {
        expect(count, `group ${group} at index ${index}`).toBeLessThanOrEqual(1);
        most.set(group, Math.max(most.get(group) ?? 0, count));
      }
    });
    expect(Object.fromEntries(most)).toEqual({ g1: 1, g2: 1, g3: 1 });
  });

  it("stops what remains at the deadline when a replacement can never become healthy, across a leader failover", async () => {
    await eligibility(nodeA, "eligible");
    await send(
      "POST",
      "/v1/jobs",
      job(
        "pinned",
        "service",
        [
          {
            Name: "p",
            Count: 2,
            Migrate: { MaxParallel: 1 },
            Tasks: [shellTask("t", "exec sleep 600")],
          },
        ],
        // Only B fits: once B drains, a replacement can be placed nowhere.
        { Constraints: [{ LTarget: "${node.unique.name}", RTarget: "c2", Operand: "=" }] },
      ),
    );
    await jobAllocs(
      cluster,
      "pinned",
      (allocs) => allocs.filter((a) => a.ClientStatus === "running").length === 2,
      "pinned running on B",
    );
    const oldLeader = await leader();
    // The history comes from a follower: the leader is killed during the drain.
    const follower = cluster.servers.find(
      (s) => s.name !== oldLeader.name,
    ) as (typeof cluster.servers)[number];
    const history = new AllocHistory(
      follower.httpUrl,
      (await cluster.http(follower, "GET", "/v1/allocations?stale")).index,
    );

    await send("PUT", `/v1/node/${nodeB}/drain`, { DrainSpec: { Deadline: 12e9 } });
    const draining = await node(nodeB);
    expect(draining.Drain).toBe(true);
    expect(draining.DrainStrategy?.Deadline).toBe(12e9);
    const forceAtMs = Date.parse(draining.DrainStrategy?.ForceDeadline ?? "");
    expect(forceAtMs - Date.parse(draining.DrainStrategy?.StartedAt ?? "")).toBe(12_000);

    // The leader that started the drain dies before the deadline: the next one must enforce it.
    await cluster.kill(oldLeader.name);
    expect(Date.now()).toBeLessThan(forceAtMs);
    const done = await drainComplete(nodeB);
    expect((await leader()).name).not.toBe(oldLeader.name);
    await cluster.restart(oldLeader.name);
    expect(Date.parse(done.Events.at(-1)?.Timestamp ?? "")).toBeGreaterThanOrEqual(forceAtMs);
    expect(done.Events.at(-1)?.Details).toEqual({ deadline_reached: "true" });
    await history.stopAt((await cluster.http(await leader(), "GET", "/v1/allocations")).index);

    // When each pinned alloc was stopped: one at once (max_parallel), the other only at the deadline.
    const stoppedAtMs = new Map<string, number>();
    history.replay((state) => {
      for (const alloc of state.values()) {
        if (alloc.JobID === "pinned" && alloc.DesiredStatus !== "run" && !stoppedAtMs.has(alloc.ID)) {
          stoppedAtMs.set(alloc.ID, alloc.ModifyTime / 1e6);
        }
      }
    });
    const times = [...stoppedAtMs.values()].sort((a, b) => a - b);
    expect(times).toHaveLength(2);
    expect(times[0]).toBeLessThan(forceAtMs);
    expect(times[1]).toBeGreaterThanOrEqual(forceAtMs);
  });

  it("drover node drain -enable -yes follows the drain with plain lines and exits 0", async () => {
    await eligibility(nodeB, "eligible");
    const onA = await jobAllocs(
      cluster,
      "web",
      (allocs) =>
        allocs.filter((a) => a.DesiredStatus === "run" && a.ClientStatus === "running").length === 6,
      "web running (on A after B's drain)",
    );
    expect(onA.filter((a) => a.DesiredStatus === "run").every((a) => a.NodeID === nodeA)).toBe(true);

    const res = await drover(
      (await leader()).httpUrl,
      ["node", "drain", "-enable", "-yes", nodeA.slice(0, 8)],
      180_000,
    );
    expect(res.status, `${res.stderr}\n${res.stdout}`).toBe(0);
    const lines = res.stdout.trim().split("\n");
    expect(lines[0]).toBe(`Node "${nodeA.slice(0, 8)}" drain strategy set`);
    expect(res.stdout).toMatch(/: Ctrl-C to stop monitoring: will not cancel the node drain$/m);
    expect(lines.filter((l) => / Alloc "[0-9a-f]{8}" marked for migration$/.test(l)).length).toBeGreaterThan(
      0,
    );
    expect(res.stdout).toMatch(new RegExp(`: Drain complete for node ${nodeA.slice(0, 8)}$`, "m"));
    expect(lines.at(-1)).toMatch(new RegExp(`: All allocations on node ${nodeA.slice(0, 8)} have stopped$`));
    expect((await node(nodeA)).DrainStrategy).toBeNull();

    // -self, asked of client A's own agent: its node.
    const self = await drover(clientA.httpUrl, ["node", "drain", "-disable", "-self"]);
    expect(self.status, self.stderr).toBe(0);
    expect(self.stdout).toBe(`Node "${nodeA.slice(0, 8)}" drain strategy unset\n`);
    expect((await node(nodeA)).SchedulingEligibility).toBe("eligible");
  });
});
