// `npm start`: a local 3-server Drover cluster on loopback, two real client agents, the example
// job examples/web.hcl running as real processes, and the URLs to look at. Ctrl-C stops all of it.
//
//   npm start -- [--data-dir DIR] [--http-port P] [--simulated-nodes N]
//
// s1 takes Nomad's default HTTP port 4646 when it can bind it (so the CLI works with no flags),
// port 0 otherwise. Once the example job's allocations all run, one machine-readable line is
// printed for launchers and the benchmark:
//   {"drover_start_ready":{"http":"http://127.0.0.1:4646","leader":"s1","job":"web",…}}

import { join } from "node:path";
import { performance } from "node:perf_hooks";
import type { NodeSimulator } from "../client/node-sim/node-simulator.js";
import { createLogger } from "../common/log.js";
import type { Allocation, Job, Node } from "../fsm/index.js";
import { isNotFound } from "./commands/common.js";
import { loadJobFile } from "./commands/job.js";
import { DroverClient } from "./http-client.js";
import { type AgentProcess, checkoutRoot, LocalCluster } from "./local-cluster.js";

const CLIENTS = 2;
const NOMAD_HTTP_PORT = 4646;
const WAIT_MS = 60_000;

interface StartFlags {
  dataDir: string | undefined;
  httpPort: number;
  simulatedNodes: number | undefined;
}

function parseFlags(argv: readonly string[]): StartFlags {
  const flags: StartFlags = { dataDir: undefined, httpPort: NOMAD_HTTP_PORT, simulatedNodes: undefined };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] as string;
    const value = argv[i + 1];
    if (flag === "--simulated-nodes") {
      const n = Number(value ?? "3");
      if (!Number.isInteger(n) || n < 1)
        throw new Error(`--simulated-nodes takes a positive integer, not ${value}`);
      flags.simulatedNodes = n;
      if (value !== undefined) i++;
    } else if (flag === "--data-dir") {
      if (value === undefined || value === "") throw new Error("--data-dir takes a directory");
      flags.dataDir = value;
      i++;
    } else if (flag === "--http-port") {
      const p = Number(value);
      if (!Number.isInteger(p) || p < 0 || p > 65535)
        throw new Error(`--http-port takes a port (0-65535), not ${value}`);
      flags.httpPort = p;
      i++;
    } else {
      throw new Error(`unknown flag ${flag} (flags: --data-dir DIR, --http-port P, --simulated-nodes N)`);
    }
  }
  return flags;
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** ANSI colours per agent, when stdout is a terminal and NO_COLOR is not set. */
const COLOURS: Record<string, string> = { s1: "36", s2: "35", s3: "34", c1: "32", c2: "33" };
const useColour = process.stdout.isTTY === true && process.env["NO_COLOR"] === undefined;

/** `s1 │ <line>`: every line an agent writes, prefixed with its name (coloured on a terminal). */
function agentLine(agent: AgentProcess, line: string): void {
  const name = agent.name.padEnd(2);
  const colour = COLOURS[agent.name] ?? "37";
  say(useColour ? `\x1b[${colour}m${name} │\x1b[0m ${line}` : `${name} │ ${line}`);
}

/** Seconds since this process started, to the millisecond: the phases of the ready line. */
const since = (): number => Math.round(performance.now()) / 1000;

