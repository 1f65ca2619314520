import { status } from "@grpc/grpc-js";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { silentLogger } from "../common/log.js";
import { type Allocation, type Job, mockAlloc, mockJob, mockNode } from "../fsm/index.js";
import { RpcError } from "../rpc/rpc-status.js";
import type { AllocClientFields } from "../rpc/server-api.js";
import { AllocSync } from "./alloc-sync.js";
import type { AllocRunnerHandle, LogFrame } from "./allocrunner/alloc-runner-api.js";
import { FakeCluster } from "./servers/fake-servers.test-support.js";
import { ServerList } from "./servers/server-list.js";

/**
 * Stands in for the alloc runner (another component): writes down what the sync asks of it.
 * The sync itself, the server list and the failover run for real against in-memory servers.
 */
class RecordingRunner implements AllocRunnerHandle {
  readonly calls: string[] = [];
  terminal = false;

  constructor(
    readonly alloc: Allocation,
    readonly job: Job,
  ) {}

  get allocId(): string {
    return this.alloc.ID;
  }
  run(): void {
    this.calls.push("run");
  }
  async restore(): Promise<void> {
    this.calls.push("restore");
  }
  update(alloc: Allocation, job: Job): void {
    this.calls.push(`update@${alloc.ModifyIndex} job v${job.Version}`);
  }
  async stop(reason: string): Promise<void> {
    this.calls.push(`stop ${reason}`);
  }
  async destroy(): Promise<void> {
    this.calls.push("destroy");
  }
  async shutdown(): Promise<void> {
    this.calls.push("shutdown");
  }
  clientFields(): AllocClientFields {
    return { ID: this.alloc.ID, NodeID: this.alloc.NodeID, ClientStatus: "running", ClientDescription: "" };
  }
  /** A runner with no log output. */
  async *logs(): AsyncIterable<LogFrame> {}
}

const node = mockNode();
const jobV0 = mockJob({ ID: "web", Version: 0 });
const jobV1 = mockJob({ ID: "web", Version: 1 });
const ALLOC_A = "00000000-0000-4000-a000-00000000000a";
const ALLOC_B = "00000000-0000-4000-a000-00000000000b";

function alloc(id: string, modifyIndex: number, overrides: Partial<Allocation> = {}): Allocation {
  return mockAlloc({
    ID: id,
    NodeID: node.ID,
    JobID: "web",
    JobVersion: 0,
    ClientStatus: "pending",
    ModifyIndex: modifyIndex,
    ...overrides,
  });
}

function setup(addresses = ["a:1", "b:1"]) {
  const cluster = new FakeCluster();
  const servers = new ServerList(addresses, silentLogger(), { connect: cluster.connect });
  const created: RecordingRunner[] = [];
  const reported: AllocClientFields[] = [];
  const sync = new AllocSync({
    servers,
    nodeId: node.ID,
    secretId: node.SecretID,
    logger: silentLogger(),
    createRunner: (a, job) => {
      const runner = new RecordingRunner(a, job);
      created.push(runner);
      return runner;
    },
    report: (fields) => reported.push(fields),
  });
  const runnerOf = (id: string): RecordingRunner => {
    const runner = sync.runner(id);
    if (!(runner instanceof RecordingRunner)) throw new Error(`no runner for ${id}`);
    return runner;
  };
  return { cluster, servers, sync, created, runnerOf, reported };
}

