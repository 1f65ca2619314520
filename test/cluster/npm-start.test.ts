import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { drover } from "./cli-runner.js";
import type { AllocDetail, AllocStub } from "./client-helpers.js";

const START = join(import.meta.dirname, "..", "..", "dist", "src", "cli", "start.js");

interface Ready {
  http: string;
  leader: string;
  job: string;
  allocations: number;
}

/** `npm start`'s process: every stdout line kept, resolves `ready` on its ready line. */
function startCluster(args: readonly string[]): {
  child: ChildProcess;
  lines: string[];
  ready: Promise<Ready>;
} {
  const child = spawn(process.execPath, [START, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    // A process group of its own, as a shell gives a foreground command: a Ctrl-C at a terminal
    // signals that whole group.
    detached: true,
    env: { ...process.env, DROVER_LOG_LEVEL: "info" },
  });
  const lines: string[] = [];
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const ready = new Promise<Ready>((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
      lines.push(line);
      if (/^drover: job "[^"]*" is not running/.test(line)) reject(new Error(line));
      if (line.startsWith('{"drover_start_ready"'))
        resolve((JSON.parse(line) as { drover_start_ready: Ready }).drover_start_ready);
    });
    child.once("exit", (code) =>
      reject(new Error(`start exited (${code}) before ready: ${stderr}\n${lines.join("\n")}`)),
    );
  });
  return { child, lines, ready };
}

