import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import type { AgentProcess, LocalCluster } from "../../src/cli/local-cluster.js";

/** What `/v1/allocation/:id` answers, as far as these tests read it. */
export interface AllocDetail {
  ID: string;
  Name: string;
  NodeID: string;
  JobID: string;
  ClientStatus: string;
  DesiredStatus: string;
  DeploymentStatus: { Healthy: boolean | null } | null;
  TaskStates: Record<
    string,
    {
      State: string;
      Failed: boolean;
      Restarts: number;
      Events: Array<{ Type: string; DisplayMessage: string; ExitCode: number }>;
    }
  >;
  AllocatedResources: { Shared: { Ports: Array<{ Label: string; Value: number; HostIP: string }> } };
}

export interface AllocStub {
  ID: string;
  Name: string;
  NodeID: string;
  JobID: string;
  DesiredStatus: string;
  ClientStatus: string;
  ModifyIndex: number;
}

/** A raw_exec task running `sh -c script` (the script sees the task's environment). */
export function shellTask(name: string, script: string, extra: Record<string, unknown> = {}): unknown {
  return {
    Name: name,
    Driver: "raw_exec",
    Config: { command: "/bin/sh", args: ["-c", script] },
    Resources: { CPU: 50, MemoryMB: 32 },
    KillTimeout: 2e9,
    ...extra,
  };
}

export function job(
  id: string,
  type: string,
  groups: unknown[],
  extra: Record<string, unknown> = {},
): unknown {
  return { Job: { ID: id, Type: type, Datacenters: ["dc1"], TaskGroups: groups, ...extra } };
}

/** Repeats a blocking query on `path` until `check` accepts its body; returns that body. */
export async function waitForQuery<T>(
  cluster: LocalCluster,
  path: string,
  check: (body: T) => boolean,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let index = 0;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const server = await cluster.waitForLeader(30_000);
      const waitMs = Math.max(1, Math.min(5_000, deadline - Date.now()));
      const sep = path.includes("?") ? "&" : "?";
      const res = await cluster.http<T>(server, "GET", `${path}${sep}index=${index}&wait=${waitMs}ms`);
      last = res.body;
      if (res.status === 200 && check(res.body)) return res.body;
      // An unchanged index would make the next blocking query return at once: move past it.
      index = res.status === 200 ? res.index : 0;
    } catch {
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(
    `${what}: not reached within ${timeoutMs} ms; last answer ${JSON.stringify(last)?.slice(0, 2000)}`,
  );
}

export function jobAllocs(
  cluster: LocalCluster,
  jobId: string,
  check: (allocs: AllocStub[]) => boolean,
  what: string,
  timeoutMs = 60_000,
): Promise<AllocStub[]> {
  return waitForQuery<AllocStub[]>(cluster, `/v1/job/${jobId}/allocations`, check, timeoutMs, what);
}

export async function allocDetail(cluster: LocalCluster, allocId: string): Promise<AllocDetail> {
  const server = await cluster.waitForLeader(30_000);
  const res = await cluster.http<AllocDetail>(server, "GET", `/v1/allocation/${allocId}`);
  if (res.status !== 200) throw new Error(`GET /v1/allocation/${allocId}: ${res.status}`);
  return res.body;
}

/** Waits until a file exists and `check` accepts its text (tasks write what they saw into files). */
export async function waitForFile(
  path: string,
  check: (text: string) => boolean,
  timeoutMs: number,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    try {
      last = await readFile(path, "utf8");
      if (check(last)) return last;
    } catch {
      // not written yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${path}: not as expected within ${timeoutMs} ms; last content ${JSON.stringify(last)}`);
}

/** Whether a process with this pid exists. */
export function pidAlive(pid: number): boolean {
  // A zombie (exited, not yet reaped by whoever inherited it) is gone for our purposes.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** Waits until no process of `pids` exists. */
export async function waitForPidsGone(pids: readonly number[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (pids.every((p) => !pidAlive(p))) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`processes still alive after ${timeoutMs} ms: ${pids.filter(pidAlive).join(", ")}`);
}

/** The node ID a client agent registered (from its own HTTP API's view of the servers). */
export async function clientNodeId(cluster: LocalCluster, client: AgentProcess): Promise<string> {
  const nodes = await waitForQuery<Array<{ ID: string; Name: string; Status: string }>>(
    cluster,
    "/v1/nodes",
    (list) => list.some((n) => n.Name === client.name && n.Status === "ready"),
    60_000,
    `node ${client.name} ready`,
  );
  return (nodes.find((n) => n.Name === client.name) as { ID: string }).ID;
}
