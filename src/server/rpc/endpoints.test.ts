import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  ConflictError,
  NotFoundError,
  PreconditionError,
  TimeoutError,
  ValidationError,
} from "../../common/errors.js";
import { mockAlloc, mockJob, mockNode, mockPlanApply } from "../../fsm/mock.js";
import { StateStore } from "../../fsm/state-store.js";
import type { Allocation } from "../../fsm/structs.js";
import type { ClientAllocsUpdate, ServerAddress } from "../../rpc/server-api.js";
import { ServerRpcClient } from "../../rpc/server-client.js";
import { SystemClock } from "../clock.js";
import { InProcessContext } from "../in-process-context.js";
import { DEFAULT_LEADER_CONFIG, Leader } from "../leader.js";
import { AllocWatchHub } from "./alloc-watch-hub.js";
import type { ClusterView, LeaderDuties, ServerEndpoints } from "./endpoints.js";
import { clusterView, startEndpoints } from "./test-endpoints.js";

/**
 * The endpoints over gRPC against one real StateStore and the real Leader (InProcessContext:
 * no replication), plus a second "follower" endpoints instance that must forward to it.
 */
interface Harness {
  ctx: InProcessContext;
  leader: Leader;
  leaderClient: ServerRpcClient;
  followerClient: ServerRpcClient;
  /** The leader's endpoints themselves, without gRPC in between. */
  leaderEndpoints: ServerEndpoints;
  setFollowerKnowsLeader(known: boolean): void;
  /** Resolves once the follower's forwarder waits for news of a leader. */
  followerAwaitsLeader(): Promise<void>;
  close(): Promise<void>;
}

async function harness(): Promise<Harness> {
  const ctx = new InProcessContext(new StateStore(), new SystemClock());
  const leader = new Leader(ctx, {
    ...DEFAULT_LEADER_CONFIG,
    heartbeat: { ...DEFAULT_LEADER_CONFIG.heartbeat, minHeartbeatTtlMs: 60_000 },
    gcIntervalMs: 0,
  });
  await leader.establish();
  const hub = new AllocWatchHub();
  ctx.onApplied((_i, command) => hub.applied(command, ctx.state()));
  const duties: LeaderDuties = leader;
  let leaderAddress: ServerAddress = { id: "s1", rpcAddress: "" };
  const a = await startEndpoints({
    ctx,
    cluster: clusterView(leaderAddress, () => leaderAddress),
    duties: () => duties,
    hub,
    allocUpdateWindowMs: 5,
  });
  leaderAddress = { id: "s1", rpcAddress: a.address };

  let followerKnowsLeader = true;
  // The follower's leaderChanged() (a short poll, as clusterView()'s) also tells the test that a request
  // waits for a leader, and setFollowerKnowsLeader() wakes it at once.
  const leaderNews = new EventTarget();
  const followerView: ClusterView = {
    ...clusterView({ id: "s2", rpcAddress: "" }, () => (followerKnowsLeader ? leaderAddress : undefined)),
    leaderChanged: (ms) =>
      new Promise((resolve) => {
        const timer = setTimeout(wake, Math.min(ms, 20));
        function wake(): void {
          clearTimeout(timer);
          leaderNews.removeEventListener("changed", wake);
          resolve();
        }
        leaderNews.addEventListener("changed", wake);
        leaderNews.dispatchEvent(new Event("waiting"));
      }),
  };
  const b = await startEndpoints({ ctx, cluster: followerView, hub });
  const leaderClient = new ServerRpcClient(a.address);
  const followerClient = new ServerRpcClient(b.address);
  return {
    ctx,
    leader,
    leaderClient,
    followerClient,
    leaderEndpoints: a.endpoints,
    setFollowerKnowsLeader: (known) => {
      followerKnowsLeader = known;
      leaderNews.dispatchEvent(new Event("changed"));
    },
    followerAwaitsLeader: () =>
      new Promise((resolve) => leaderNews.addEventListener("waiting", () => resolve(), { once: true })),
    close: async () => {
      leaderClient.close();
      followerClient.close();
      await a.close();
      await b.close();
      await leader.revoke();
    },
  };
}

