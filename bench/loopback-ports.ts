import { readFileSync } from "node:fs";
import { createServer } from "node:net";

/**
 * Ports for the benchmark's etcd cluster, whose members must be started with every peer's URL
 * (`--initial-cluster`) before any of them runs, and for its Drover cluster started the same way
 * side by side. Benchmarks only: Drover's launchers and tests start agents with port 0 and read
 * the bound ports from the agent (LocalCluster, test/cluster/fixtures/raft-cluster.ts).
 *
 * Such a port is bound here and released, and the child binds it a moment later. Asking the
 * kernel for port 0 would pick from the ephemeral range, where anything else running meanwhile
 * (a parallel test binding :0, an outgoing connection) may take it in that moment. So the ports
 * come from below the ephemeral range, where nothing is handed out implicitly.
 */
/** Ports this process handed out already: released ones still belong to a child that binds later. */
const handedOut = new Set<number>();

export async function pickLoopbackPorts(count: number, host = "127.0.0.1"): Promise<number[]> {
  const [low, high] = candidateRange();
  const picked = new Set<number>();
  for (let attempt = 0; picked.size < count; attempt++) {
    if (attempt > count * 200) throw new Error(`no ${count} free ports on ${host} in ${low}-${high - 1}`);
    const port = low + Math.floor(Math.random() * (high - low));
    if (picked.has(port) || handedOut.has(port)) continue;
    if (await canBind(host, port)) picked.add(port);
  }
  for (const port of picked) handedOut.add(port);
  return [...picked];
}

/** [low, high) below the kernel's ephemeral range (Linux default 32768–60999). */
function candidateRange(): [number, number] {
  let ephemeralLow = 32768;
  try {
    const text = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8");
    const first = Number.parseInt(text.trim().split(/\s+/)[0] ?? "", 10);
    if (Number.isInteger(first)) ephemeralLow = first;
  } catch {
    // Not Linux: keep the default split.
  }
  const high = Math.max(ephemeralLow, 20_000);
  return [Math.max(10_000, high - 12_000), high];
}

function canBind(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}
