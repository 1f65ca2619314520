import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AgentProcess, LocalCluster, type ServerProcess } from "../../src/cli/local-cluster.js";
import { type CliRun, drover } from "./cli-runner.js";
import { type AllocStub, clientNodeId } from "./client-helpers.js";

/** A service job of one raw_exec sleep; VERSION in its env makes versions differ. */
const webJob = (version: string, driver = "raw_exec", id = "web"): string => `
job "${id}" {
  datacenters = ["dc1"]
  type        = "service"

  group "web" {
    count = 1

    task "t" {
      driver       = "${driver}"
      kill_timeout = "2s"
      env {
        VERSION = "${version}"
      }
      config {
        command = "/bin/sh"
        args    = ["-c", "exec sleep 300"]
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
`;

interface JobAnswer {
  Version: number;
  JobModifyIndex: number;
  TaskGroups: Array<{ Tasks: Array<{ Env: Record<string, string> }> }>;
}

interface PlanBody {
  Index: number;
  JobModifyIndex: number;
  Diff: { Type: string; TaskGroups: Array<{ Name: string; Updates: Record<string, number> | null }> };
  Annotations: { DesiredTGUpdates: Record<string, { DestructiveUpdate: number; Place: number }> };
  FailedTGAllocs: Record<string, unknown>;
  CreatedEvals: unknown[];
}

const modifyIndex = (stdout: string): number => {
  const m = /^Job Modify Index: (\d+)$/m.exec(stdout);
  if (m === null) throw new Error(`no Job Modify Index in:\n${stdout}`);
  return Number(m[1]);
};