describe("AllocSync", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("watches the node's allocations on the current server, with the node's secret", () => {
    const { cluster, sync } = setup();
    sync.start();
    expect(cluster.server("a:1").lastWatch().request).toEqual({
      nodeId: node.ID,
      secretId: node.SecretID,
      minIndex: 0,
      stale: true,
    });
    sync.stop();
  });

  it("creates a runner for a new allocation and runs it, with its job", () => {
    const { cluster, sync, created } = setup();
    sync.start();
    const a = alloc(ALLOC_A, 10);
    cluster
      .server("a:1")
      .lastWatch()
      .push({ index: 10, full: true, allocs: [a], jobs: [jobV0] });
    expect(created).toHaveLength(1);
    expect(created[0]?.alloc).toBe(a);
    expect(created[0]?.job).toBe(jobV0);
    expect(created[0]?.calls).toEqual(["run"]);
    expect(sync.runner(ALLOC_A)).toBe(created[0]);
    sync.stop();
  });

  it.each([
    ["finished on the client", { ClientStatus: "complete" }],
    ["stopped by the servers", { DesiredStatus: "stop" }],
  ] as const)("creates no runner for an allocation already over (%s)", (_why, overrides) => {
    const { cluster, sync, created } = setup();
    sync.start();
    cluster
      .server("a:1")
      .lastWatch()
      .push({ index: 10, full: true, allocs: [alloc(ALLOC_A, 10, overrides)], jobs: [jobV0] });
    expect(created).toHaveLength(0);
    expect(sync.allRunners()).toHaveLength(0);
    sync.stop();
  });

  it("hands a later version of an allocation, with its job, to the runner", () => {
    const { cluster, sync, created, runnerOf } = setup();
    sync.start();
    const watch = cluster.server("a:1").lastWatch();
    watch.push({ index: 10, full: true, allocs: [alloc(ALLOC_A, 10)], jobs: [jobV0] });
    watch.push({ index: 12, allocs: [alloc(ALLOC_A, 12, { JobVersion: 1 })], jobs: [jobV1] });
    // The job of a version already sent is not sent again.
    watch.push({ index: 14, allocs: [alloc(ALLOC_A, 14, { JobVersion: 1, DesiredStatus: "stop" })] });
    expect(created).toHaveLength(1);
    expect(runnerOf(ALLOC_A).calls).toEqual(["run", "update@12 job v1", "update@14 job v1"]);
    sync.stop();
  });

  it("reports an allocation again when the servers marked it unknown (this node was disconnected)", () => {
    const { cluster, sync, reported } = setup();
    sync.start();
    const watch = cluster.server("a:1").lastWatch();
    watch.push({
      index: 10,
      full: true,
      allocs: [alloc(ALLOC_A, 10, { ClientStatus: "running" })],
      jobs: [jobV0],
    });
    expect(reported).toEqual([]);
    watch.push({ index: 12, allocs: [alloc(ALLOC_A, 12, { ClientStatus: "unknown" })] });
    expect(reported).toEqual([
      { ID: ALLOC_A, NodeID: node.ID, ClientStatus: "running", ClientDescription: "" },
    ]);
    watch.push({ index: 13, allocs: [alloc(ALLOC_A, 13, { ClientStatus: "running" })] });
    expect(reported).toHaveLength(1);
    sync.stop();
  });

  it("never lets an older version of an allocation replace a newer one", () => {
    const { cluster, sync, runnerOf } = setup();
    sync.start();
    const watch = cluster.server("a:1").lastWatch();
    watch.push({ index: 20, full: true, allocs: [alloc(ALLOC_A, 20)], jobs: [jobV0] });
    watch.push({ index: 21, allocs: [alloc(ALLOC_A, 15)] });
    expect(runnerOf(ALLOC_A).calls).toEqual(["run"]);
    // Had version 15 replaced version 20, a full update at index 19 would remove the allocation.
    watch.push({ index: 19, full: true, allocs: [] });
    expect(runnerOf(ALLOC_A).calls).toEqual(["run"]);
    sync.stop();
  });

  it("destroys the runner of an allocation missing from a full update at or past its ModifyIndex", () => {
    const { cluster, sync, created } = setup();
    sync.start();
    const watch = cluster.server("a:1").lastWatch();
    watch.push({ index: 10, full: true, allocs: [alloc(ALLOC_A, 10), alloc(ALLOC_B, 8)], jobs: [jobV0] });
    watch.push({ index: 10, full: true, allocs: [alloc(ALLOC_B, 8)] });
    expect(created.map((r) => [r.allocId, r.calls])).toEqual([
      [ALLOC_A, ["run", "destroy"]],
      [ALLOC_B, ["run", "update@8 job v0"]],
    ]);
    expect(sync.runner(ALLOC_A)).toBeUndefined();
    sync.stop();
  });

  it("keeps the runner when a lagging server's full update lacks an allocation newer than it knows", async () => {
    const { cluster, sync, created, runnerOf } = setup();
    sync.start();
    cluster
      .server("a:1")
      .lastWatch()
      .push({ index: 10, full: true, allocs: [alloc(ALLOC_A, 10)], jobs: [jobV0] });
    // a:1 dies; b:1 (a follower behind at index 9) has not applied the allocation yet.
    cluster
      .server("a:1")
      .lastWatch()
      .fail(new RpcError("a:1 gone", status.UNAVAILABLE, false));
    await vi.advanceTimersByTimeAsync(10_000);
    cluster.server("b:1").lastWatch().push({ index: 9, full: true, allocs: [] });
    expect(created).toHaveLength(1);
    expect(runnerOf(ALLOC_A).calls).toEqual(["run"]);
    sync.stop();
  });

  it("compares a full update with the latest version it holds, not the first", () => {
    const { cluster, sync, runnerOf } = setup();
    sync.start();
    const watch = cluster.server("a:1").lastWatch();
    watch.push({ index: 10, full: true, allocs: [alloc(ALLOC_A, 10)], jobs: [jobV0] });
    watch.push({ index: 12, allocs: [alloc(ALLOC_A, 12)] });
    watch.push({ index: 11, full: true, allocs: [] });
    expect(runnerOf(ALLOC_A).calls).toEqual(["run", "update@12 job v0"]);
    sync.stop();
  });

  it("destroys the runners of allocations the servers removed", () => {
    const { cluster, sync, created } = setup();
    sync.start();
    const watch = cluster.server("a:1").lastWatch();
    watch.push({ index: 10, full: true, allocs: [alloc(ALLOC_A, 10), alloc(ALLOC_B, 10)], jobs: [jobV0] });
    watch.push({ index: 30, removedAllocIds: [ALLOC_A] });
    expect(created.map((r) => [r.allocId, r.calls])).toEqual([
      [ALLOC_A, ["run", "destroy"]],
      [ALLOC_B, ["run"]],
    ]);
    expect(sync.allRunners()).toEqual([created[1]]);
    sync.stop();
  });

  it("keeps only the jobs of versions some runner uses", () => {
    const { cluster, sync } = setup();
    sync.start();
    const watch = cluster.server("a:1").lastWatch();
    const done = alloc(ALLOC_B, 10, { JobID: "batch", ClientStatus: "complete" });
    const batchJob = mockJob({ ID: "batch", Version: 3 });
    watch.push({ index: 10, full: true, allocs: [alloc(ALLOC_A, 10), done], jobs: [jobV0, batchJob] });
    expect(sync.cachedJobs).toBe(1); // the finished allocation got no runner: its job is not kept
    watch.push({ index: 12, allocs: [alloc(ALLOC_A, 12, { JobVersion: 1 })], jobs: [jobV1] });
    expect(sync.cachedJobs).toBe(1); // version 0 is run by nobody now
    watch.push({ index: 14, removedAllocIds: [ALLOC_A] });
    expect(sync.cachedJobs).toBe(0);
    sync.stop();
  });

  it("watches again when a new allocation's job was dropped, as a stream sends each job once", () => {
    const { cluster, servers, sync, created } = setup();
    sync.start();
    const first = cluster.server("a:1").lastWatch();
    first.push({ index: 10, full: true, allocs: [alloc(ALLOC_A, 10)], jobs: [jobV0] });
    first.push({ index: 20, removedAllocIds: [ALLOC_A] }); // garbage collected: job v0 dropped
    // The same job version is placed here again; this stream already sent job v0, so it does
    // not send it again.
    first.push({ index: 30, allocs: [alloc(ALLOC_B, 30)] });
    expect(created.map((r) => r.allocId)).toEqual([ALLOC_A]);
    expect(first.cancelled).toBe(true);
    expect(servers.currentAddress()).toBe("a:1"); // the server did nothing wrong
    const second = cluster.server("a:1").lastWatch();
    expect(second).not.toBe(first);
    second.push({ index: 30, full: true, allocs: [alloc(ALLOC_B, 30)], jobs: [jobV0] });
    expect(created.map((r) => [r.allocId, r.calls])).toEqual([
      [ALLOC_A, ["run", "destroy"]],
      [ALLOC_B, ["run"]],
    ]);
    sync.stop();
  });

  it("does not watch again when a stream's first (full) message lacks a job: the server has none", () => {
    const { cluster, sync, created } = setup();
    sync.start();
    cluster
      .server("a:1")
      .lastWatch()
      .push({ index: 10, full: true, allocs: [alloc(ALLOC_A, 10)], jobs: [] });
    expect(created).toHaveLength(0);
    expect(cluster.server("a:1").watches).toHaveLength(1);
    sync.stop();
  });

  it("watches again through the next server when the watch fails", async () => {
    const { cluster, servers, sync, created } = setup();
    sync.start();
    cluster
      .server("a:1")
      .lastWatch()
      .fail(new RpcError("a:1 gone", status.UNAVAILABLE, false));
    await vi.advanceTimersByTimeAsync(0);
    expect(servers.currentAddress()).toBe("b:1");
    expect(cluster.server("b:1").watches).toHaveLength(0); // after a pause, not in a tight loop
    await vi.advanceTimersByTimeAsync(10_000);
    const watch = cluster.server("b:1").lastWatch();
    expect(watch.request.nodeId).toBe(node.ID);
    watch.push({ index: 10, full: true, allocs: [alloc(ALLOC_A, 10)], jobs: [jobV0] });
    expect(created).toHaveLength(1);
    sync.stop();
  });

  it("watches again through the next server when a server ends the stream", async () => {
    const { cluster, sync } = setup();
    sync.start();
    cluster.server("a:1").lastWatch().end();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(cluster.server("b:1").watches).toHaveLength(1);
    sync.stop();
  });

  it("keeps watching, server after server, while every server is down", async () => {
    const { cluster, sync } = setup();
    cluster.server("a:1").down = true;
    cluster.server("b:1").down = true;
    sync.start();
    await vi.advanceTimersByTimeAsync(60_000);
    const tries = cluster.callsOf("watchClientAllocs");
    expect(tries.length).toBeGreaterThan(4);
    expect(tries.slice(0, 4)).toEqual(["a:1", "b:1", "a:1", "b:1"]);
    cluster.server("a:1").down = false;
    cluster.server("b:1").down = false;
    await vi.advanceTimersByTimeAsync(10_000);
    const last = cluster.callsOf("watchClientAllocs").at(-1);
    expect(last).toBeDefined();
    expect(cluster.server(last ?? "").lastWatch().cancelled).toBe(false);
    sync.stop();
  });

  it("adopts restored runners: a full update neither re-creates nor destroys them", () => {
    const { cluster, sync, created } = setup();
    const restored = new RecordingRunner(alloc(ALLOC_A, 10), jobV0);
    sync.adopt({ alloc: restored.alloc, job: jobV0 }, restored);
    sync.start();
    const watch = cluster.server("a:1").lastWatch();
    // A server that is behind the state this client restored from.
    watch.push({ index: 9, full: true, allocs: [] });
    watch.push({ index: 11, allocs: [alloc(ALLOC_A, 11, { DesiredStatus: "stop" })] });
    expect(created).toHaveLength(0);
    expect(restored.calls).toEqual(["update@11 job v0"]);
    sync.stop();
  });

  it("stop() during the pause before watching again watches no more", async () => {
    const { cluster, sync } = setup();
    sync.start();
    cluster
      .server("a:1")
      .lastWatch()
      .fail(new RpcError("a:1 gone", status.UNAVAILABLE, false));
    await vi.advanceTimersByTimeAsync(0);
    sync.stop();
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(cluster.callsOf("watchClientAllocs")).toEqual(["a:1"]);
  });

  it("stop() cancels the watch and watches no more", async () => {
    const { cluster, sync } = setup();
    sync.start();
    const watch = cluster.server("a:1").lastWatch();
    sync.stop();
    expect(watch.cancelled).toBe(true);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(cluster.callsOf("watchClientAllocs")).toEqual(["a:1"]);
  });
});
