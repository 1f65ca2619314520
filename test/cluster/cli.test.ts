import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AgentProcess, LocalCluster } from "../../src/cli/local-cluster.js";
import { clientNodeId } from "./client-helpers.js";

const bin = join(import.meta.dirname, "..", "..", "bin", "drover.js");

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** The built CLI as a child process (stdout a pipe, so not a TTY), against `addr`. */
function drover(addr: string, args: readonly string[], timeoutMs = 30_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      env: { ...process.env, DROVER_ADDR: addr, DROVER_TOKEN: "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`drover ${args.join(" ")}: no exit within ${timeoutMs} ms; stdout ${stdout}`));
    }, timeoutMs);
    child.on("error", reject);
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

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

  const run = (...args: string[]): Promise<Run> => drover(addr, args);

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
