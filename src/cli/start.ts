// `npm start`: a local 3-server Drover cluster on loopback, two real client agents, an example
// job whose tasks are real processes, and the URLs to look at. Ctrl-C stops all of it.
// `npm start -- --simulated-nodes N` registers N simulated nodes instead of real clients.
import { NodeSimulator } from "../client/node-sim/node-simulator.js";
import { createLogger } from "../shared/log.js";
import { LocalCluster } from "./local-cluster.js";

const CLIENTS = 2;

/**
 * A small web service: each instance is a Node.js HTTP server on its dynamic port, answering
 * with its allocation's name; `raw_exec` runs it as a real process on a client.
 */
function exampleJob(simulated: boolean): unknown {
  const server =
    "require('http').createServer((q, r) => r.end('hello from ' + process.env.NOMAD_ALLOC_NAME + '\\n'))" +
    ".listen(+process.env.NOMAD_PORT_http, process.env.NOMAD_IP_http, () => console.log('listening on', process.env.NOMAD_ADDR_http))";
  return {
    Job: {
      ID: "example",
      Name: "example",
      Type: "service",
      Datacenters: ["dc1"],
      TaskGroups: [
        {
          Name: "web",
          Count: 3,
          Networks: [{ Mode: "host", DynamicPorts: [{ Label: "http" }] }],
          Update: { MaxParallel: 1, MinHealthyTime: 2e9, HealthyDeadline: 60e9 },
          Tasks: [
            simulated
              ? {
                  Name: "server",
                  Driver: "mock",
                  Config: { run_for: "1h" },
                  Resources: { CPU: 100, MemoryMB: 64 },
                }
              : {
                  Name: "server",
                  Driver: "raw_exec",
                  Config: { command: process.execPath, args: ["-e", server] },
                  Resources: { CPU: 100, MemoryMB: 64 },
                },
          ],
        },
      ],
    },
  };
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

function simulatedNodesFlag(argv: readonly string[]): number | undefined {
  const at = argv.indexOf("--simulated-nodes");
  if (at < 0) return undefined;
  const value = Number(argv[at + 1] ?? "3");
  if (!Number.isInteger(value) || value < 1) throw new Error("--simulated-nodes takes a positive integer");
  return value;
}

async function main(): Promise<void> {
  const logger = createLogger("start", { level: process.env["DROVER_LOG_LEVEL"] ?? "warn" });
  const simulated = simulatedNodesFlag(process.argv.slice(2));
  say("drover: starting 3 servers on loopback…");
  const cluster = await LocalCluster.start({ servers: 3 });
  let sim: NodeSimulator | undefined;
  let stopping = false;
  const stop = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    say("\ndrover: stopping…");
    sim?.close();
    await cluster.stop();
    say("drover: stopped");
    process.exit(code);
  };
  process.on("SIGINT", () => void stop(0));
  process.on("SIGTERM", () => void stop(0));
  try {
    const leader = await cluster.waitForLeader(60_000);
    say(`drover: leader is ${leader.name} (${leader.rpcAddress})`);
    if (simulated !== undefined) {
      sim = new NodeSimulator({ servers: cluster.rpcAddresses(), logger, namePrefix: "sim" });
      await sim.addNodes(simulated);
      say(`drover: ${simulated} simulated client nodes registered`);
    } else {
      for (let i = 0; i < CLIENTS; i++) await cluster.addClient();
      await waitForReadyNodes(cluster, leader, CLIENTS);
      say(`drover: ${CLIENTS} client agents registered (raw_exec and mock enabled)`);
    }
    const submitted = await cluster.http<{ EvalID: string }>(
      leader,
      "POST",
      "/v1/jobs",
      exampleJob(simulated !== undefined),
    );
    if (submitted.status !== 200) throw new Error(`example job rejected: ${JSON.stringify(submitted.body)}`);
    say(`drover: submitted job "example" (eval ${submitted.body.EvalID})`);
    say("");
    for (const s of cluster.servers) {
      say(`  ${s.name}  API     ${s.httpUrl}/v1/jobs`);
      say(`      metrics ${s.httpUrl}/v1/metrics?format=prometheus`);
      say(`      gRPC    ${s.rpcAddress}    log ${s.logFile}`);
    }
    for (const c of cluster.clients)
      say(`  ${c.name}  API     ${c.httpUrl}/v1/metrics?format=prometheus    log ${c.logFile}`);
    say("");
    say(`  try: curl ${leader.httpUrl}/v1/job/example/allocations`);
    say("  Ctrl-C stops everything.");
  } catch (error) {
    process.stderr.write(`drover: ${(error as Error).message}\n`);
    await stop(1);
  }
}

/** Waits (with blocking queries) until `count` nodes are ready. */
async function waitForReadyNodes(
  cluster: LocalCluster,
  server: LocalCluster["servers"][number],
  count: number,
): Promise<void> {
  let index = 0;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const res = await cluster.http<Array<{ Status: string }>>(
      server,
      "GET",
      `/v1/nodes?index=${index}&wait=5s`,
    );
    if (res.status === 200 && res.body.filter((n) => n.Status === "ready").length >= count) return;
    index = res.index;
  }
  throw new Error(`fewer than ${count} client nodes became ready within 60 s`);
}

await main();
