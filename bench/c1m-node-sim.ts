/**
 * The node simulator of bench/c1m.ts, run as its own child process (`fork`): 5,000 simulated
 * clients keep one core busy on their own, so they must not share an event loop with the harness,
 * and their CPU time must be measurable apart from the servers' (sim_cpu_share).
 *
 * Protocol over the IPC channel: the parent passes a SimProcessConfig as JSON in argv[2]; the child
 * registers the nodes (an equal share per node class) and sends {type: "registered"}; it answers
 * {type: "stats"} with the summed NodeSimulatorStats; {type: "close"} (or the parent going away)
 * closes every stream and exits.
 */
import { NodeSimulator, type NodeSimulatorStats } from "../src/client/node-sim/node-simulator.js";
import { createLogger } from "../src/common/log.js";

export interface SimProcessConfig {
  servers: string[];
  nodes: number;
  /** Node class names; node i belongs to classes[i % classes.length]. */
  classes: string[];
  cpuMhz: number;
  memoryMb: number;
  diskMb: number;
}

export type SimProcessMessage =
  | { type: "registered"; nodes: number; seconds: number }
  | { type: "stats"; stats: NodeSimulatorStats }
  | { type: "error"; message: string };

export type SimProcessRequest = { type: "stats" } | { type: "close" };

function send(message: SimProcessMessage): void {
  process.send?.(message);
}

function sumStats(all: readonly NodeSimulatorStats[]): NodeSimulatorStats {
  const sum: NodeSimulatorStats = {
    nodes: 0,
    aliveNodes: 0,
    allocsRunning: 0,
    reportsSent: 0,
    heartbeats: 0,
    rpcErrors: 0,
  };
  for (const s of all) {
    for (const key of Object.keys(sum) as Array<keyof NodeSimulatorStats>) sum[key] += s[key];
  }
  return sum;
}

async function main(): Promise<void> {
  if (process.send === undefined) throw new Error("c1m-node-sim: run me with fork() (no IPC channel)");
  const config = JSON.parse(process.argv[2] ?? "") as SimProcessConfig;
  const logger = createLogger("bench-c1m-sim", { level: "warn" });
  // One simulator per node class: each registers its share of the nodes with that class.
  const sims = config.classes.map(
    (nodeClass, k) =>
      new NodeSimulator({
        servers: config.servers,
        logger,
        namePrefix: nodeClass,
        nodeClass,
        cpuMhz: config.cpuMhz,
        memoryMb: config.memoryMb,
        diskMb: config.diskMb,
        registerConcurrency: Math.max(1, Math.floor(64 / config.classes.length)),
        seed: k + 1,
      }),
  );
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    for (const sim of sims) sim.close();
    process.exit(0);
  };
  process.on("disconnect", close);
  process.on("message", (request: SimProcessRequest) => {
    if (request.type === "close") close();
    else if (request.type === "stats") send({ type: "stats", stats: sumStats(sims.map((s) => s.stats())) });
  });
  const started = performance.now();
  const share = (k: number): number =>
    Math.floor(config.nodes / config.classes.length) + (k < config.nodes % config.classes.length ? 1 : 0);
  await Promise.all(sims.map((sim, k) => sim.addNodes(share(k))));
  send({ type: "registered", nodes: config.nodes, seconds: (performance.now() - started) / 1000 });
}

main().catch((error: unknown) => {
  send({ type: "error", message: error instanceof Error ? error.message : String(error) });
  process.exit(1);
});