async function main(): Promise<void> {
  let flags: StartFlags;
  try {
    flags = parseFlags(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`drover start: ${(error as Error).message}\n`);
    process.exit(2);
  }
  say(
    flags.dataDir === undefined
      ? "drover: starting 3 servers on loopback (data in a temporary folder, removed on exit)"
      : `drover: starting 3 servers on loopback (data in ${flags.dataDir}, kept on exit)`,
  );
  const starting = LocalCluster.start({
    servers: 3,
    firstServerHttpPort: flags.httpPort,
    onOutput: agentLine,
    ...(flags.dataDir === undefined ? {} : { baseDir: flags.dataDir }),
  });
  starting.catch(() => undefined); // awaited below, after the job file is parsed
  // A Ctrl-C while the servers start is kept until they have (LocalCluster then knows every
  // process to stop): the agents run in their own process groups and would outlive us.
  let signalled = false;
  let stop = async (_code: number): Promise<void> => {
    signalled = true;
  };
  // SIGHUP too: a closed terminal must not leave the agents (own process groups) running.
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => void stop(0));
  // `npm start | head`: once the reader is gone, stop as on Ctrl-C instead of dying on EPIPE.
  process.stdout.on("error", () => void stop(0));
  // The example job is parsed while s1 boots (the HCL parser takes a noticeable moment to load).
  const jobFile = join(checkoutRoot(), "examples", "web.hcl");
  const loaded = await loadJobFile(jobFile, {}).catch((error: unknown) => error as Error);
  let cluster: LocalCluster;
  try {
    cluster = await starting;
  } catch (error) {
    process.stderr.write(`drover: ${(error as Error).message}\n`);
    process.exit(1);
  }
  const serversUp = since();
  let sim: NodeSimulator | undefined;
  let stopping = false;
  stop = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    say("\ndrover: stopping…");
    sim?.close();
    await cluster.stop();
    say("drover: stopped");
    process.exit(code);
  };
  if (signalled) return stop(0);
  try {
    if (loaded instanceof Error) throw loaded; // its message names the file (and line)
    const { job, submit } = loaded;
    const expected = job.TaskGroups.reduce((sum, g) => sum + g.Count, 0);
    const s1 = cluster.server("s1");
    say(
      cluster.httpPortFallback !== undefined
        ? `drover: s1 could not take port ${flags.httpPort} (${cluster.httpPortFallback}): its HTTP API is on ${s1.httpUrl}`
        : s1.httpPort === NOMAD_HTTP_PORT
          ? `drover: s1's HTTP API is on Nomad's default port: ${s1.httpUrl}`
          : `drover: s1's HTTP API is on ${s1.httpUrl}`,
    );
    // The clients start while the servers elect a leader (they register once there is one):
    // agent start-up is mostly Node.js loading modules, and overlapping it saves seconds.
    const clientsStarted =
      flags.simulatedNodes === undefined
        ? Promise.all(Array.from({ length: CLIENTS }, () => cluster.addClient()))
        : Promise.resolve([]);
    clientsStarted.catch(() => undefined); // awaited below; a failure surfaces there
    // Said when every server names the same leader; the clients need not wait for that.
    let leaderAt = 0;
    const leaderAgreed = cluster.waitForLeader(WAIT_MS).then((leader) => {
      leaderAt = since();
      say(`drover: leader is ${leader.name} (${leader.rpcAddress})`);
      return leader;
    });
    leaderAgreed.catch(() => undefined); // awaited below; a failure surfaces there
    if (flags.simulatedNodes !== undefined) {
      await leaderAgreed;
      // Loaded only here: `npm start` without simulated nodes need not pay for it.
      const { NodeSimulator } = await import("../client/node-sim/node-simulator.js");
      sim = new NodeSimulator({
        servers: cluster.rpcAddresses(),
        logger: createLogger("sim", { level: process.env["DROVER_LOG_LEVEL"] ?? "warn" }),
        namePrefix: "sim",
      });
      await sim.addNodes(flags.simulatedNodes);
      say(`drover: ${flags.simulatedNodes} simulated client nodes registered (mock driver)`);
      // Simulated nodes run the mock driver only: the same job, with tasks that pretend to run.
      for (const group of (submit as typeof job).TaskGroups) {
        for (const task of group.Tasks) {
          task.Driver = "mock";
          task.Config = { run_for: "1h" };
        }
      }
    } else {
      await clientsStarted;
      const nodes = await waitForReadyNodes(s1, CLIENTS);
      say(`drover: ${CLIENTS} client agents registered`);
      for (const node of nodes) {
        const exec = node.Drivers["exec"];
        say(
          `drover:   ${node.Name}: exec ${exec === undefined ? "missing" : exec.Healthy ? exec.HealthDescription : `unhealthy: ${exec.HealthDescription}`}`,
        );
      }
    }
    const clientsAt = since();
    const api = new DroverClient({ address: s1.httpUrl, env: {} });
    await stopLeftover(api, job.ID);
    const answer = await api.registerJob(submit);
    say(`drover: submitted job "${job.ID}" from examples/web.hcl (evaluation ${answer.EvalID})`);
    const outcome = await waitForRunning(api, job.ID, expected, answer.JobModifyIndex);
    const runningAt = since();
    if (outcome.failure !== undefined) {
      say(`drover: job "${job.ID}" is not running: ${outcome.failure}`);
      say("drover: the cluster keeps running; the agents' logs say more (paths below).");
    } else {
      say(`drover: job "${job.ID}": ${expected}/${expected} allocations running`);
    }
    const leader = await leaderAgreed;
    printUrls(cluster, s1, job.ID, flags);
    if (outcome.failure === undefined) {
      say(
        JSON.stringify({
          drover_start_ready: {
            http: s1.httpUrl,
            leader: leader.name,
            job: job.ID,
            allocations: outcome.allocations,
            timings_s: { servers_up: serversUp, leader: leaderAt, clients: clientsAt, running: runningAt },
          },
        }),
      );
    }
  } catch (error) {
    process.stderr.write(`drover: ${(error as Error).message}\n`);
    await stop(1);
  }
}

/**
 * A cluster started again from `--data-dir` still holds the example job, but its tasks ended
 * with the last Ctrl-C (the clients stop them on shutdown). As in Nomad, a service allocation
 * that completed is not replaced, and registering the unchanged job places nothing. When the
 * clients report those allocations complete is a race with this start, so the job is not judged
 * by its status: a job left from a previous run is stopped, which makes the registration that
 * follows a new version with fresh allocations.
 */
