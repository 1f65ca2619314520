// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Nomad interpolation in job env is a plain string
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AgentProcess, LocalCluster } from "../../src/cli/local-cluster.js";
import {
  allocDetail,
  clientNodeId,
  job,
  jobAllocs,
  shellTask,
  waitForFile,
  waitForPidsGone,
  waitForQuery,
} from "./client-helpers.js";

/** Why the java test cannot run here ("" when javac and jar are installed). */
const JAVA_MISSING = (() => {
  try {
    execFileSync("javac", ["-version"], { stdio: "ignore" });
    execFileSync("jar", ["--version"], { stdio: "ignore" });
    return "";
  } catch (error) {
    return `javac/jar not available (${(error as Error).message})`;
  }
})();
if (JAVA_MISSING !== "") console.log(`client-tasks: java driver test skipped: ${JAVA_MISSING}`);

// Three real servers and a real client agent (`drover agent --client`) whose tasks are real
// processes: what a Nomad operator checks first ("submit a job, see my process run").
describe("client agent: real tasks on a real cluster", () => {
  let cluster: LocalCluster;
  let client: AgentProcess;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "drover-client-test-"));
    cluster = await LocalCluster.start({ servers: 3 });
    await cluster.waitForLeader(60_000);
    // Given one server only: the client must learn the others to survive that server's death.
    client = await cluster.addClient({
      servers: [cluster.server("s1").rpcAddress],
      extraArgs: ["--meta", "rack=r7"],
    });
    await clientNodeId(cluster, client);
  });

  afterAll(async () => {
    await cluster?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function run(body: unknown): Promise<void> {
    const server = await cluster.waitForLeader(30_000);
    const res = await cluster.http<{ error?: string }>(server, "POST", "/v1/jobs", body);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  }

  it("a shell task sees its NOMAD_* variables and its interpolated env", async () => {
    const out = join(dir, "env.txt");
    await run(
      job("env", "batch", [
        {
          Name: "g",
          Tasks: [
            shellTask("t", `env > ${out}.tmp && mv ${out}.tmp ${out}`, {
              Env: {
                GREETING: "hello ${node.unique.name}",
                RACK: "${meta.rack}",
                WHERE: "${NOMAD_DC}/${attr.kernel.name}",
              },
            }),
          ],
        },
      ]),
    );
    const text = await waitForFile(out, (t) => t.includes("NOMAD_ALLOC_ID="), 60_000);
    const env = new Map(
      text
        .trim()
        .split("\n")
        .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
    );
    expect(env.get("NOMAD_JOB_NAME")).toBe("env");
    expect(env.get("NOMAD_GROUP_NAME")).toBe("g");
    expect(env.get("NOMAD_TASK_NAME")).toBe("t");
    expect(env.get("NOMAD_ALLOC_NAME")).toBe("env.g[0]");
    expect(env.get("NOMAD_ALLOC_INDEX")).toBe("0");
    expect(env.get("NOMAD_DC")).toBe("dc1");
    expect(env.get("NOMAD_REGION")).toBe("global");
    expect(env.get("NOMAD_TASK_DIR")).toMatch(/\/t\/local$/);
    expect(env.get("NOMAD_ALLOC_DIR")).toMatch(/\/alloc$/);
    expect(env.get("GREETING")).toBe(`hello ${client.name}`);
    expect(env.get("RACK")).toBe("r7");
    expect(env.get("WHERE")).toBe("dc1/linux");
    const [alloc] = await jobAllocs(
      cluster,
      "env",
      (a) => a[0]?.ClientStatus === "complete",
      "env alloc complete",
    );
    expect(alloc?.ClientStatus).toBe("complete");
  });

  it("a small HTTP server task listens on its dynamic port and answers", async () => {
    const script =
      "require('http').createServer((q, r) => r.end('hi from ' + process.env.NOMAD_ALLOC_NAME))" +
      ".listen(+process.env.NOMAD_PORT_http, process.env.NOMAD_IP_http)";
    await run(
      job("web", "service", [
        {
          Name: "g",
          Networks: [{ DynamicPorts: [{ Label: "http" }] }],
          Tasks: [
            {
              Name: "server",
              Driver: "raw_exec",
              Config: { command: process.execPath, args: ["-e", script] },
              Resources: { CPU: 50, MemoryMB: 64 },
            },
          ],
        },
      ]),
    );
    const [stub] = await jobAllocs(cluster, "web", (a) => a[0]?.ClientStatus === "running", "web running");
    const alloc = await allocDetail(cluster, (stub as { ID: string }).ID);
    const port = alloc.AllocatedResources.Shared.Ports.find((p) => p.Label === "http");
    expect(port?.Value).toBeGreaterThan(0);
    // Running means the process started; it may take a moment more to listen.
    let answer = "";
    for (let attempt = 0; attempt < 100 && answer === ""; attempt++) {
      answer = await fetch(`http://${port?.HostIP}:${port?.Value}/`).then(
        (r) => r.text(),
        async () => {
          await new Promise((r) => setTimeout(r, 100));
          return "";
        },
      );
    }
    expect(answer).toBe("hi from web.g[0]");
  });

  it("a task that exits 1 restarts by its policy, then fails the allocation", async () => {
    await run(
      job("crashy", "service", [
        {
          Name: "g",
          RestartPolicy: { Attempts: 2, Interval: 600e9, Delay: 100e6, Mode: "fail" },
          ReschedulePolicy: { Attempts: 0, Unlimited: false },
          Tasks: [shellTask("t", "echo failing; exit 1")],
        },
      ]),
    );
    const [stub] = await jobAllocs(
      cluster,
      "crashy",
      (a) => a.some((x) => x.ClientStatus === "failed"),
      "crashy failed",
    );
    const alloc = await allocDetail(cluster, (stub as { ID: string }).ID);
    const task = alloc.TaskStates["t"];
    expect(task?.State).toBe("dead");
    expect(task?.Failed).toBe(true);
    expect(task?.Restarts).toBe(2);
    const types = task?.Events.map((e) => e.Type) ?? [];
    expect(types.filter((t) => t === "Restarting")).toHaveLength(2);
    expect(types).toContain("Not Restarting");
    expect(task?.Events.some((e) => e.Type === "Terminated" && e.ExitCode === 1)).toBe(true);
  });

  it("a job whose driver is not healthy on the node is not placed there", async () => {
    // No Docker engine answers here (and where one does, the image does not matter: nothing runs).
    const docker = {
      Name: "t",
      Driver: "docker",
      Config: { image: "busybox" },
      Resources: { CPU: 50, MemoryMB: 32 },
    };
    const node = await waitForQuery<{ Drivers: Record<string, { Healthy: boolean }> }>(
      cluster,
      `/v1/node/${await clientNodeId(cluster, client)}`,
      () => true,
      30_000,
      "node",
    );
    if (node.Drivers["docker"]?.Healthy === true) return; // an engine answers: placement is allowed
    await run(job("needs-docker", "service", [{ Name: "g", Tasks: [docker] }]));
    const evals = await waitForQuery<
      Array<{
        Status: string;
        FailedTGAllocs: Record<string, { ConstraintFiltered: Record<string, number> }>;
      }>
    >(
      cluster,
      "/v1/job/needs-docker/evaluations",
      (list) => list.some((e) => Object.keys(e.FailedTGAllocs ?? {}).length > 0),
      60_000,
      "placement failure recorded",
    );
    const failed = evals.find((e) => Object.keys(e.FailedTGAllocs ?? {}).length > 0);
    expect(failed?.FailedTGAllocs["g"]?.ConstraintFiltered["missing drivers"]).toBe(1);
    const allocs = await jobAllocs(cluster, "needs-docker", () => true, "allocs");
    expect(allocs).toHaveLength(0);
  });

  it("an invalid task config and a missing executable fail the task with events that say so", async () => {
    await run(
      job("bad-config", "batch", [
        {
          Name: "g",
          RestartPolicy: { Attempts: 0, Mode: "fail" },
          ReschedulePolicy: { Attempts: 0, Unlimited: false },
          Tasks: [
            { Name: "t", Driver: "raw_exec", Config: { command: 42 }, Resources: { CPU: 50, MemoryMB: 32 } },
          ],
        },
      ]),
    );
    await run(
      job("no-such-command", "batch", [
        {
          Name: "g",
          RestartPolicy: { Attempts: 0, Mode: "fail" },
          ReschedulePolicy: { Attempts: 0, Unlimited: false },
          Tasks: [shellTask("t", "unused", { Config: { command: "/no/such/program" } })],
        },
      ]),
    );
    const events = async (jobId: string): Promise<string> => {
      const [stub] = await jobAllocs(
        cluster,
        jobId,
        (a) => a[0]?.ClientStatus === "failed",
        `${jobId} failed`,
      );
      const alloc = await allocDetail(cluster, (stub as { ID: string }).ID);
      return (alloc.TaskStates["t"]?.Events ?? []).map((e) => `${e.Type}: ${e.DisplayMessage}`).join("\n");
    };
    expect(await events("bad-config")).toMatch(/Failed Validation: .*config\.command/);
    expect(await events("no-such-command")).toMatch(/executable not found: \/no\/such\/program/);
  });

  it("a batch task completes and its job becomes dead", async () => {
    const out = join(dir, "batch.txt");
    await run(job("once", "batch", [{ Name: "g", Tasks: [shellTask("t", `echo done > ${out}`)] }]));
    await jobAllocs(
      cluster,
      "once",
      (a) => a.length === 1 && a[0]?.ClientStatus === "complete",
      "batch complete",
    );
    expect(await readFile(out, "utf8")).toBe("done\n");
    await waitForQuery<{ Status: string }>(
      cluster,
      "/v1/job/once",
      (j) => j.Status === "dead",
      60_000,
      "job dead",
    );
  });

  it("stopping a job kills its task and the task's children", async () => {
    const parentPid = join(dir, "tree-parent.pid");
    const childPid = join(dir, "tree-child.pid");
    await run(
      job("tree", "service", [
        {
          Name: "g",
          Tasks: [shellTask("t", `sleep 300 & echo $! > ${childPid}; echo $$ > ${parentPid}; wait`)],
        },
      ]),
    );
    const parent = Number(await waitForFile(parentPid, (t) => t.trim() !== "", 60_000));
    const child = Number(await waitForFile(childPid, (t) => t.trim() !== "", 60_000));
    const server = await cluster.waitForLeader(30_000);
    expect((await cluster.http(server, "DELETE", "/v1/job/tree")).status).toBe(200);
    await waitForPidsGone([parent, child], 60_000);
    await jobAllocs(cluster, "tree", (a) => a.every((x) => x.ClientStatus === "complete"), "tree stopped");
  });

  it.skipIf(JAVA_MISSING !== "")("the java driver runs a jar built with javac", async () => {
    const src = join(dir, "java");
    execFileSync("mkdir", ["-p", src]);
    await writeFile(
      join(src, "Hello.java"),
      `public class Hello { public static void main(String[] a) throws Exception {
         java.nio.file.Files.writeString(java.nio.file.Path.of(a[0]), "java says " + System.getenv("NOMAD_TASK_NAME"));
       } }`,
    );
    execFileSync("javac", ["-d", src, join(src, "Hello.java")]);
    execFileSync("jar", ["cfe", join(src, "hello.jar"), "Hello", "-C", src, "Hello.class"]);
    const out = join(dir, "java.txt");
    await run(
      job("java", "batch", [
        {
          Name: "g",
          Tasks: [
            {
              Name: "app",
              Driver: "java",
              Config: { jar_path: join(src, "hello.jar"), jvm_options: ["-Xmx64m"], args: [out] },
              Resources: { CPU: 100, MemoryMB: 256 },
            },
          ],
        },
      ]),
    );
    expect(await waitForFile(out, (t) => t !== "", 90_000)).toBe("java says app");
    await jobAllocs(cluster, "java", (a) => a[0]?.ClientStatus === "complete", "java complete", 90_000);
  });

  it("log follow, through a server, streams lines while the task writes them and ends with it", async () => {
    const go = join(dir, "logs-go");
    await run(
      job("talker", "batch", [
        {
          Name: "g",
          Tasks: [
            shellTask("t", `echo first line; while [ ! -e ${go} ]; do sleep 0.1; done; echo second line`),
          ],
        },
      ]),
    );
    const [stub] = await jobAllocs(
      cluster,
      "talker",
      (a) => a[0]?.ClientStatus === "running",
      "talker running",
    );
    const server = await cluster.waitForLeader(30_000);
    const res = await fetch(
      `${server.httpUrl}/v1/client/fs/logs/${(stub as { ID: string }).ID}?task=t&type=stdout&follow=true&plain=true`,
    );
    expect(res.status).toBe(200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = "";
    // The task cannot write its second line before the test creates the file: the first line
    // arriving proves the stream follows the task while it runs.
    while (!text.includes("first line")) {
      const { value, done } = await reader.read();
      expect(done).toBe(false);
      text += decoder.decode(value);
    }
    expect(text).not.toContain("second line");
    await writeFile(go, "");
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
    }
    expect(text).toBe("first line\nsecond line\n");
  });

  it("kill -9 of the client and a restart re-attach to running tasks; nothing starts twice", async () => {
    const counters = join(dir, "counters");
    execFileSync("mkdir", ["-p", counters]);
    await run(
      job("steady", "service", [
        {
          Name: "g",
          Count: 2,
          Tasks: [shellTask("t", `echo $$ >> ${counters}/$NOMAD_ALLOC_ID; exec sleep 600`)],
        },
      ]),
    );
    const before = await jobAllocs(
      cluster,
      "steady",
      (a) => a.length === 2 && a.every((x) => x.ClientStatus === "running"),
      "steady running",
    );
    const pids = new Map<string, string>();
    for (const a of before) pids.set(a.ID, await waitForFile(join(counters, a.ID), (t) => t !== "", 30_000));

    await cluster.kill(client.name, "SIGKILL");
    await cluster.restart(client.name);
    await clientNodeId(cluster, client);
    // A job submitted after the restart runs: the restarted client follows its allocations again.
    const probe = join(dir, "after-restart.txt");
    await run(job("after-restart", "batch", [{ Name: "g", Tasks: [shellTask("t", `echo ok > ${probe}`)] }]));
    await waitForFile(probe, (t) => t === "ok\n", 60_000);

    const after = await jobAllocs(cluster, "steady", (a) => a.length === 2, "steady allocs");
    for (const a of after) {
      expect(a.ClientStatus).toBe("running");
      // One start per task: the counter file holds the pid written at the only start.
      expect(await readFile(join(counters, a.ID), "utf8")).toBe(pids.get(a.ID));
      process.kill(Number((pids.get(a.ID) as string).trim()), 0);
    }
  });

  it("the client carries on through another server when its server dies", async () => {
    // The client was given s1 only; it learned the others from its first registration.
    await cluster.kill("s1", "SIGKILL");
    const out = join(dir, "failover.txt");
    await run(job("failover", "batch", [{ Name: "g", Tasks: [shellTask("t", `echo ran > ${out}`)] }]));
    await waitForFile(out, (t) => t === "ran\n", 90_000);
    await jobAllocs(
      cluster,
      "failover",
      (a) => a[0]?.ClientStatus === "complete",
      "failover complete",
      90_000,
    );
    // The earlier service tasks were not restarted by the failover.
    const steady = await jobAllocs(cluster, "steady", (a) => a.length === 2, "steady allocs");
    expect(steady.every((a) => a.ClientStatus === "running")).toBe(true);
    await cluster.restart("s1");
    await cluster.waitForLeader(60_000);
  });

  it("a rolling update (max_parallel = 1) completes through the client's health reports", async () => {
    const group = (version: string): unknown => ({
      Name: "g",
      Count: 2,
      Update: { MaxParallel: 1, MinHealthyTime: 500e6, HealthyDeadline: 60e9, ProgressDeadline: 120e9 },
      Tasks: [shellTask("t", "exec sleep 600", { Env: { VERSION: version } })],
    });
    await run(job("rolling", "service", [group("1")]));
    await jobAllocs(
      cluster,
      "rolling",
      (a) => a.filter((x) => x.ClientStatus === "running").length === 2,
      "rolling v0 running",
    );
    await run(job("rolling", "service", [group("2")]));
    const done = await waitForQuery<Array<AllocStubWithVersion>>(
      cluster,
      "/v1/job/rolling/allocations",
      (a) => {
        // The rollout moves on only through health reports (max_parallel = 1: the second new
        // allocation is placed once the first is reported healthy), and ends with both healthy.
        const live = a.filter((x) => x.DesiredStatus === "run" && x.ClientStatus === "running");
        return (
          live.length === 2 &&
          live.every((x) => x.JobVersion === 1 && x.DeploymentStatus?.Healthy === true) &&
          a.filter((x) => x.JobVersion === 0).every((x) => x.DesiredStatus !== "run")
        );
      },
      120_000,
      "rolling update to version 1",
    );
    expect(done.filter((x) => x.JobVersion === 1 && x.DesiredStatus === "run")).toHaveLength(2);
  });
});

interface AllocStubWithVersion {
  ID: string;
  DeploymentStatus: { Healthy: boolean | null } | null;
  JobVersion: number;
  DesiredStatus: string;
  ClientStatus: string;
}