/** Pids of live processes whose environment holds `NAME=value` (readable for our own processes). */
function pidsWithEnv(entry: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/environ`, "latin1").split("\0").includes(entry))
        pids.push(Number(name));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return pids;
}

/** Pids of live processes whose command line mentions `text`. */
function pidsWithArg(text: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, "latin1").includes(text)) pids.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** The process group of a live process (field 5 of /proc/PID/stat). */
function processGroupOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
}

/** A process that still exists and is not a zombie waiting for its parent. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

// `npm start` as an operator meets it: the built script as a child process (not via npm), its
// ready line, the example job's real processes answering HTTP, the CLI pointed at the printed
// address, then Ctrl-C (SIGINT) leaving nothing behind.
describe("npm start", () => {
  let dir: string;
  // A port held by this test: s1 is asked for it, cannot bind it, and must fall back to port 0
  // (what happens when 4646 is taken, without depending on whether 4646 is free here).
  let held: Server;
  let heldPort: number;
  let run: ReturnType<typeof startCluster>;
  let ready: Ready;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "drover-npm-start-"));
    held = createServer();
    await new Promise<void>((resolve) => held.listen(0, "127.0.0.1", resolve));
    heldPort = (held.address() as { port: number }).port;
    run = startCluster(["--data-dir", join(dir, "data"), "--http-port", String(heldPort)]);
    ready = await run.ready;
  });

  afterAll(async () => {
    run?.child.kill("SIGKILL");
    for (const pid of pidsWithArg(join(dir, "data"))) process.kill(pid, "SIGKILL");
    held?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("says s1 could not take the port it asked for, and serves on the address it prints", async () => {
    expect(run.lines).toContainEqual(expect.stringContaining(`s1 could not take port ${heldPort}`));
    expect(run.lines).toContainEqual(expect.stringContaining("EADDRINUSE"));
    expect(ready.http).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(ready.http).not.toBe(`http://127.0.0.1:${heldPort}`);
    expect(run.lines).toContainEqual(`  metrics   ${ready.http}/v1/metrics?format=prometheus`);
    const leader = (await (await fetch(`${ready.http}/v1/status/leader`)).json()) as string;
    expect(leader).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it("prefixes each agent's output with its name, without colour when stdout is not a terminal", () => {
    for (const name of ["s1", "s2", "s3", "c1", "c2"]) {
      expect(run.lines.some((l) => l.startsWith(`${name} │ `))).toBe(true);
    }
    expect(run.lines.some((l) => l.includes("\x1b["))).toBe(false);
  });

  it("runs examples/web.hcl: every allocation running, each task answering HTTP on its port", async () => {
    expect(ready.job).toBe("web");
    const allocs = (await (await fetch(`${ready.http}/v1/job/web/allocations`)).json()) as AllocStub[];
    const live = allocs.filter((a) => a.DesiredStatus === "run");
    expect(live).toHaveLength(2);
    for (const stub of live) {
      expect(stub.ClientStatus).toBe("running");
      const alloc = (await (await fetch(`${ready.http}/v1/allocation/${stub.ID}`)).json()) as AllocDetail;
      const port = alloc.AllocatedResources.Shared.Ports.find((p) => p.Label === "http");
      expect(port).toBeDefined();
      const { HostIP, Value } = port as { HostIP: string; Value: number };
      // The task prints "listening" once bound, which may be a moment after the client reports
      // it running: retry a refused connection until it answers (bounded by the test timeout).
      let body = "";
      while (body === "") {
        body = await fetch(`http://${HostIP}:${Value}/`).then(
          (r) => r.text(),
          () => "",
        );
      }
      expect(body).toBe(`hello from ${alloc.Name}\n`);
    }
  });

  it("answers `drover job status web` at the printed address", async () => {
    const status = await drover(ready.http, ["job", "status", "web"]);
    expect(status.stderr).toBe("");
    expect(status.status).toBe(0);
    expect(status.stdout).toMatch(/ID\s+= web/);
    expect(status.stdout).toContain("running");
  });

  it("stops everything on a terminal's Ctrl-C and exits 0, leaving no agent or task process", async () => {
    const allocs = (await (await fetch(`${ready.http}/v1/job/web/allocations`)).json()) as AllocStub[];
    const taskPids = allocs.flatMap((a) => pidsWithEnv(`NOMAD_ALLOC_ID=${a.ID}`));
    expect(taskPids.length).toBeGreaterThanOrEqual(2);
    const agentPids = pidsWithArg(join(dir, "data"));
    expect(agentPids.length).toBeGreaterThanOrEqual(5);
    // The agents share the harness's process group, so SIGINT reaches all of them at once, as
    // from a terminal: they leave it to the harness, which stops them in order.
    // (Tasks have sessions of their own and are not part of that.) The harness and the agents are
    // the processes given a --data-dir under ours (arguments are NUL-separated in cmdline).
    const harnessAndAgents = pidsWithArg(`--data-dir\0${join(dir, "data")}`);
    expect(harnessAndAgents.length).toBeGreaterThanOrEqual(6);
    expect(harnessAndAgents.map(processGroupOf)).toEqual(harnessAndAgents.map(() => run.child.pid));
    const exited = new Promise<number | null>((resolve) => run.child.once("exit", (code) => resolve(code)));
    process.kill(-(run.child.pid as number), "SIGINT");
    expect(await exited).toBe(0);
    expect(run.lines).toContain("drover: stopped");
    expect([...taskPids, ...agentPids].filter(alive)).toEqual([]);
  });

  it("starts again from the same --data-dir: the stored cluster comes back and runs the job again", async () => {
    const before = readdirSync(join(dir, "data"));
    expect(before).toEqual(expect.arrayContaining(["cluster.json", "s1", "s2", "s3", "c1", "c2"]));
    run = startCluster(["--data-dir", join(dir, "data"), "--http-port", String(heldPort)]);
    const again = await run.ready;
    expect(run.lines).toContainEqual(expect.stringContaining('job "web" is left from the previous run'));
    const job = (await (await fetch(`${again.http}/v1/job/web`)).json()) as { Version: number };
    expect(job.Version).toBeGreaterThan(0);
    const allocs = (await (await fetch(`${again.http}/v1/job/web/allocations`)).json()) as Array<
      AllocStub & { JobVersion: number }
    >;
    // The previous run's allocations ended with it (complete, kept as history, as in Nomad);
    // the new version's two run.
    const current = allocs.filter((a) => a.JobVersion === job.Version && a.DesiredStatus === "run");
    expect(current.map((a) => a.ClientStatus)).toEqual(["running", "running"]);
    const older = allocs.filter((a) => a.JobVersion < job.Version);
    expect(older.filter((a) => a.ClientStatus === "running")).toEqual([]);
    // The same two client nodes (their identity is in their data directories), no new ones.
    const nodes = (await (await fetch(`${again.http}/v1/nodes`)).json()) as Array<{ Name: string }>;
    expect(nodes.map((n) => n.Name).sort()).toEqual(["c1", "c2"]);
    const exited = new Promise<number | null>((resolve) => run.child.once("exit", (code) => resolve(code)));
    run.child.kill("SIGINT");
    expect(await exited).toBe(0);
  });
});
