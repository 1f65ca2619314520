import { type Command, Option } from "commander";
import { type AgentFlags, resolveAgentConfig } from "./agent-config.js";

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Registers `drover agent` and its flags (docs/agent.md lists them). */
export function addAgentCommand(program: Command): void {
  program
    .command("agent")
    .description("run a Drover agent (server, client, or both with --dev)")
    .option("--server", "run a server (Raft member, schedulers, API)")
    .option("--client", "run a client (registers this machine as a node)")
    .option("--dev", "one server and one client in one process, temporary data dir, HTTP 127.0.0.1:4646")
    .option("--node <name>", "the agent's name (Raft id of a server, node Name of a client)")
    .option("--data-dir <dir>", "where state is kept")
    .option("--bind <addr>", "address to listen on", undefined)
    .option("--http-port <port>", "HTTP API and metrics port (default 4646)")
    .option("--rpc-port <port>", "gRPC port: server RPC, clients and Raft discovery (default 4647)")
    .option(
      "--serf-port <port>",
      "Raft's own listener, peers learn it from the RPC port (default 0: any free port)",
    )
    .option("--region <region>", "region (default global)")
    .option("--dc <dc>", "datacenter (default dc1)")
    .option("--bootstrap-expect <n>", "servers to wait for before bootstrapping the cluster")
    .option("--join <addrs>", "comma-separated host:port of other servers")
    .option("--servers <addrs>", "client: comma-separated host:port of servers")
    .option("--min-heartbeat-ttl <duration>", "lower bound of client heartbeat TTLs (default 10s)")
    .option("--heartbeat-grace <duration>", "grace after a missed TTL before a node is down (default 10s)")
    .option("--raft-multiplier <n>", "scales Raft timing (default 1)")
    .option("--num-schedulers <n>", "scheduler workers on this server (default 2)")
    .option("--node-class <class>", "client: node class")
    .option("--node-pool <pool>", "client: node pool (default default)")
    .addOption(new Option("--meta <key=value>", "client: node metadata (repeatable)").argParser(collect))
    .option("--cpu-total-compute <mhz>", "client: override fingerprinted CPU")
    .option("--memory-total-mb <mb>", "client: override fingerprinted memory")
    .option("--driver-enable <list>", "client: comma-separated drivers to enable (raw_exec, mock)")
    .option(
      "--acl-enabled [bool]",
      "enable ACLs: every HTTP route and gRPC method needs a token (acl { enabled })",
    )
    .option(
      "--stop-tasks-on-shutdown",
      "client: stop every task when the agent stops (default: tasks keep running and the next agent re-attaches)",
    )
    .option("--log-level <level>", "trace, debug, info, warn or error (default info, or DROVER_LOG_LEVEL)")
    .option(
      "--log-json [bool]",
      "log one JSON object per line (default: true unless stdout is a terminal); --log-json=false for readable lines",
    )
    .option("--tls-http [bool]", "serve the HTTP API over HTTPS (tls.http)")
    .option("--tls-rpc [bool]", "mutual TLS for all gRPC: Raft, server and client RPC (tls.rpc)")
    .option("--tls-ca-file <file>", "PEM CA certificate that signs every agent's certificate")
    .option("--tls-cert-file <file>", "PEM certificate of this agent")
    .option("--tls-key-file <file>", "PEM private key of this agent")
    .option(
      "--tls-verify-server-hostname [bool]",
      "require server.<region>.drover on peers acting as servers",
    )
    .option("--tls-verify-https-client [bool]", "the HTTPS API requires a client certificate from the CA")
    .option("--config <file>", "agent configuration file (HCL or JSON)")
    .action(async (flags: AgentFlags) => {
      const config = await resolveAgentConfig(flags);
      // Loaded only for `drover agent`: the server and client code is most of a second of
      // start-up that the user commands (`drover job status`, …) need not pay.
      const { runAgent } = await import("./run-agent.js");
      await runAgent(config);
    });
}
