import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AgentProcess, LocalCluster } from "../../src/cli/local-cluster.js";
import { type CliRun, drover } from "./cli-runner.js";
import { clientNodeId } from "./client-helpers.js";

const shellJob = (id: string, script: string, driver = "raw_exec"): string => `
job "${id}" {
  datacenters = ["dc1"]
  type        = "service"

  group "web" {
    count = 1

    task "t" {
      driver = "${driver}"
      kill_timeout = "2s"
      config {
        command = "/bin/sh"
        args    = ["-c", ${JSON.stringify(script)}]
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
`;

/** A service job of two raw_exec sleeps with a canary update that waits for a manual promotion. */
const canaryJob = (version: string): string => `
job "canary" {
  datacenters = ["dc1"]

  group "web" {
    count = 2

    update {
      max_parallel      = 1
      canary            = 1
      auto_promote      = false
      health_check      = "task_states"
      min_healthy_time  = "300ms"
      healthy_deadline  = "30s"
      progress_deadline = "60s"
    }

    task "t" {
      driver = "raw_exec"
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

/** Retries `fn` until `ok` accepts its result (tasks write their output a moment after starting). */
async function until<T>(fn: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await fn();
  while (!ok(last) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 300));
    last = await fn();
  }
  return last;
}

// One real server and one real client agent; every command is the built CLI in a child process,
// as a user runs it, with DROVER_ADDR pointing at the server.
describe("drover CLI against a real cluster", () => {
  let cluster: LocalCluster;
  let client: AgentProcess;
  let addr: string;
  let dir: string;
  let allocId = "";

  const run = (...args: string[]): Promise<CliRun> => drover(addr, args);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "drover-cli-test-"));
    cluster = await LocalCluster.start({ servers: 1 });
    const server = await cluster.waitForLeader(60_000);
    addr = server.httpUrl;
    client = await cluster.addClient();
    await clientNodeId(cluster, client);
  });

  afterAll(async () => {
    await cluster?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("job run follows a raw_exec job to running with plain progress lines, exit 0", async () => {
    const file = join(dir, "web.hcl");
    await writeFile(
      file,
      shellJob("web", "echo hello from the cli test; echo to-stderr >&2; exec sleep 300"),
    );
    const res = await run("job", "run", file);
    expect(res.status, res.stdout + res.stderr).toBe(0);
    expect(res.stdout).toMatch(/Monitoring evaluation "[0-9a-f]{8}"/);
    expect(res.stdout).toMatch(/Evaluation "[0-9a-f]{8}" finished with status "complete"/);
    expect(res.stdout).toContain('Task Group "web": desired 1, placed 1, running 1, healthy 0, failed 0');
    expect(res.stdout).toContain('Job "web" is running: 1 of 1 allocations running');
    // Not a TTY: no progress bar, no cursor movement.
    expect(res.stdout).not.toContain("\u001b[");
  });

  it("job status lists jobs and shows one job's summary and allocations", async () => {
    const list = await run("job", "status");
    expect(list.status).toBe(0);
    expect(list.stdout).toMatch(/^ID\s+Type\s+Priority\s+Status\s+Submit Date$/m);
    expect(list.stdout).toMatch(/^web\s+service\s+50\s+running/m);

    const one = await run("job", "status", "web");
    expect(one.status, one.stderr).toBe(0);
    expect(one.stdout).toMatch(/^Status\s+= running$/m);
    expect(one.stdout).toMatch(/^web\s+0\s+0\s+1\s+0\s+0\s+0\s+0$/m);
    const row = /^([0-9a-f]{8})\s+[0-9a-f]{8}\s+web\s+0\s+run\s+running/m.exec(one.stdout);
    expect(row, one.stdout).not.toBeNull();
    allocId = row?.[1] as string;

    const json = await run("job", "status", "web", "-json");
    expect(JSON.parse(json.stdout).Job.ID).toBe("web");
  });

  it("alloc status shows the task's state and recent events by ID prefix", async () => {
    const res = await run("alloc", "status", allocId.slice(0, 6));
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout).toMatch(new RegExp(`^ID\\s+= ${allocId}$`, "m"));
    expect(res.stdout).toMatch(/^Client Status\s+= running$/m);
    expect(res.stdout).toContain('Task "t" is "running"');
    expect(res.stdout).toMatch(/^\S+\s+Started\s+Task started by client$/m);
  });

  it("alloc logs prints what the task wrote (stdout, -stderr, -tail -n)", async () => {
    const out = await until(
      () => run("alloc", "logs", allocId),
      (r) => r.stdout.includes("hello from the cli test"),
    );
    expect(out.status, out.stderr).toBe(0);
    expect(out.stdout).toBe("hello from the cli test\n");
    const err = await run("alloc", "logs", "-stderr", allocId, "t");
    expect(err.stdout).toBe("to-stderr\n");
    const tail = await run("alloc", "logs", "-tail", "-n", "1", allocId);
    expect(tail.stdout).toBe("hello from the cli test\n");
  });

  it("job run of a job that cannot be placed exits 2 and says why", async () => {
    const file = join(dir, "nodriver.hcl");
    await writeFile(file, shellJob("nodriver", "true", "docker"));
    const res = await run("job", "run", file);
    expect(res.status, res.stdout + res.stderr).toBe(2);
    expect(res.stdout).toContain('Task Group "web" (failed to place 1 allocation):');
    expect(res.stdout).toContain("* 1 missing drivers");
    expect(res.stdout).toMatch(/waiting for additional capacity/);

    const status = await run("job", "status", "nodriver");
    expect(status.stdout).toContain("Placement Failure");
    expect(status.stdout).toContain("1 missing drivers");
  });

  it("a bad job file exits 1 with file:line,col and no stack trace", async () => {
    const file = join(dir, "bad.hcl");
    await writeFile(
      file,
      'job "bad" {\n  group "g" {\n    count = -1\n    task "t" {\n      driver = "raw_exec"\n    }\n  }\n}\n',
    );
    const res = await run("job", "run", file);
    expect(res.status).toBe(1);
    expect(res.stderr).toMatch(new RegExp(`^${file.replace(/\./g, "\\.")}:3,\\d+: .*count`));
    expect(res.stderr).not.toMatch(/\n\s+at /);
    expect(res.stdout).toBe("");
  });

  it("var put/get with -check-index: a stale index is a conflict, exit 1", async () => {
    const put = await run("var", "put", "-check-index", "0", "app/cfg", "color=blue", "size=2");
    expect(put.status, put.stderr).toBe(0);
    const index = Number(/check index (\d+)/.exec(put.stdout)?.[1]);
    expect(index).toBeGreaterThan(0);

    const get = await run("var", "get", "app/cfg");
    expect(get.stdout).toMatch(/^color = blue$/m);
    expect(get.stdout).toMatch(new RegExp(`^Check Index = ${index}$`, "m"));

    const update = await run("var", "put", "app/cfg", "color=green", "-check-index", String(index));
    expect(update.status, update.stderr).toBe(0);

    const stale = await run("var", "put", "app/cfg", "color=red", "-check-index", String(index));
    expect(stale.status).toBe(1);
    expect(stale.stderr).toMatch(
      /Check-and-set conflict on variable "app\/cfg": it was changed since check index/,
    );
    expect((await run("var", "get", "app/cfg", "-item", "color")).stdout).toBe("green\n");
  });

  it("node status, eval list and server members show the cluster", async () => {
    const nodes = await run("node", "status");
    expect(nodes.stdout).toMatch(
      new RegExp(`^[0-9a-f]{8}\\s+default\\s+dc1\\s+${client.name}\\s+.*ready$`, "m"),
    );
    const evals = await run("eval", "list");
    expect(evals.stdout).toMatch(/job-register\s+nodriver\s+<none>\s+complete\s+true/);
    const members = await run("server", "members");
    expect(members.stdout).toMatch(/^127\.0\.0\.1:\d+\s+alive\s+true$/m);
  });

  it("job run follows a canary deployment to its promotion; deployment promote completes it", async () => {
    const file = join(dir, "canary.hcl");
    await writeFile(file, canaryJob("1"));
    const first = await run("job", "run", file);
    expect(first.status, first.stdout + first.stderr).toBe(0);
    expect(first.stdout).toMatch(/Deployment "[0-9a-f]{8}" successful: Deployment completed successfully/);

    await writeFile(file, canaryJob("2"));
    const second = await run("job", "run", file);
    expect(second.status, second.stdout + second.stderr).toBe(0);
    expect(second.stdout).toMatch(
      /Task Group "web" \(not promoted\): desired 2, canaries 1\/1, placed 1, healthy 1/,
    );
    const id = /Deployment "([0-9a-f]{8})" requires manual promotion/.exec(second.stdout)?.[1] as string;
    expect(id, second.stdout).toBeDefined();

    const list = await run("deployment", "list");
    expect(list.stdout).toMatch(new RegExp(`^${id}\\s+canary\\s+1\\s+running`, "m"));
    const status = await run("deployment", "status", id);
    expect(status.status, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/^Status\s+= running$/m);
    expect(status.stdout).toMatch(/^web\s+false\s+2\s+1\s+1\s+1\s+0\s+/m);

    const promote = await run("deployment", "promote", id);
    expect(promote.status, promote.stdout + promote.stderr).toBe(0);
    expect(promote.stdout).toContain(`Deployment "${id}" promoted`);
    expect(promote.stdout).toMatch(/Deployment "[0-9a-f]{8}" successful/);

    const history = await run("job", "history", "canary");
    expect(history.stdout).toMatch(/^Version\s+= 1\nStable\s+= true$/m);
    expect(history.stdout).toMatch(/^Version\s+= 0\nStable\s+= true$/m);
    const deployments = await run("job", "deployments", "canary");
    expect(deployments.stdout).toMatch(new RegExp(`^${id}\\s+canary\\s+1\\s+successful`, "m"));
    expect(deployments.stdout).toMatch(/^[0-9a-f]{8}\s+canary\s+0\s+successful/m);
  });

  it("job revert runs version 0 again; deployment pause, resume and fail steer its deployment", async () => {
    const revert = await run("job", "revert", "canary", "0");
    expect(revert.status, revert.stdout + revert.stderr).toBe(0);
    expect(revert.stdout).toContain('Job "canary" reverted to version 0');
    const id = /Deployment "([0-9a-f]{8})" requires manual promotion/.exec(revert.stdout)?.[1] as string;
    expect(id, revert.stdout).toBeDefined();
    expect((await run("job", "history", "canary", "-job-version", "2")).stdout).toMatch(
      /^Stable\s+= false$/m,
    );

    expect((await run("deployment", "pause", id)).stdout).toContain(`Deployment "${id}" paused`);
    expect((await run("deployment", "status", id)).stdout).toMatch(/^Status\s+= paused$/m);
    const resume = await run("deployment", "resume", "-detach", id);
    expect(resume.stdout).toContain(`Deployment "${id}" resumed`);
    const fail = await run("deployment", "fail", id);
    expect(fail.status, fail.stderr).toBe(0);
    expect(fail.stdout).toContain(`Deployment "${id}" marked as failed`);
    expect((await run("deployment", "status", id)).stdout).toMatch(
      /^Description\s+= Deployment marked as failed$/m,
    );

    const late = await run("deployment", "promote", id);
    expect(late.status).toBe(1);
    expect(late.stderr).toMatch(
      /^Error promoting deployment: deployment [0-9a-f-]+ has terminal status "failed"\n$/,
    );
    expect((await run("job", "revert", "canary", "42")).stderr).toBe(
      "Error reverting job: job canary has no version 42\n",
    );
  });

  it("job scale, alloc stop and job eval act on a job without deployments", async () => {
    const scale = await run("job", "scale", "web", "2");
    expect(scale.status, scale.stdout + scale.stderr).toBe(0);
    expect(scale.stdout).toContain('Task group "web" of job "web" scaled to 2');
    expect(scale.stdout).toMatch(/finished with status "complete"/);
    const running = (r: CliRun): number =>
      (r.stdout.match(/^[0-9a-f]{8}\s+[0-9a-f]{8}\s+web\s+\d+\s+run\s+running/gm) ?? []).length;
    expect(
      running(
        await until(
          () => run("job", "status", "web"),
          (r) => running(r) === 2,
        ),
      ),
    ).toBe(2);

    const stop = await run("alloc", "stop", allocId);
    expect(stop.status, stop.stdout + stop.stderr).toBe(0);
    expect(stop.stdout).toContain(`Allocation "${allocId}" stopped`);
    const stopped = new RegExp(`^${allocId}\\s+\\S+\\s+web\\s+\\d+\\s+stop`, "m");
    const after = await until(
      () => run("job", "status", "web"),
      (r) => running(r) === 2 && stopped.test(r.stdout),
    );
    expect(after.stdout).toMatch(stopped);
    expect(running(after)).toBe(2);
    expect((await run("alloc", "stop", allocId)).stderr).toMatch(
      /^Error stopping allocation: .*already stopped/,
    );

    const evaluate = await run("job", "eval", "web");
    expect(evaluate.status, evaluate.stderr).toBe(0);
    expect(evaluate.stdout).toMatch(/finished with status "complete"/);
    const bad = await run("job", "scale", "web", "nope", "1");
    expect(bad.status).toBe(1);
    expect(bad.stderr).toBe('Error scaling job: job web has no task group "nope"\n');
  });

  it("job stop stops the job; a missing job is one line, exit 1", async () => {
    const res = await run("job", "stop", "web");
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/finished with status "complete"/);
    const after = await until(
      () => run("job", "status", "web"),
      (r) => /^Status\s+= dead \(stopped\)$/m.test(r.stdout),
    );
    expect(after.stdout).toMatch(/^Status\s+= dead \(stopped\)$/m);

    const missing = await run("job", "status", "nope");
    expect(missing.status).toBe(1);
    expect(missing.stderr).toBe("No job with ID nope\n");
  });

  it("node eligibility and node drain switch a node on and off", async () => {
    const nodeId = await clientNodeId(cluster, client);
    const short = nodeId.slice(0, 8);
    const row = async (): Promise<string> =>
      (await run("node", "status")).stdout.split("\n").find((l) => l.startsWith(short)) ?? "";

    const off = await run("node", "eligibility", "-disable", short);
    expect(off.status, off.stderr).toBe(0);
    expect(off.stdout).toBe(`Node "${short}" scheduling eligibility set: ineligible for scheduling\n`);
    expect(await row()).toMatch(/false\s+ineligible\s+ready$/);
    expect((await run("node", "eligibility", "-enable", short)).status).toBe(0);
    expect(await row()).toMatch(/false\s+eligible\s+ready$/);

    // -detach: set the drain and return (whether the drain is still running depends on what the
    // node runs; the recorded node event does not).
    const drain = await run(
      "node",
      "drain",
      "-enable",
      "-detach",
      "-deadline",
      "1h",
      "-ignore-system",
      short,
    );
    expect(drain.status, drain.stderr).toBe(0);
    expect(drain.stdout).toBe(`Node "${short}" drain strategy set\n`);
    expect(await row()).toMatch(/\s+ineligible\s+ready$/);
    const events = JSON.parse((await run("node", "status", "-json", short)).stdout) as {
      Events: Array<{ Message: string }>;
    };
    expect(events.Events.map((e) => e.Message)).toContain("Node drain strategy set");
    expect((await run("node", "drain", "-disable", short)).stdout).toBe(
      `Node "${short}" drain strategy unset\n`,
    );
    expect(await row()).toMatch(/false\s+eligible\s+ready$/);

    const neither = await run("node", "drain", short);
    expect(neither.status).toBe(1);
    expect(neither.stderr).toBe("Give exactly one of -enable or -disable\n");
    const both = await run("node", "drain", "-monitor", "-enable", short);
    expect(both.status).toBe(1);
    expect(both.stderr).toBe("-monitor cannot be combined with -enable, -disable or -detach\n");
    // No drain running: -monitor says so and ends.
    const monitor = await run("node", "drain", "-monitor", short);
    expect(monitor.status, monitor.stderr).toBe(0);
    expect(monitor.stdout).toMatch(new RegExp(`: No drain strategy set for node ${short}$`, "m"));
  });

  it("an unreachable agent is one line, exit 1", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as { port: number }).port;
    await new Promise((resolve) => closed.close(resolve));
    const res = await drover(`http://127.0.0.1:${port}`, ["job", "status"]);
    expect(res.status).toBe(1);
    expect(res.stderr).toBe(`Error querying the agent at http://127.0.0.1:${port}: connection refused\n`);
  });
});
