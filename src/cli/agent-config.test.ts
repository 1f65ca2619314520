import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { resolveAgentConfig } from "./agent-config.js";

const dir = mkdtempSync(join(tmpdir(), "drover-agent-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("resolveAgentConfig", () => {
  it("maps server flags, durations and lists", async () => {
    const c = await resolveAgentConfig({
      server: true,
      node: "s1",
      dataDir: "/tmp/s1",
      httpPort: "4646",
      rpcPort: "4647",
      bootstrapExpect: "3",
      join: "127.0.0.1:4747, 127.0.0.1:4847",
      minHeartbeatTtl: "1s",
      heartbeatGrace: "500ms",
      numSchedulers: "4",
    });
    expect(c).toMatchObject({
      server: true,
      client: false,
      nodeName: "s1",
      bootstrapExpect: 3,
      join: ["127.0.0.1:4747", "127.0.0.1:4847"],
      minHeartbeatTtlMs: 1000,
      heartbeatGraceMs: 500,
      numSchedulers: 4,
    });
  });

  it("--dev needs no data dir and runs server and client", async () => {
    const c = await resolveAgentConfig({ dev: true });
    expect(c).toMatchObject({ dev: true, server: true, client: true, dataDir: undefined, nodeName: "dev" });
  });

  it("binds to loopback by default in every mode", async () => {
    for (const flags of [{ dev: true }, { server: true, dataDir: "/d" }, { client: true, dataDir: "/d" }]) {
      expect((await resolveAgentConfig(flags)).bind).toBe("127.0.0.1");
    }
  });

  it("enables raw_exec only when asked: --dev, a plugin block, an option or --driver-enable", async () => {
    expect((await resolveAgentConfig({ client: true, dataDir: "/d" })).driverEnable).toEqual([]);
    expect((await resolveAgentConfig({ dev: true })).driverEnable).toEqual(["raw_exec", "mock"]);
    const flag = await resolveAgentConfig({ client: true, dataDir: "/d", driverEnable: "raw_exec" });
    expect(flag.driverEnable).toEqual(["raw_exec"]);
    const file = join(dir, "plugins.hcl");
    writeFileSync(
      file,
      `data_dir = "/d"\nclient {\n  enabled = true\n}\nplugin "raw_exec" {\n  config {\n    enabled = true\n  }\n}\nplugin "docker" {\n  config {\n    enabled = false\n  }\n}\n`,
    );
    expect((await resolveAgentConfig({ config: file })).driverEnable).toEqual(["raw_exec"]);
    const json = join(dir, "plugins.json");
    writeFileSync(
      json,
      JSON.stringify({
        data_dir: "/d",
        client: { enabled: true },
        plugin: { raw_exec: { config: { enabled: false } } },
      }),
    );
    expect((await resolveAgentConfig({ config: json })).driverEnable).toEqual([]);
    const bad = join(dir, "plugins-bad.hcl");
    writeFileSync(
      bad,
      `data_dir = "/d"\nclient {\n  enabled = true\n}\nplugin "raw_exec" {\n  config {\n    enabled = "yes"\n  }\n}\n`,
    );
    await expect(resolveAgentConfig({ config: bad })).rejects.toThrow(/plugin "raw_exec"\.config\.enabled/);
  });

  it("reads Nomad's agent config blocks from HCL, and flags win over the file", async () => {
    const file = join(dir, "agent.hcl");
    writeFileSync(
      file,
      `data_dir = "/var/lib/drover"\nname = "from-file"\nports {\n  http = 5646\n  rpc = 5647\n}\nserver {\n  enabled = true\n  bootstrap_expect = 1\n}\n`,
    );
    const c = await resolveAgentConfig({ config: file, node: "from-flag" });
    expect(c).toMatchObject({
      server: true,
      dataDir: "/var/lib/drover",
      httpPort: 5646,
      rpcPort: 5647,
      bootstrapExpect: 1,
      nodeName: "from-flag",
    });
  });

  it("takes Raft's own port from ports { serf } or --serf-port (default 0: any free port)", async () => {
    const file = join(dir, "serf.hcl");
    writeFileSync(
      file,
      `data_dir = "/d"\nports {\n  rpc = 5647\n  serf = 5648\n}\nserver {\n  enabled = true\n}\n`,
    );
    expect((await resolveAgentConfig({ config: file })).serfPort).toBe(5648);
    expect((await resolveAgentConfig({ config: file, serfPort: "6648" })).serfPort).toBe(6648);
    expect((await resolveAgentConfig({ server: true, dataDir: "/d" })).serfPort).toBe(0);
    await expect(resolveAgentConfig({ server: true, dataDir: "/d", serfPort: "70000" })).rejects.toThrow(
      /--serf-port/,
    );
  });

  it("reads Nomad's Raft snapshot tuning from the server block", async () => {
    const file = join(dir, "raft.hcl");
    writeFileSync(
      file,
      `data_dir = "/d"\nserver {\n  enabled = true\n  raft_snapshot_threshold = 16384\n  raft_snapshot_interval = "30s"\n  raft_trailing_logs = 20000\n}\n`,
    );
    expect(await resolveAgentConfig({ config: file })).toMatchObject({
      raftSnapshotThreshold: 16384,
      raftSnapshotIntervalMs: 30_000,
      raftTrailingLogs: 20000,
    });
    const defaults = await resolveAgentConfig({ server: true, dataDir: "/d" });
    expect(defaults.raftSnapshotIntervalMs).toBeUndefined();
    const bad = join(dir, "raft-bad.hcl");
    writeFileSync(
      bad,
      `data_dir = "/d"\nserver {\n  enabled = true\n  raft_snapshot_interval = "often"\n}\n`,
    );
    await expect(resolveAgentConfig({ config: bad })).rejects.toThrow(/server.raft_snapshot_interval/);
  });

  it("reads server.autopilot from the config file, with Nomad's defaults", async () => {
    const file = join(dir, "autopilot.hcl");
    writeFileSync(
      file,
      `data_dir = "/d"\nserver {\n  enabled = true\n  autopilot {\n    cleanup_dead_servers = false\n    last_contact_threshold = "1s"\n    server_stabilization_time = "30s"\n    max_trailing_logs = 500\n    min_quorum = 3\n  }\n}\n`,
    );
    expect((await resolveAgentConfig({ config: file })).autopilot).toEqual({
      cleanupDeadServers: false,
      lastContactThresholdMs: 1000,
      serverStabilizationTimeMs: 30_000,
      maxTrailingLogs: 500,
      minQuorum: 3,
    });
    expect((await resolveAgentConfig({ server: true, dataDir: "/d" })).autopilot).toEqual({
      cleanupDeadServers: true,
      lastContactThresholdMs: 200,
      serverStabilizationTimeMs: 10_000,
      maxTrailingLogs: 250,
      minQuorum: undefined,
    });
    const bad = join(dir, "autopilot-bad.hcl");
    writeFileSync(
      bad,
      `data_dir = "/d"\nserver {\n  autopilot {\n    last_contact_threshold = "soon"\n  }\n}\n`,
    );
    await expect(resolveAgentConfig({ config: bad, server: true })).rejects.toThrow(
      /server.autopilot.last_contact_threshold/,
    );
  });

  it("turns ACLs on from acl { enabled } or --acl-enabled (off by default)", async () => {
    const base = { server: true, dataDir: "/d" };
    expect((await resolveAgentConfig(base)).acl).toEqual({ enabled: false, tokenTtlMs: 30_000 });
    expect((await resolveAgentConfig({ ...base, aclEnabled: true })).acl.enabled).toBe(true);
    expect((await resolveAgentConfig({ ...base, aclEnabled: "false" })).acl.enabled).toBe(false);
    const file = join(dir, "acl.hcl");
    writeFileSync(file, `data_dir = "/d"\nserver {\n  enabled = true\n}\nacl {\n  enabled = true\n}\n`);
    expect((await resolveAgentConfig({ config: file })).acl).toEqual({ enabled: true, tokenTtlMs: 30_000 });
    await expect(resolveAgentConfig({ ...base, aclEnabled: "maybe" })).rejects.toThrow(/acl.enabled/);
  });

  it("reads how long a client reuses a token's resolution from acl { token_ttl }", async () => {
    const file = join(dir, "acl-ttl.hcl");
    writeFileSync(file, `data_dir = "/d"\nclient {\n  enabled = true\n}\nacl {\n  token_ttl = "5s"\n}\n`);
    expect((await resolveAgentConfig({ config: file })).acl).toEqual({ enabled: false, tokenTtlMs: 5000 });
    writeFileSync(file, `data_dir = "/d"\nclient {\n  enabled = true\n}\nacl {\n  token_ttl = "soon"\n}\n`);
    await expect(resolveAgentConfig({ config: file })).rejects.toThrow(/acl.token_ttl: invalid duration/);
  });

  it("reads JSON config files too", async () => {
    const file = join(dir, "agent.json");
    writeFileSync(file, JSON.stringify({ data_dir: "/d", server: { enabled: true, num_schedulers: 3 } }));
    expect((await resolveAgentConfig({ config: file })).numSchedulers).toBe(3);
  });

  it("takes the log level and format from flags (Nomad's spellings too) or the file", async () => {
    const base = { server: true, dataDir: "/d" };
    expect(await resolveAgentConfig(base)).toMatchObject({ logLevel: undefined, logJson: undefined });
    expect(await resolveAgentConfig({ ...base, logLevel: "DEBUG", logJson: "false" })).toMatchObject({
      logLevel: "debug",
      logJson: false,
    });
    expect(await resolveAgentConfig({ ...base, logLevel: "ERR", logJson: true })).toMatchObject({
      logLevel: "error",
      logJson: true,
    });
    const file = join(dir, "logs.hcl");
    writeFileSync(
      file,
      `data_dir = "/d"
log_level = "WARN"
log_json = false
server {
  enabled = true
}
`,
    );
    expect(await resolveAgentConfig({ config: file })).toMatchObject({ logLevel: "warn", logJson: false });
    expect(await resolveAgentConfig({ config: file, logJson: "true" })).toMatchObject({ logJson: true });
  });

  it.each([
    [{ server: true, dataDir: "/d", logLevel: "loud" }, /--log-level: unknown log level "loud"/],
    [{ server: true, dataDir: "/d", logJson: "yes please" }, /--log-json: expected true or false/],
    [{}, /one of --server, --client or --dev/],
    [{ server: true }, /--data-dir is required/],
    [{ server: true, dataDir: "/d", httpPort: "http" }, /--http-port: expected an integer/],
    [{ server: true, dataDir: "/d", join: "nohost" }, /--join: expected host:port/],
    [{ server: true, dataDir: "/d", heartbeatGrace: "soon" }, /--heartbeat-grace: invalid duration/],
  ])("rejects %j with a clear message", async (flags, message) => {
    await expect(resolveAgentConfig(flags)).rejects.toThrow(message);
  });

  it("rejects a broken config file with its path", async () => {
    const file = join(dir, "broken.hcl");
    writeFileSync(file, "server {\n  enabled = \n");
    await expect(resolveAgentConfig({ config: file })).rejects.toThrow(/broken\.hcl/);
  });
});
