import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalCluster, type ServerProcess } from "../../src/cli/local-cluster.js";
import { drover } from "./cli-runner.js";

interface SchedulerConfig {
  SchedulerAlgorithm: string;
  PreemptionConfig: {
    SystemSchedulerEnabled: boolean;
    SysBatchSchedulerEnabled: boolean;
    BatchSchedulerEnabled: boolean;
    ServiceSchedulerEnabled: boolean;
  };
  MemoryOversubscriptionEnabled: boolean;
  RejectJobRegistration: boolean;
  PauseEvalBroker: boolean;
  CreateIndex: number;
  ModifyIndex: number;
}

interface VersionsAnswer {
  Versions: Array<{ Version: number; Stable: boolean }>;
}

/** A service job of `count` mock tasks; `priority` makes each version differ. */
function jobBody(id: string, priority: number): unknown {
  return {
    Job: {
      ID: id,
      Type: "service",
      Priority: priority,
      Datacenters: ["dc1"],
      TaskGroups: [{ Name: "g", Count: 0, Tasks: [{ Name: "t", Driver: "mock" }] }],
    },
  };
}

async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

// The scheduler configuration, forced GC and job stability routes on one server, with the CLI's
// `operator scheduler get-config|set-config` against them. No client is needed: the jobs have
// count 0, so their evals complete at once.
describe("HTTP API: scheduler configuration, system gc, job stability", () => {
  let cluster: LocalCluster;
  let server: ServerProcess;

  beforeAll(async () => {
    cluster = await LocalCluster.start({ servers: 1 });
    server = await cluster.waitForLeader(60_000);
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  const http = <T>(method: string, path: string, body?: unknown) =>
    cluster.http<T>(server, method, path, body);

  it("round-trips the scheduler configuration with CAS, and refuses bad input with where", async () => {
    const first = await http<{ SchedulerConfig: SchedulerConfig; Index: number }>(
      "GET",
      "/v1/operator/scheduler/configuration",
    );
    expect(first.status).toBe(200);
    expect(first.body.SchedulerConfig).toMatchObject({
      SchedulerAlgorithm: "binpack",
      PreemptionConfig: { SystemSchedulerEnabled: true, ServiceSchedulerEnabled: false },
    });
    const cas = first.body.SchedulerConfig.ModifyIndex;
    const next = {
      ...first.body.SchedulerConfig,
      SchedulerAlgorithm: "spread",
      PreemptionConfig: { ...first.body.SchedulerConfig.PreemptionConfig, ServiceSchedulerEnabled: true },
      MemoryOversubscriptionEnabled: true,
    };
    const set = await http<{ Updated: boolean; Index: number }>(
      "PUT",
      `/v1/operator/scheduler/configuration?cas=${cas}`,
      next,
    );
    expect(set.status).toBe(200);
    expect(set.body.Updated).toBe(true);
    expect(set.body.Index).toBeGreaterThan(cas);

    const read = await http<{ SchedulerConfig: SchedulerConfig; Index: number }>(
      "GET",
      "/v1/operator/scheduler/configuration",
    );
    expect(read.body.SchedulerConfig).toMatchObject({
      SchedulerAlgorithm: "spread",
      PreemptionConfig: { ServiceSchedulerEnabled: true, SystemSchedulerEnabled: true },
      MemoryOversubscriptionEnabled: true,
      ModifyIndex: set.body.Index,
    });
    expect(read.body.Index).toBe(set.body.Index);

    // The CAS index is stale now: nothing is written.
    const stale = await http<{ Updated: boolean }>(
      "POST",
      `/v1/operator/scheduler/configuration?cas=${cas}`,
      { ...next, SchedulerAlgorithm: "binpack" },
    );
    expect(stale.status).toBe(200);
    expect(stale.body.Updated).toBe(false);
    const after = await http<{ SchedulerConfig: SchedulerConfig }>(
      "GET",
      "/v1/operator/scheduler/configuration",
    );
    expect(after.body.SchedulerConfig.SchedulerAlgorithm).toBe("spread");

    const badAlgorithm = await http<{ error: string }>("PUT", "/v1/operator/scheduler/configuration", {
      ...next,
      SchedulerAlgorithm: "roundrobin",
    });
    expect(badAlgorithm.status).toBe(400);
    expect(badAlgorithm.body.error).toContain("SchedulerAlgorithm");
    const badFlag = await http<{ error: string }>("PUT", "/v1/operator/scheduler/configuration", {
      ...next,
      PreemptionConfig: { ...next.PreemptionConfig, BatchSchedulerEnabled: "yes" },
    });
    expect(badFlag.status).toBe(400);
    expect(badFlag.body.error).toContain("PreemptionConfig.BatchSchedulerEnabled");
    const badCas = await http<{ error: string }>("PUT", "/v1/operator/scheduler/configuration?cas=x", next);
    expect(badCas.status).toBe(400);
  });

  it("drover operator scheduler get-config and set-config", async () => {
    const set = await drover(server.httpUrl, [
      "operator",
      "scheduler",
      "set-config",
      "-scheduler-algorithm",
      "binpack",
      "-preempt-batch-scheduler",
      "true",
      "-pause-eval-broker",
      "false",
    ]);
    expect(set.stderr).toBe("");
    expect(set.status).toBe(0);
    expect(set.stdout).toContain("Scheduler configuration updated");

    const get = await drover(server.httpUrl, ["operator", "scheduler", "get-config"]);
    expect(get.status).toBe(0);
    expect(get.stdout).toMatch(/Scheduler Algorithm\s+= binpack/);
    expect(get.stdout).toMatch(/Preemption Batch Scheduler\s+= true/);
    // Unset flags kept their values.
    expect(get.stdout).toMatch(/Memory Oversubscription\s+= true/);

    const asJson = await drover(server.httpUrl, ["operator", "scheduler", "get-config", "-json"]);
    const config = JSON.parse(asJson.stdout) as SchedulerConfig;
    expect(config.PreemptionConfig.BatchSchedulerEnabled).toBe(true);

    const stale = await drover(server.httpUrl, [
      "operator",
      "scheduler",
      "set-config",
      "-check-index",
      "1",
      "-pause-eval-broker",
      "false",
    ]);
    expect(stale.status).not.toBe(0);
    expect(stale.stderr).toContain("not updated");
    const bad = await drover(server.httpUrl, [
      "operator",
      "scheduler",
      "set-config",
      "-scheduler-algorithm",
      "random",
    ]);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain("binpack or spread");
  });

  it("PUT /v1/system/gc collects a stopped job at once", async () => {
    expect((await http("POST", "/v1/jobs", jobBody("gc-me", 50))).status).toBe(200);
    const stopped = await http("DELETE", "/v1/job/gc-me");
    expect(stopped.status).toBe(200);
    // Every eval of the job done, so that nothing keeps it.
    await eventually("the job's evals to finish", async () => {
      const evals = await http<Array<{ Status: string }>>("GET", "/v1/job/gc-me/evaluations");
      return evals.body.length > 0 && evals.body.every((e) => e.Status === "complete") ? true : undefined;
    });
    expect((await http("GET", "/v1/job/gc-me")).status).toBe(200);

    const gc = await http<Record<string, unknown>>("PUT", "/v1/system/gc");
    expect(gc.status).toBe(200);
    expect(gc.body).toEqual({});
    await eventually("the forced GC to delete the job", async () =>
      (await http("GET", "/v1/job/gc-me")).status === 404 ? true : undefined,
    );
    expect((await http("GET", "/v1/system/gc")).status).toBe(405);
  });

  it("marks a job version stable and not stable; unknown versions and jobs are 404", async () => {
    expect((await http("POST", "/v1/jobs", jobBody("stable-web", 50))).status).toBe(200);
    expect((await http("POST", "/v1/jobs", jobBody("stable-web", 60))).status).toBe(200);
    const stability = async () =>
      Object.fromEntries(
        (await http<VersionsAnswer>("GET", "/v1/job/stable-web/versions")).body.Versions.map((v) => [
          v.Version,
          v.Stable,
        ]),
      );
    expect(await stability()).toEqual({ 0: false, 1: false });

    const marked = await http<{ JobModifyIndex: number; Index: number }>(
      "POST",
      "/v1/job/stable-web/stable",
      {
        JobID: "stable-web",
        JobVersion: 0,
        Stable: true,
      },
    );
    expect(marked.status).toBe(200);
    expect(marked.body.Index).toBeGreaterThan(0);
    expect(marked.body.JobModifyIndex).toBe(marked.body.Index);
    expect(await stability()).toEqual({ 0: true, 1: false });

    expect((await http("PUT", "/v1/job/stable-web/stable", { JobVersion: 1, Stable: true })).status).toBe(
      200,
    );
    expect(await stability()).toEqual({ 0: true, 1: true });
    const job = await http<{ Version: number; Stable: boolean }>("GET", "/v1/job/stable-web");
    expect(job.body).toMatchObject({ Version: 1, Stable: true });

    expect((await http("POST", "/v1/job/stable-web/stable", { JobVersion: 0, Stable: false })).status).toBe(
      200,
    );
    expect(await stability()).toEqual({ 0: false, 1: true });

    const unknownVersion = await http<{ error: string }>("POST", "/v1/job/stable-web/stable", {
      JobVersion: 7,
      Stable: true,
    });
    expect(unknownVersion.status).toBe(404);
    expect(unknownVersion.body.error).toContain("version 7");
    expect((await http("POST", "/v1/job/nope/stable", { JobVersion: 0, Stable: true })).status).toBe(404);
    expect((await http("POST", "/v1/job/stable-web/stable", { JobVersion: 0, Stable: "yes" })).status).toBe(
      400,
    );
    expect((await http("POST", "/v1/job/stable-web/stable", { Stable: true })).status).toBe(400);
  });
});
