// `npm start`: a local 3-server Drover cluster on loopback, simulated client nodes, an example
// job, and the URLs to look at. Ctrl-C stops all of it.
import { NodeSimulator } from "../client/node-sim/node-simulator.js";
import { createLogger } from "../shared/log.js";
import { LocalCluster } from "./local-cluster.js";

const SIM_NODES = 3;

const EXAMPLE_JOB = {
  Job: {
    ID: "example",
    Name: "example",
    Type: "service",
    Datacenters: ["dc1"],
    TaskGroups: [
      {
        Name: "cache",
        Count: 3,
        Tasks: [
          {
            Name: "redis",
            Driver: "mock",
            Config: { run_for: "1h" },
            Resources: { CPU: 100, MemoryMB: 128 },
          },
        ],
      },
    ],
  },
};

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function main(): Promise<void> {
  const logger = createLogger("start", { level: process.env["DROVER_LOG_LEVEL"] ?? "warn" });
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
    // The real client agent is the next step; until then simulated nodes speak the same client RPCs.
    sim = new NodeSimulator({ servers: cluster.rpcAddresses(), logger, namePrefix: "client" });
    await sim.addNodes(SIM_NODES);
    say(`drover: ${SIM_NODES} simulated client nodes registered (the real client agent is not built yet)`);
    const submitted = await cluster.http<{ EvalID: string }>(leader, "POST", "/v1/jobs", EXAMPLE_JOB);
    if (submitted.status !== 200) throw new Error(`example job rejected: ${JSON.stringify(submitted.body)}`);
    say(`drover: submitted job "example" (eval ${submitted.body.EvalID})`);
    say("");
    for (const s of cluster.servers) {
      say(`  ${s.name}  API     ${s.httpUrl}/v1/jobs`);
      say(`      metrics ${s.httpUrl}/v1/metrics?format=prometheus`);
      say(`      gRPC    ${s.rpcAddress}    log ${s.logFile}`);
    }
    say("");
    say(`  try: curl ${leader.httpUrl}/v1/job/example/allocations`);
    say("  Ctrl-C stops everything.");
  } catch (error) {
    process.stderr.write(`drover: ${(error as Error).message}\n`);
    await stop(1);
  }
}

await main();