describe("server endpoints over gRPC", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await harness();
  });
  afterEach(async () => {
    await h.close();
  });

  it("registers a node, hides its secret, heartbeats with a TTL and refuses a wrong secret", async () => {
    const node = mockNode({ ID: "n1", SecretID: "secret-1", Name: "n1", ComputedClass: "" });
    const reg = await h.followerClient.nodeRegister(node);
    expect(reg.heartbeatTtlMs).toBeGreaterThanOrEqual(60_000);
    expect(reg.index).toBeGreaterThan(0);
    const listed = await h.followerClient.nodeList({});
    expect(listed.value.map((n) => n.ID)).toEqual(["n1"]);
    expect(listed.value[0]?.SecretID).toBe("");
    expect(listed.value[0]?.ComputedClass).not.toBe("");
    const beat = await h.followerClient.nodeHeartbeat("n1", "secret-1");
    expect(beat.heartbeatTtlMs).toBeGreaterThan(0);
    await expect(h.followerClient.nodeHeartbeat("n1", "wrong")).rejects.toBeInstanceOf(PreconditionError);
    await expect(h.followerClient.nodeHeartbeat("nope", "x")).rejects.toBeInstanceOf(NotFoundError);
  });

  it("refuses a node whose name or ID could leave a directory, naming the field", async () => {
    for (const [field, node] of [
      ["Node.Name", mockNode({ ID: "n9", SecretID: "s", Name: "../x" })],
      ["Node.Name", mockNode({ ID: "n9", SecretID: "s", Name: "a\u0000b" })],
      ["Node.ID", mockNode({ ID: "../n9", SecretID: "s", Name: "n9" })],
    ] as const) {
      await expect(h.leaderClient.nodeRegister(node)).rejects.toThrow(
        new RegExp(`^${field.replace(".", "\\.")}: `),
      );
    }
    expect(h.ctx.state().nodeByID("n9")).toBeUndefined();
  });

  it("brings a down node back to ready on its next heartbeat, with node evals", async () => {
    h.ctx.applyNow({ type: "job-register", Job: mockJob({ ID: "sys", Type: "system" }), Eval: null });
    await h.leaderClient.nodeRegister(mockNode({ ID: "n1", SecretID: "s", Name: "n1" }));
    h.ctx.applyNow({
      type: "node-status",
      Updates: [{ NodeID: "n1", Status: "down", StatusDescription: "test", UpdatedAt: 1 }],
      Evals: [],
    });
    const beat = await h.followerClient.nodeHeartbeat("n1", "s");
    expect(h.ctx.state().nodeByID("n1")?.Status).toBe("ready");
    expect(beat.evalIds.length).toBe(1);
    expect(h.ctx.state().evalByID(beat.evalIds[0] as string)?.JobID).toBe("sys");
  });

  it("streams a node's allocations: full set first, then changes, without echoing client reports", async () => {
    const node = mockNode({ ID: "n1", SecretID: "s", Name: "n1" });
    await h.leaderClient.nodeRegister(node);
    const job = mockJob({ ID: "web" });
    h.ctx.applyNow({ type: "job-register", Job: job, Eval: null });
    const stored = h.ctx.state().jobByID(job.Namespace, "web");
    const updates: ClientAllocsUpdate[] = [];
    const watch = h.followerClient.watchClientAllocs(
      { nodeId: "n1", secretId: "s", minIndex: 0, stale: true },
      (u) => updates.push(u),
    );
    await expect.poll(() => updates.length).toBe(1);
    expect(updates[0]?.full).toBe(true);
    expect(updates[0]?.allocs).toEqual([]);
    const alloc: Allocation = mockAlloc({
      ID: "a1",
      NodeID: "n1",
      JobID: "web",
      Namespace: job.Namespace,
      JobVersion: stored?.Version ?? 0,
      TaskGroup: job.TaskGroups[0]?.Name ?? "web",
      Name: "web.web[0]",
      ClientStatus: "pending",
    });
    h.ctx.applyNow(mockPlanApply([alloc], { Now: 1 }));
    await expect.poll(() => updates.length).toBe(2);
    expect(updates[1]?.full).toBe(false);
    expect(updates[1]?.allocs.map((a) => a.ID)).toEqual(["a1"]);
    expect(updates[1]?.jobs.map((j) => j.ID)).toEqual(["web"]);
    const index = await h.followerClient.allocClientUpdate(
      [{ ID: "a1", NodeID: "n1", ClientStatus: "running", ClientDescription: "up" }],
      { n1: "s" },
    );
    expect(index).toBeGreaterThan(0);
    expect(h.ctx.state().allocByID("a1")?.ClientStatus).toBe("running");
    await expect(
      h.followerClient.allocClientUpdate(
        [{ ID: "a1", NodeID: "n1", ClientStatus: "failed", ClientDescription: "" }],
        {
          n1: "wrong",
        },
      ),
    ).rejects.toBeInstanceOf(PreconditionError);
    // A server-side change (stop) is pushed; the client's own report was not.
    h.ctx.applyNow(
      mockPlanApply([], {
        NodeUpdate: { n1: [{ ...alloc, DesiredStatus: "stop", DesiredDescription: "stopped" }] },
        Now: 2,
      }),
    );
    await expect.poll(() => updates.length).toBe(3);
    expect(updates[2]?.allocs[0]?.DesiredStatus).toBe("stop");
    expect(updates[2]?.jobs).toEqual([]);
    // Garbage collection removes the alloc from the state: the client is told its id.
    h.ctx.applyNow({
      type: "gc-delete",
      EvalIDs: [],
      AllocIDs: ["a1"],
      Jobs: [],
      NodeIDs: [],
      DeploymentIDs: [],
    });
    await expect.poll(() => updates.length).toBe(4);
    expect(updates[3]?.removedAllocIds).toEqual(["a1"]);
    expect(updates[3]?.allocs).toEqual([]);
    watch.cancel();
    await watch.closed;
  });

  it("holds a watch's pushes while the previous one is being sent, then sends what changed in one", async () => {
    await h.leaderClient.nodeRegister(mockNode({ ID: "n1", SecretID: "s", Name: "n1" }));
    const job = mockJob({ ID: "web" });
    h.ctx.applyNow({ type: "job-register", Job: job, Eval: null });
    const version = h.ctx.state().jobByID(job.Namespace, "web")?.Version ?? 0;
    const place = (id: string, now: number): void => {
      const alloc = mockAlloc({
        ID: id,
        NodeID: "n1",
        JobID: "web",
        Namespace: job.Namespace,
        JobVersion: version,
      });
      h.ctx.applyNow(mockPlanApply([alloc], { Now: now }));
    };
    // A transport that has not sent anything yet: each push settles only when the test says so.
    const updates: ClientAllocsUpdate[] = [];
    const leave: Array<() => void> = [];
    const watch = h.leaderEndpoints.watchClientAllocs(
      { nodeId: "n1", secretId: "s", minIndex: 0, stale: true },
      (u) => {
        updates.push(u);
        return new Promise<void>((resolve) => leave.push(resolve));
      },
    );
    await expect.poll(() => updates.length).toBe(1);
    place("a1", 1);
    place("a2", 2);
    // Let the hub wake the stream for both plans: it must hold them back.
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(updates).toHaveLength(1);
    leave.shift()?.();
    await expect.poll(() => updates.length).toBe(2);
    expect(updates[1]?.allocs.map((a) => a.ID).sort()).toEqual(["a1", "a2"]);
    // Nothing changed while that one was out: settling it sends nothing.
    leave.shift()?.();
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(updates).toHaveLength(2);
    watch.cancel();
    await watch.closed;
  });

  it("a watch for a node the server does not know ends with NotFoundError (the client retries elsewhere)", async () => {
    const watch = h.followerClient.watchClientAllocs(
      { nodeId: "ghost", secretId: "s", minIndex: 0, stale: true },
      () => {},
    );
    await expect(watch.closed).rejects.toBeInstanceOf(NotFoundError);
  });

  it("registers a job through the follower with its eval, and enforces the job modify index", async () => {
    const res = await h.followerClient.jobRegister(mockJob({ ID: "batchy", Type: "batch" }), {});
    expect(res.evalId).not.toBe("");
    const evaluation = h.ctx.state().evalByID(res.evalId);
    expect(evaluation?.JobID).toBe("batchy");
    expect(evaluation?.TriggeredBy).toBe("job-register");
    const got = await h.followerClient.jobGet("batchy", {});
    await expect(got.value?.Type).toBe("batch");
    // A stale EnforceIndex is a conflict (HTTP 409, gRPC ABORTED) that names the current index.
    const stale = h.followerClient.jobRegister(mockJob({ ID: "batchy", Type: "batch" }), {
      enforceIndex: true,
      jobModifyIndex: 0,
    });
    await expect(stale).rejects.toBeInstanceOf(ConflictError);
    await expect(stale).rejects.toThrow(`the current JobModifyIndex ${res.jobModifyIndex}`);
    const fresh = await h.followerClient.jobRegister(mockJob({ ID: "batchy", Type: "batch", Priority: 70 }), {
      enforceIndex: true,
      jobModifyIndex: res.jobModifyIndex,
    });
    expect(fresh.jobModifyIndex).toBeGreaterThan(res.jobModifyIndex);
    await expect(
      h.followerClient.jobRegister(mockJob({ ID: "bad id!", Type: "batch" }), {}),
    ).rejects.toBeInstanceOf(ValidationError);
    const stopped = await h.followerClient.jobDeregister("default", "batchy", false);
    expect(h.ctx.state().jobByID("default", "batchy")?.Stop).toBe(true);
    expect(stopped.evalId).not.toBe("");
  });

  it("dispatches a parameterized job through the follower: child job with payload and meta, its eval; bad dispatches are located errors", async () => {
    const parent = mockJob({
      ID: "render",
      Type: "batch",
      ParameterizedJob: { Payload: "required", MetaRequired: ["frame"], MetaOptional: ["quality"] },
    });
    await h.followerClient.jobRegister(parent, {});
    const payload = Buffer.from("scene-42");
    const res = await h.followerClient.jobDispatch("default", "render", payload, { frame: "7" });
    expect(res.DispatchedJobID).toMatch(/^render\/dispatch-\d+-[0-9a-f]{8}$/);
    const child = h.ctx.state().jobByID("default", res.DispatchedJobID);
    expect(child?.ParentID).toBe("render");
    expect(child?.Dispatched).toBe(true);
    expect(child?.Meta["frame"]).toBe("7");
    expect(Buffer.from(child?.Payload ?? "", "base64").toString()).toBe("scene-42");
    expect(h.ctx.state().evalByID(res.EvalID)?.JobID).toBe(res.DispatchedJobID);

    await expect(h.followerClient.jobDispatch("default", "render", payload, {})).rejects.toThrow(
      /dispatch of job render: missing required meta: frame/,
    );
    await expect(
      h.followerClient.jobDispatch("default", "render", new Uint8Array(0), { frame: "1" }),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(
      h.followerClient.jobDispatch("default", "render", payload, { frame: "1", color: "red" }),
    ).rejects.toThrow(/meta keys not allowed: color/);
    await expect(h.followerClient.jobDispatch("default", "nope", payload, {})).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });

  it("variables: put, check-and-set conflict with the current value, delete", async () => {
    const put = await h.followerClient.varPut("default", "a/b", { k: "1" }, undefined);
    expect(put.ok).toBe(true);
    const modify = put.variable?.ModifyIndex ?? 0;
    const conflict = await h.followerClient.varPut("default", "a/b", { k: "2" }, modify + 100);
    expect(conflict.conflict).toBe(true);
    expect(conflict.variable?.Items).toEqual({ k: "1" });
    const absentOnly = await h.followerClient.varPut("default", "a/b", { k: "3" }, 0);
    expect(absentOnly.conflict).toBe(true);
    const ok = await h.followerClient.varPut("default", "a/b", { k: "4" }, modify);
    expect(ok.variable?.Items).toEqual({ k: "4" });
    const list = await h.followerClient.varList({ prefix: "a/" });
    expect(list.value.map((v) => v.Path)).toEqual(["a/b"]);
    expect("Items" in (list.value[0] ?? {})).toBe(false);
    expect((await h.followerClient.varDelete("default", "a/b", undefined)).ok).toBe(true);
    expect((await h.followerClient.varGet("default", "a/b", {})).ok).toBe(false);
  });

  it("a blocking query returns once the table passes the index", async () => {
    const first = await h.leaderClient.nodeList({});
    const waiting = h.followerClient.nodeList({ stale: true, minIndex: first.meta.index, maxWaitMs: 10_000 });
    await h.leaderClient.nodeRegister(mockNode({ ID: "late", SecretID: "s", Name: "late" }));
    const answered = await waiting;
    expect(answered.value.map((n) => n.ID)).toContain("late");
    expect(answered.meta.index).toBeGreaterThan(first.meta.index);
  });

  it("a blocking query that sees no change returns at its wait time with the same index", async () => {
    const first = await h.leaderClient.nodeList({});
    const again = await h.followerClient.nodeList({
      stale: true,
      minIndex: first.meta.index,
      maxWaitMs: 100,
    });
    expect(again.meta.index).toBe(first.meta.index);
  });

  it("without a leader a forwarded write waits, and succeeds once one is known", async () => {
    h.setFollowerKnowsLeader(false);
    const waiting = h.followerAwaitsLeader();
    const pending = h.followerClient.varPut("default", "wait/for/leader", { k: "v" }, undefined);
    // Once the write waits for a leader (or fails fast if it does not wait), one becomes known.
    await Promise.race([waiting, pending]);
    h.setFollowerKnowsLeader(true);
    const res = await pending;
    expect(res.ok).toBe(true);
  });

  it("two followers that each think the other leads do not bounce a write between them", async () => {
    // Forwarded calls are marked: the receiver answers NotLeader instead of forwarding again, so
    // the origin keeps retrying against its own (stale) view until its deadline, then gives up.
    const addresses: ServerAddress[] = [
      { id: "x", rpcAddress: "" },
      { id: "y", rpcAddress: "" },
    ];
    const notLeader = new InProcessContext(new StateStore(), new SystemClock());
    notLeader.setLeader(false);
    const made = await Promise.all(
      [0, 1].map(async (i) => {
        const other = (): ServerAddress => addresses[1 - i] as ServerAddress;
        const served = await startEndpoints({
          ctx: notLeader,
          cluster: clusterView(addresses[i] as ServerAddress, other),
          forwardDeadlineMs: 1_000,
        });
        addresses[i] = { id: addresses[i]?.id ?? "", rpcAddress: served.address };
        return served;
      }),
    );
    const client = new ServerRpcClient(addresses[0]?.rpcAddress ?? "");
    try {
      // The origin's own "no leader" timeout, not a hop's gRPC deadline after a chain of bounces.
      await expect(client.varPut("default", "crossed", { k: "v" }, undefined)).rejects.toBeInstanceOf(
        TimeoutError,
      );
    } finally {
      client.close();
      for (const m of made) await m.close();
    }
  });

  it("without a leader until the deadline a write fails with a timeout", async () => {
    h.setFollowerKnowsLeader(false);
    await expect(h.followerClient.varPut("default", "never", { k: "v" }, undefined)).rejects.toBeInstanceOf(
      TimeoutError,
    );
  });
});