async function stopLeftover(api: DroverClient, jobId: string): Promise<void> {
  let previous: Job;
  try {
    previous = await api.job(jobId);
  } catch (error) {
    if (isNotFound(error)) return;
    throw error;
  }
  if (previous.Stop) return;
  say(
    `drover: job "${jobId}" is left from the previous run (its tasks ended with it): stopping it to run it again`,
  );
  await api.deregisterJob(jobId, false);
}

function printUrls(cluster: LocalCluster, s1: AgentProcess, jobId: string, flags: StartFlags): void {
  const env = s1.httpPort === NOMAD_HTTP_PORT ? "" : `DROVER_ADDR=${s1.httpUrl} `;
  say("");
  say(`  HTTP API  ${s1.httpUrl}/v1/jobs`);
  say(`  metrics   ${s1.httpUrl}/v1/metrics?format=prometheus`);
  // The web UI's URL joins these once there is a UI to serve: a link that answers 404 would only
  // mislead.
  say("");
  for (const a of [...cluster.servers, ...cluster.clients]) {
    say(`  ${a.name.padEnd(3)} ${a.kind.padEnd(7)} ${a.httpUrl.padEnd(24)} log ${a.logFile}`);
  }
  say("");
  say("  try:");
  say(`    ${env}npx drover job status ${jobId}`);
  say(`    ${env}npx drover node status`);
  say(`    curl ${s1.httpUrl}/v1/job/${jobId}/allocations`);
  say("");
  say(
    flags.dataDir === undefined
      ? "  Ctrl-C stops everything and removes the temporary folder."
      : `  Ctrl-C stops everything; \`npm start -- --data-dir ${flags.dataDir}\` starts it again from there.`,
  );
}

/** Waits (blocking queries) until `count` nodes are ready; returns them with their drivers. */
async function waitForReadyNodes(
  server: AgentProcess,
  count: number,
): Promise<Array<Pick<Node, "Name" | "Drivers">>> {
  const api = new DroverClient({ address: server.httpUrl, env: {} });
  let index = 0;
  const deadline = Date.now() + WAIT_MS;
  while (Date.now() < deadline) {
    const res = await fetch(`${server.httpUrl}/v1/nodes?index=${index}&wait=5s`);
    if (res.status !== 200) {
      // No leader yet (the servers are still electing one): ask again shortly.
      await res.body?.cancel();
      await new Promise((r) => setTimeout(r, 50));
      continue;
    }
    const nodes = (await res.json()) as Array<{ ID: string; Status: string }>;
    index = Number(res.headers.get("x-nomad-index") ?? "0");
    const ready = nodes.filter((n) => n.Status === "ready");
    if (ready.length >= count) return Promise.all(ready.map((n) => api.node(n.ID)));
  }
  throw new Error(`fewer than ${count} client nodes became ready within ${WAIT_MS / 1000} s`);
}

interface RunOutcome {
  /** How many allocations run. */
  allocations: number;
  /** Why the job does not run (a task that failed, or the wait ran out), if it does not. */
  failure?: string;
}

/**
 * Waits (blocking queries on the job's allocations) until `count` of them run. A failed
 * allocation ends the wait with its task's last event as the reason: exec is what `npm start`
 * needs, and its failure (no `node` in PATH, a host that refuses it) must be said, not hidden.
 */
async function waitForRunning(
  api: DroverClient,
  jobId: string,
  count: number,
  registeredIndex: number,
): Promise<RunOutcome> {
  let index = 0;
  const deadline = Date.now() + WAIT_MS;
  let running = 0;
  while (Date.now() < deadline) {
    const res = await fetch(
      `${api.address}/v1/job/${encodeURIComponent(jobId)}/allocations?index=${index}&wait=5s`,
    );
    const allocs = (await res.json()) as Allocation[];
    index = Number(res.headers.get("x-nomad-index") ?? "0");
    // Only this registration's allocations: a previous run's (from --data-dir) stay as history.
    const ours = allocs.filter((a) => a.DesiredStatus === "run" && a.CreateIndex > registeredIndex);
    running = ours.filter((a) => a.ClientStatus === "running").length;
    if (running >= count) return { allocations: running };
    const failed = ours.find((a) => a.ClientStatus === "failed");
    if (failed !== undefined) return { allocations: running, failure: await whyFailed(api, failed.ID) };
  }
  return {
    allocations: running,
    failure: `${running}/${count} allocations running after ${WAIT_MS / 1000} s`,
  };
}

async function whyFailed(api: DroverClient, allocId: string): Promise<string> {
  const alloc = await api.allocation(allocId);
  for (const [task, state] of Object.entries(alloc.TaskStates ?? {})) {
    const event = [...state.Events].reverse().find((e) => e.DisplayMessage !== "");
    if (state.Failed && event !== undefined)
      return `task "${task}" of ${alloc.Name}: ${event.DisplayMessage}`;
  }
  return `allocation ${alloc.Name} failed (drover alloc status ${allocId})`;
}

await main();
