import { isIP } from "node:net";
import type { AgentConfig } from "./agent-config.js";

/** True for addresses only this machine can reach: 127.0.0.0/8, ::1 and the name localhost. */
export function isLoopback(address: string): boolean {
  if (address === "localhost") return true;
  if (isIP(address) === 4) return address.startsWith("127.");
  if (isIP(address) === 6) return address === "::1" || address === "0:0:0:0:0:0:0:1";
  return false;
}

/**
 * What an agent that others can reach lacks: whoever can submit a job runs commands on the
 * clients, so an agent listening beyond loopback without TLS or ACLs is said loudly at start.
 * Empty for a loopback agent (the dev agent's default) or one with both.
 */
export function exposureWarnings(
  config: Pick<AgentConfig, "bind" | "tls" | "acl" | "client" | "driverEnable">,
): string[] {
  if (isLoopback(config.bind)) return [];
  const out: string[] = [];
  if (!config.tls.rpc || !config.tls.http) {
    const plain = [!config.tls.rpc && "RPC (gRPC)", !config.tls.http && "HTTP"].filter(Boolean).join(" and ");
    out.push(
      `listening on ${config.bind} with ${plain} in plaintext: anyone on the network can read and forge traffic; set tls { http = true rpc = true … }`,
    );
  }
  if (!config.acl.enabled) {
    out.push(
      `listening on ${config.bind} with ACLs disabled: anyone who reaches the HTTP API can run jobs on every client; set acl { enabled = true }`,
    );
  }
  if (config.client && config.driverEnable.includes("raw_exec")) {
    out.push(
      `raw_exec is enabled on a client listening on ${config.bind}: its tasks run unisolated, as the agent's user`,
    );
  }
  return out;
}
