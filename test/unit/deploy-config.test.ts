import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { resolveAgentConfig } from "../../src/cli/agent-config.js";

// The example agent configurations shipped in deploy/config/ go through the very parser that
// `drover agent --config` uses: a renamed key or a wrong block shape would fail here instead of
// on an operator's machine.
const configDir = join(import.meta.dirname, "..", "..", "deploy", "config");

describe("deploy/config examples", () => {
  it("server.hcl is one of three servers joining each other", async () => {
    const c = await resolveAgentConfig({ config: join(configDir, "server.hcl") });
    expect(c).toMatchObject({
      server: true,
      client: false,
      dev: false,
      nodeName: "server-1",
      dataDir: "/var/lib/drover",
      bind: "10.0.0.11",
      httpPort: 4646,
      rpcPort: 4647,
      region: "global",
      datacenter: "dc1",
      bootstrapExpect: 3,
      join: ["10.0.0.11:4647", "10.0.0.12:4647", "10.0.0.13:4647"],
      minHeartbeatTtlMs: 10_000,
      heartbeatGraceMs: 10_000,
      numSchedulers: 2,
      raftSnapshotThreshold: 8192,
      raftSnapshotIntervalMs: 120_000,
      raftTrailingLogs: 1024,
    });
    // Its own address is among the ones it joins, and a quorum of three is expected.
    expect(c.join).toContain(`${c.bind}:${c.rpcPort}`);
    expect(c.join).toHaveLength(c.bootstrapExpect);
  });

  it("client.hcl is a client pointed at the three servers with raw_exec enabled", async () => {
    const c = await resolveAgentConfig({ config: join(configDir, "client.hcl") });
    expect(c).toMatchObject({
      server: false,
      client: true,
      nodeName: "client-1",
      dataDir: "/var/lib/drover",
      bind: "10.0.0.21",
      httpPort: 4646,
      clientRpcPort: 4647,
      servers: ["10.0.0.11:4647", "10.0.0.12:4647", "10.0.0.13:4647"],
      nodeClass: "general",
      nodePool: "default",
      meta: { rack: "r1" },
      driverEnable: ["raw_exec"],
      reserved: { cpuMhz: 500, memoryMb: 512, diskMb: 1024, ports: "22" },
    });
  });

  it("the server config points clients at the servers' RPC port", async () => {
    const server = await resolveAgentConfig({ config: join(configDir, "server.hcl") });
    const client = await resolveAgentConfig({ config: join(configDir, "client.hcl") });
    expect(client.servers).toEqual(server.join);
    expect(client.datacenter).toBe(server.datacenter);
    expect(client.region).toBe(server.region);
  });

  it("a flag still wins over the example file (a per-machine override)", async () => {
    const c = await resolveAgentConfig({ config: join(configDir, "server.hcl"), node: "server-2" });
    expect(c.nodeName).toBe("server-2");
    expect(c.bind).toBe("10.0.0.11");
  });
});