// Three real servers and one real client agent running raw_exec tasks. Every plan goes to a
// follower, so that the dry run is forwarded to the leader like a read.
describe("job plan: a dry run of the scheduler", () => {
  let cluster: LocalCluster;
  let client: AgentProcess;
  let leader: ServerProcess;
  let follower: ServerProcess;
  let dir: string;
  let v1: string;
  let v2: string;

  const plan = (...args: string[]): Promise<CliRun> => drover(follower.httpUrl, ["job", "plan", ...args]);
  const run = (...args: string[]): Promise<CliRun> => drover(leader.httpUrl, ["job", "run", ...args]);
  const http = <T>(method: string, path: string, body?: unknown) =>
    cluster.http<T>(follower, method, path, body);
  /** What a plan must never change: the job's version and index, its allocations and evals. */
  const state = async () => {
    const job = await cluster.http<JobAnswer | null>(leader, "GET", "/v1/job/web");
    const allocs = await cluster.http<AllocStub[]>(leader, "GET", "/v1/job/web/allocations");
    const evals = await cluster.http<unknown[]>(leader, "GET", "/v1/job/web/evaluations");
    return {
      status: job.status,
      version: job.body?.Version,
      jobModifyIndex: job.body?.JobModifyIndex,
      allocs: (allocs.body ?? []).map((a) => `${a.ID}:${a.DesiredStatus}`).sort(),
      evals: (evals.body ?? []).length,
    };
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "drover-plan-test-"));
    v1 = join(dir, "web-v1.hcl");
    v2 = join(dir, "web-v2.hcl");
    await writeFile(v1, webJob("1"));
    await writeFile(v2, webJob("2"));
    cluster = await LocalCluster.start({ servers: 3 });
    leader = await cluster.waitForLeader(60_000);
    follower = cluster.servers.find((s) => s.name !== leader.name) as ServerProcess;
    client = await cluster.addClient();
    await clientNodeId(cluster, client);
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("plans creates for a new job, exits 1, and registers nothing", async () => {
    const res = await plan(v1);
    expect(res.status, res.stdout + res.stderr).toBe(1);
    expect(res.stdout).toContain('+ Job: "web"');
    expect(res.stdout).toContain('+ Task Group: "web" (1 create)');
    expect(res.stdout).toContain('  + Task: "t" (forces create)');
    expect(res.stdout).toContain("- All tasks successfully allocated.");
    expect(modifyIndex(res.stdout)).toBe(0);
    expect(res.stdout).toContain(`drover job run -check-index 0 ${v1}`);
    const after = await state();
    expect(after.status).toBe(404);
    expect(after.allocs).toEqual([]);
    expect(after.evals).toBe(0);
  });

  it("plans nothing for the job as it runs, exit 0", async () => {
    const started = await run(v1);
    expect(started.status, started.stdout + started.stderr).toBe(0);
    const before = await state();
    const res = await plan(v1);
    expect(res.status, res.stdout + res.stderr).toBe(0);
    expect(res.stdout.split("\n").slice(0, 3)).toEqual([
      'Job: "web"',
      'Task Group: "web" (1 ignore)',
      '  Task: "t"',
    ]);
    expect(modifyIndex(res.stdout)).toBe(before.jobModifyIndex);
    expect(await state()).toEqual(before);
  });

  it("plans a destructive update for an env change, with the ~ diff of the key, and changes nothing", async () => {
    const before = await state();
    const res = await plan(v2);
    expect(res.status, res.stdout + res.stderr).toBe(1);
    expect(res.stdout).toContain('+/- Task Group: "web" (1 create/destroy update)');
    expect(res.stdout).toContain('  +/- Task: "t" (forces create/destroy update)');
    expect(res.stdout).toContain('    ~ Env[VERSION]: "1" => "2"');
    // The plan is a dry run: same version, same allocations, no eval.
    expect(await state()).toEqual(before);
  });

  it("answers Nomad's JobPlanResponse over HTTP (through a follower) and checks the path", async () => {
    const stored = await cluster.http<JobAnswer>(leader, "GET", "/v1/job/web");
    const job = structuredClone(stored.body) as JobAnswer & { ID: string };
    (job.TaskGroups[0] as { Tasks: Array<{ Env: Record<string, string> }> }).Tasks[0]!.Env = { VERSION: "3" };
    const res = await http<PlanBody>("POST", "/v1/job/web/plan", { Job: job, Diff: true });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.JobModifyIndex).toBe(stored.body.JobModifyIndex);
    expect(res.body.Index).toBe(stored.body.JobModifyIndex);
    expect(res.body.Diff.Type).toBe("Edited");
    expect(res.body.Diff.TaskGroups[0]?.Updates).toEqual({ "create/destroy update": 1 });
    expect(res.body.Annotations.DesiredTGUpdates["web"]).toMatchObject({ DestructiveUpdate: 1, Place: 0 });
    expect(res.body.FailedTGAllocs).toEqual({});
    const mismatch = await http<{ error: string }>("POST", "/v1/job/other/plan", { Job: job, Diff: true });
    expect(mismatch.status).toBe(400);
  });

  it("explains a placement failure in words and exits 2", async () => {
    const file = join(dir, "docker.hcl");
    await writeFile(file, webJob("1", "docker", "needs-docker"));
    const res = await plan(file);
    expect(res.status, res.stdout + res.stderr).toBe(2);
    expect(res.stdout).toContain("- WARNING: Failed to place all allocations.");
    expect(res.stdout).toContain('  Task Group "web" (failed to place 1 allocation):');
    expect(res.stdout).toMatch(/\* .*missing drivers/);
    const job = await cluster.http(leader, "GET", "/v1/job/needs-docker");
    expect(job.status).toBe(404);
  });

  it("exits 255 with one line on stderr for a bad job file", async () => {
    const res = await plan(join(dir, "missing.hcl"));
    expect(res.status).toBe(255);
    expect(res.stderr).toContain("no such file");
  });

  it("-check-index from the plan makes job run succeed; the stale index then fails with exit 1", async () => {
    const planned = await plan(v2);
    const index = modifyIndex(planned.stdout);
    const ok = await run("-check-index", String(index), v2);
    expect(ok.status, ok.stdout + ok.stderr).toBe(0);
    const after = await state();
    expect(after.version).toBe(1);
    expect(after.jobModifyIndex).toBeGreaterThan(index);

    const stale = await run("-check-index", String(index), v1);
    expect(stale.status).toBe(1);
    expect(stale.stderr).toContain(`Enforcing job modify index ${index}`);
    expect((await state()).version).toBe(1);
  });
});
