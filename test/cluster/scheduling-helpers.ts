import { expect } from "vitest";
import type { LocalCluster, ServerProcess } from "../../src/cli/local-cluster.js";

/** The alloc list stub the HTTP API answers (src/api/api-shapes.ts allocStub). */
export interface AllocStub {
  ID: string;
  Name: string;
  NodeID: string;
  JobID: string;
  TaskGroup: string;
  DesiredStatus: string;
  ClientStatus: string;
}

export function serviceJob(id: string, count: number, cpu: number, memoryMB: number): unknown {
  return {
    Job: {
      ID: id,
      Type: "service",
      Datacenters: ["dc1"],
      TaskGroups: [
        {
          Name: "g",
          Count: count,
          Tasks: [{ Name: "t", Driver: "mock", Resources: { CPU: cpu, MemoryMB: memoryMB } }],
        },
      ],
    },
  };
}

/** Any server that answers (leader or not): reads are forwarded anyway. */
export async function anyServer(cluster: LocalCluster): Promise<ServerProcess> {
  return cluster.waitForLeader(60_000);
}

export async function submit(cluster: LocalCluster, server: ServerProcess, body: unknown): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const res = await cluster
      .http<{ EvalID?: string; error?: string }>(server, "POST", "/v1/jobs", body)
      .catch((error: unknown) => ({ status: 0, body: { error: String(error) }, index: 0 }));
    if (res.status === 200) return;
    if (attempt >= 20) throw new Error(`job submit failed: ${res.status} ${JSON.stringify(res.body)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

export async function allAllocs(cluster: LocalCluster): Promise<AllocStub[]> {
  const server = await cluster.waitForLeader(60_000);
  const res = await cluster.http<AllocStub[]>(server, "GET", "/v1/allocations");
  if (res.status !== 200) throw new Error(`GET /v1/allocations: ${res.status}`);
  return res.body;
}

export const live = (a: AllocStub): boolean =>
  a.DesiredStatus === "run" && (a.ClientStatus === "pending" || a.ClientStatus === "running");

/**
 * Waits until `check` passes on the cluster's allocations, or fails with the last state. Each
 * read after the first is a blocking query (`?index=&wait=`): it answers as soon as the alloc
 * table moves past the state already checked, instead of polling on a timer.
 */
export async function waitForAllocs(
  cluster: LocalCluster,
  check: (allocs: AllocStub[]) => boolean,
  timeoutMs: number,
  what: string,
): Promise<AllocStub[]> {
  const deadline = Date.now() + timeoutMs;
  let last: AllocStub[] = [];
  let index = 0;
  while (Date.now() < deadline) {
    try {
      const server = await cluster.waitForLeader(60_000);
      const waitMs = Math.max(1, Math.min(5_000, deadline - Date.now()));
      const res = await cluster.http<AllocStub[]>(
        server,
        "GET",
        `/v1/allocations?index=${index}&wait=${waitMs}ms`,
      );
      if (res.status !== 200) throw new Error(`GET /v1/allocations: ${res.status}`);
      last = res.body;
      index = res.index;
      if (check(last)) return last;
    } catch {
      // A leader change in progress: ask again shortly.
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  const running = last.filter((a) => a.ClientStatus === "running" && a.DesiredStatus === "run").length;
  throw new Error(`${what}: not reached within ${timeoutMs} ms (${last.length} allocs, ${running} running)`);
}

/** Every job has exactly `count` live allocs, all running, named job.g[0..count-1] once each. */
export function converged(allocs: AllocStub[], jobIds: readonly string[], count: number): boolean {
  for (const jobId of jobIds) {
    const mine = allocs.filter((a) => a.JobID === jobId && live(a));
    if (mine.length !== count || mine.some((a) => a.ClientStatus !== "running")) return false;
  }
  return true;
}

export function expectUniqueNames(allocs: AllocStub[]): void {
  const names = allocs.filter(live).map((a) => a.Name);
  expect(new Set(names).size).toBe(names.length);
}

/** No node holds more live allocations than fit (every alloc of these tests asks `cpu` MHz). */
export function expectNoOvercommit(allocs: AllocStub[], cpuPerAlloc: number, nodeCpu: number): void {
  const perNode = new Map<string, number>();
  for (const a of allocs.filter(live)) perNode.set(a.NodeID, (perNode.get(a.NodeID) ?? 0) + cpuPerAlloc);
  for (const [nodeId, used] of perNode) {
    expect(used, `node ${nodeId} over-committed`).toBeLessThanOrEqual(nodeCpu);
  }
}
