import { readFile } from "node:fs/promises";
import { NO_RESERVED, type ReservedConfig } from "../client/client-config.js";
import { parseDurationMs } from "../common/duration.js";
import { ValidationError } from "../common/errors.js";
import { TLS_DISABLED, type TlsConfig } from "../common/tls.js";

/**
 * The effective configuration of one `drover agent`: defaults, then `--config FILE`, then flags
 * (a flag beats the file, as in Nomad). Field names are the flags' meanings; units are last.
 */
export interface AgentConfig {
  server: boolean;
  client: boolean;
  dev: boolean;
  nodeName: string;
  /** undefined only in --dev (a temporary directory is used). */
  dataDir: string | undefined;
  bind: string;
  httpPort: number;
  rpcPort: number;
  /** The Raft thread's listener (Nomad's serf port slot); 0: any free port (the default). */
  serfPort: number;
  region: string;
  datacenter: string;
  bootstrapExpect: number;
  /** host:port of other servers' gRPC listeners. */
  join: string[];
  /** For clients: host:port of servers. */
  servers: string[];
  minHeartbeatTtlMs: number;
  heartbeatGraceMs: number;
  raftMultiplier: number;
  /** Config file only (server block), as in Nomad; undefined keeps Raft's defaults. */
  raftSnapshotThreshold: number | undefined;
  raftSnapshotIntervalMs: number | undefined;
  raftTrailingLogs: number | undefined;
  numSchedulers: number;
  nodeClass: string;
  nodePool: string;
  meta: Record<string, string>;
  cpuTotalComputeMhz: number | undefined;
  memoryTotalMb: number | undefined;
  driverEnable: string[];
  /** A client's own gRPC port, when `--rpc-port` is given to a client-only agent. */
  clientRpcPort: number | undefined;
  stopTasksOnShutdown: boolean;
  /** Client only: resources kept back for the machine (`client { reserved { … } }`). */
  reserved: ReservedConfig;
  /** Server only, config file only: `server { autopilot { … } }` (docs/operator.md). */
  autopilot: AgentAutopilotConfig;
  /** `--log-level` / `log_level`; undefined: DROVER_LOG_LEVEL, else info. */
  logLevel: LogLevel | undefined;
  /** `--log-json` / `log_json`; undefined: JSON unless stdout is a terminal. */
  logJson: boolean | undefined;
  /**
   * `acl { enabled = true }` / `--acl-enabled`: every HTTP route and gRPC method checks a token.
   * `acl { token_ttl }`: how long a client agent reuses a server's answer about a token.
   */
  acl: { enabled: boolean; tokenTtlMs: number };
  /** `tls { … }` / `--tls-*`: mutual TLS for gRPC, HTTPS for the API (docs/security.md). */
  tls: TlsConfig;
}

export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Nomad's autopilot block; `minQuorum` undefined means a majority of bootstrap_expect. */
export interface AgentAutopilotConfig {
  cleanupDeadServers: boolean;
  lastContactThresholdMs: number;
  serverStabilizationTimeMs: number;
  maxTrailingLogs: number;
  minQuorum: number | undefined;
}

/** Nomad's default `acl { token_ttl }`. */
const DEFAULT_TOKEN_TTL_MS = 30_000;

export function defaultAgentConfig(): AgentConfig {
  return {
    server: false,
    client: false,
    dev: false,
    nodeName: "",
    dataDir: undefined,
    bind: "127.0.0.1",
    httpPort: 4646,
    rpcPort: 4647,
    serfPort: 0,
    region: "global",
    datacenter: "dc1",
    bootstrapExpect: 1,
    join: [],
    servers: [],
    minHeartbeatTtlMs: 10_000,
    heartbeatGraceMs: 10_000,
    raftMultiplier: 1,
    raftSnapshotThreshold: undefined,
    raftSnapshotIntervalMs: undefined,
    raftTrailingLogs: undefined,
    numSchedulers: 2,
    nodeClass: "",
    nodePool: "default",
    meta: {},
    cpuTotalComputeMhz: undefined,
    memoryTotalMb: undefined,
    driverEnable: [],
    clientRpcPort: undefined,
    stopTasksOnShutdown: false,
    reserved: { ...NO_RESERVED },
    autopilot: {
      cleanupDeadServers: true,
      lastContactThresholdMs: 200,
      serverStabilizationTimeMs: 10_000,
      maxTrailingLogs: 250,
      minQuorum: undefined,
    },
    logLevel: undefined,
    logJson: undefined,
    acl: { enabled: false, tokenTtlMs: DEFAULT_TOKEN_TTL_MS },
    tls: { ...TLS_DISABLED },
  };
}

/** Flag values as commander hands them over (strings, booleans, repeated lists). */
export interface AgentFlags {
  server?: boolean;
  client?: boolean;
  dev?: boolean;
  node?: string;
  dataDir?: string;
  bind?: string;
  httpPort?: string;
  rpcPort?: string;
  serfPort?: string;
  region?: string;
  dc?: string;
  bootstrapExpect?: string;
  join?: string;
  servers?: string;
  minHeartbeatTtl?: string;
  heartbeatGrace?: string;
  raftMultiplier?: string;
  /** From the config file only (no flags, as in Nomad). */
  raftSnapshotThreshold?: string;
  raftSnapshotInterval?: string;
  raftTrailingLogs?: string;
  numSchedulers?: string;
  nodeClass?: string;
  nodePool?: string;
  meta?: string[];
  cpuTotalCompute?: string;
  memoryTotalMb?: string;
  driverEnable?: string;
  config?: string;
  /** From the config file only: `client { reserved { cpu memory disk reserved_ports } }`. */
  reservedCpu?: string;
  reservedMemory?: string;
  reservedDisk?: string;
  reservedPorts?: string;
  stopTasksOnShutdown?: boolean;
  logLevel?: string;
  /** `--log-json` alone is true; `--log-json=false` arrives as the string. */
  logJson?: boolean | string;
  /** From the config file only: `server { autopilot { … } }`. */
  autopilotCleanupDeadServers?: boolean | string;
  autopilotLastContactThreshold?: string;
  autopilotServerStabilizationTime?: string;
  autopilotMaxTrailingLogs?: string;
  autopilotMinQuorum?: string;
  /** `--acl-enabled` alone is true; `acl { enabled }` in the config file. */
  aclEnabled?: boolean | string;
  /** `acl { token_ttl }` (config file only, as in Nomad). */
  aclTokenTtl?: string;
  /** `tls { http rpc ca_file cert_file key_file verify_server_hostname verify_https_client }`. */
  tlsHttp?: boolean | string;
  tlsRpc?: boolean | string;
  tlsCaFile?: string;
  tlsCertFile?: string;
  tlsKeyFile?: string;
  tlsVerifyServerHostname?: boolean | string;
  tlsVerifyHttpsClient?: boolean | string;
}

function intValue(text: string, where: string, min: number, max: number): number {
  if (!/^\d+$/.test(text.trim()))
    throw new ValidationError(`expected an integer, got ${JSON.stringify(text)}`, where);
  const value = Number(text);
  if (value < min || value > max)
    throw new ValidationError(`must be in [${min}, ${max}], got ${value}`, where);
  return value;
}

function hostPortList(text: string, where: string): string[] {
  const list = text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  for (const entry of list) {
    if (!/^[^\s:]+:\d{1,5}$/.test(entry))
      throw new ValidationError(`expected host:port, got ${JSON.stringify(entry)}`, where);
  }
  return list;
}

function metaPairs(pairs: readonly string[], where: string): Record<string, string> {
  const meta: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new ValidationError(`expected key=value, got ${JSON.stringify(pair)}`, where);
    meta[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return meta;
}

type Obj = Record<string, unknown>;

/** hcl2json renders each block as a list of bodies; JSON configs use plain objects. */
function block(o: Obj, key: string): Obj {
  const value = o[key];
  if (Array.isArray(value)) return (value[0] ?? {}) as Obj;
  if (typeof value === "object" && value !== null) return value as Obj;
  return {};
}

function fileValue(o: Obj, key: string, where: string): string | number | boolean | undefined {
  const value = o[key];
  if (value === undefined) return undefined;
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return value;
  if (Array.isArray(value) && value.every((v) => typeof v === "string")) return value.join(",");
  throw new ValidationError(`${key} has an unsupported value`, where);
}

/** A log level as Nomad users spell it too (`INFO`, `ERR`), case-insensitive. */
function logLevel(text: string): LogLevel {
  const lower = text.trim().toLowerCase();
  const level = lower === "err" ? "error" : lower;
  const known = LOG_LEVELS.find((l) => l === level);
  if (known === undefined)
    throw new ValidationError(
      `unknown log level ${JSON.stringify(text)}; one of ${LOG_LEVELS.join(", ")}`,
      "--log-level",
    );
  return known;
}

function booleanValue(value: boolean | string, where: string): boolean {
  if (typeof value === "boolean") return value;
  const lower = value.trim().toLowerCase();
  if (lower === "true" || lower === "1") return true;
  if (lower === "false" || lower === "0") return false;
  throw new ValidationError(`expected true or false, got ${JSON.stringify(value)}`, where);
}

/** Reads `--config FILE` (HCL or JSON, Nomad's agent-config block names) into flag form. */
export async function readConfigFile(path: string): Promise<AgentFlags> {
  const text = await readFile(path, "utf8");
  let doc: Obj;
  if (path.endsWith(".json")) {
    try {
      doc = JSON.parse(text) as Obj;
    } catch (error) {
      throw new ValidationError(`invalid JSON: ${(error as Error).message}`, path);
    }
  } else {
    const { parse } = await import("@cdktf/hcl2json");
    try {
      doc = (await parse(path, text)) as Obj;
    } catch (error) {
      throw new ValidationError(`invalid HCL: ${(error as Error).message}`, path);
    }
  }
  const flags: AgentFlags = {};
  const set = <K extends keyof AgentFlags>(key: K, value: string | number | boolean | undefined): void => {
    if (value === undefined) return;
    (flags as Record<string, unknown>)[key] = typeof value === "boolean" ? value : String(value);
  };
  set("dataDir", fileValue(doc, "data_dir", path));
  set("bind", fileValue(doc, "bind_addr", path));
  set("node", fileValue(doc, "name", path));
  set("region", fileValue(doc, "region", path));
  set("logLevel", fileValue(doc, "log_level", path));
  set("logJson", fileValue(doc, "log_json", path));
  set("dc", fileValue(doc, "datacenter", path));
  const ports = block(doc, "ports");
  set("httpPort", fileValue(ports, "http", `${path}: ports`));
  set("rpcPort", fileValue(ports, "rpc", `${path}: ports`));
  set("serfPort", fileValue(ports, "serf", `${path}: ports`));
  const server = block(doc, "server");
  set("server", fileValue(server, "enabled", `${path}: server`));
  set("bootstrapExpect", fileValue(server, "bootstrap_expect", `${path}: server`));
  set("numSchedulers", fileValue(server, "num_schedulers", `${path}: server`));
  set("heartbeatGrace", fileValue(server, "heartbeat_grace", `${path}: server`));
  set("minHeartbeatTtl", fileValue(server, "min_heartbeat_ttl", `${path}: server`));
  set("raftMultiplier", fileValue(server, "raft_multiplier", `${path}: server`));
  set("raftSnapshotThreshold", fileValue(server, "raft_snapshot_threshold", `${path}: server`));
  set("raftSnapshotInterval", fileValue(server, "raft_snapshot_interval", `${path}: server`));
  set("raftTrailingLogs", fileValue(server, "raft_trailing_logs", `${path}: server`));
  const autopilot = block(server, "autopilot");
  const where = `${path}: server.autopilot`;
  set("autopilotCleanupDeadServers", fileValue(autopilot, "cleanup_dead_servers", where));
  set("autopilotLastContactThreshold", fileValue(autopilot, "last_contact_threshold", where));
  set("autopilotServerStabilizationTime", fileValue(autopilot, "server_stabilization_time", where));
  set("autopilotMaxTrailingLogs", fileValue(autopilot, "max_trailing_logs", where));
  set("autopilotMinQuorum", fileValue(autopilot, "min_quorum", where));
  const acl = block(doc, "acl");
  set("aclEnabled", fileValue(acl, "enabled", `${path}: acl`));
  set("aclTokenTtl", fileValue(acl, "token_ttl", `${path}: acl`));
  const tls = block(doc, "tls");
  const tlsWhere = `${path}: tls`;
  set("tlsHttp", fileValue(tls, "http", tlsWhere));
  set("tlsRpc", fileValue(tls, "rpc", tlsWhere));
  set("tlsCaFile", fileValue(tls, "ca_file", tlsWhere));
  set("tlsCertFile", fileValue(tls, "cert_file", tlsWhere));
  set("tlsKeyFile", fileValue(tls, "key_file", tlsWhere));
  set("tlsVerifyServerHostname", fileValue(tls, "verify_server_hostname", tlsWhere));
  set("tlsVerifyHttpsClient", fileValue(tls, "verify_https_client", tlsWhere));
  const retryJoin = block(server, "server_join");
  set("join", fileValue(retryJoin, "retry_join", `${path}: server.server_join`));
  const client = block(doc, "client");
  set("client", fileValue(client, "enabled", `${path}: client`));
  set("servers", fileValue(client, "servers", `${path}: client`));
  set("nodeClass", fileValue(client, "node_class", `${path}: client`));
  set("nodePool", fileValue(client, "node_pool", `${path}: client`));
  const reserved = block(client, "reserved");
  set("reservedCpu", fileValue(reserved, "cpu", `${path}: client.reserved`));
  set("reservedMemory", fileValue(reserved, "memory", `${path}: client.reserved`));
  set("reservedDisk", fileValue(reserved, "disk", `${path}: client.reserved`));
  set("reservedPorts", fileValue(reserved, "reserved_ports", `${path}: client.reserved`));
  const enabled = [...pluginsEnabled(doc, path), ...optionsEnabled(block(client, "options"))];
  if (enabled.length > 0) flags.driverEnable = [...new Set(enabled)].join(",");
  const meta = block(client, "meta");
  if (Object.keys(meta).length > 0) flags.meta = Object.entries(meta).map(([k, v]) => `${k}=${String(v)}`);
  return flags;
}

/**
 * Drivers enabled by Nomad's plugin blocks: `plugin "raw_exec" { config { enabled = true } }`.
 * Opt-in drivers (raw_exec, mock) are off unless a block, an option or `--driver-enable` says so.
 */
function pluginsEnabled(doc: Obj, path: string): string[] {
  const plugins = block(doc, "plugin");
  const enabled: string[] = [];
  for (const name of Object.keys(plugins)) {
    const where = `${path}: plugin "${name}".config.enabled`;
    const value = fileValue(block(block(plugins, name), "config"), "enabled", where);
    if (value === undefined) continue;
    if (typeof value === "number") throw new ValidationError("expected true or false", where);
    if (booleanValue(value, where)) enabled.push(name === "mock_driver" ? "mock" : name);
  }
  return enabled;
}

/** Nomad's older spelling of enabling a driver: options { "driver.raw_exec.enable" = "1" }. */
function optionsEnabled(options: Obj): string[] {
  return Object.entries(options)
    .filter(
      ([key, value]) =>
        /^driver\.[a-z_]+\.enable$/.test(key) && (value === "1" || value === "true" || value === true),
    )
    .map(([key]) => key.split(".")[1] as string);
}

/** Merges flags (and the config file they name) over the defaults, validating every value. */
export async function resolveAgentConfig(flags: AgentFlags): Promise<AgentConfig> {
  const fromFile = flags.config === undefined ? {} : await readConfigFile(flags.config);
  const f: AgentFlags = { ...fromFile, ...stripUndefined(flags) };
  const c = defaultAgentConfig();
  c.dev = f.dev ?? false;
  c.server = (f.server ?? false) || c.dev;
  c.client = (f.client ?? false) || c.dev;
  if (!c.server && !c.client)
    throw new ValidationError("one of --server, --client or --dev is required", "agent");
  if (f.node !== undefined) c.nodeName = f.node;
  if (f.dataDir !== undefined) c.dataDir = f.dataDir;
  if (f.bind !== undefined) c.bind = f.bind;
  if (f.httpPort !== undefined) c.httpPort = intValue(f.httpPort, "--http-port", 0, 65535);
  if (f.rpcPort !== undefined) c.rpcPort = intValue(f.rpcPort, "--rpc-port", 0, 65535);
  if (f.serfPort !== undefined) c.serfPort = intValue(f.serfPort, "--serf-port", 0, 65535);
  if (f.region !== undefined) c.region = f.region;
  if (f.dc !== undefined) c.datacenter = f.dc;
  if (f.bootstrapExpect !== undefined)
    c.bootstrapExpect = intValue(f.bootstrapExpect, "--bootstrap-expect", 1, 9);
  if (f.join !== undefined) c.join = hostPortList(f.join, "--join");
  if (f.servers !== undefined) c.servers = hostPortList(f.servers, "--servers");
  if (f.minHeartbeatTtl !== undefined)
    c.minHeartbeatTtlMs = parseDurationMs(f.minHeartbeatTtl, "--min-heartbeat-ttl");
  if (f.heartbeatGrace !== undefined)
    c.heartbeatGraceMs = parseDurationMs(f.heartbeatGrace, "--heartbeat-grace");
  if (f.raftMultiplier !== undefined)
    c.raftMultiplier = intValue(f.raftMultiplier, "--raft-multiplier", 1, 10);
  if (f.raftSnapshotThreshold !== undefined)
    c.raftSnapshotThreshold = intValue(f.raftSnapshotThreshold, "server.raft_snapshot_threshold", 1, 1e9);
  if (f.raftSnapshotInterval !== undefined)
    c.raftSnapshotIntervalMs = parseDurationMs(f.raftSnapshotInterval, "server.raft_snapshot_interval");
  if (f.raftTrailingLogs !== undefined)
    c.raftTrailingLogs = intValue(f.raftTrailingLogs, "server.raft_trailing_logs", 0, 1e9);
  if (f.numSchedulers !== undefined) c.numSchedulers = intValue(f.numSchedulers, "--num-schedulers", 0, 64);
  if (f.logLevel !== undefined) c.logLevel = logLevel(f.logLevel);
  if (f.logJson !== undefined) c.logJson = booleanValue(f.logJson, "--log-json");
  if (f.nodeClass !== undefined) c.nodeClass = f.nodeClass;
  if (f.nodePool !== undefined) c.nodePool = f.nodePool;
  if (f.meta !== undefined) c.meta = metaPairs(f.meta, "--meta");
  if (f.cpuTotalCompute !== undefined)
    c.cpuTotalComputeMhz = intValue(f.cpuTotalCompute, "--cpu-total-compute", 1, 10_000_000);
  if (f.memoryTotalMb !== undefined)
    c.memoryTotalMb = intValue(f.memoryTotalMb, "--memory-total-mb", 1, 100_000_000);
  if (f.rpcPort !== undefined && c.client && !c.server) c.clientRpcPort = c.rpcPort;
  if (f.reservedCpu !== undefined)
    c.reserved.cpuMhz = intValue(f.reservedCpu, "client.reserved.cpu", 0, 10_000_000);
  if (f.reservedMemory !== undefined)
    c.reserved.memoryMb = intValue(f.reservedMemory, "client.reserved.memory", 0, 100_000_000);
  if (f.reservedDisk !== undefined)
    c.reserved.diskMb = intValue(f.reservedDisk, "client.reserved.disk", 0, 1e12);
  if (f.reservedPorts !== undefined) c.reserved.ports = f.reservedPorts;
  c.stopTasksOnShutdown = f.stopTasksOnShutdown ?? false;
  if (f.aclEnabled !== undefined) c.acl.enabled = booleanValue(f.aclEnabled, "acl.enabled");
  if (f.aclTokenTtl !== undefined) c.acl.tokenTtlMs = parseDurationMs(f.aclTokenTtl, "acl.token_ttl");
  resolveAutopilot(f, c.autopilot);
  c.tls = resolveTls(f);
  if (f.driverEnable !== undefined)
    c.driverEnable = f.driverEnable
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== "");
  // As `nomad agent -dev`: the dev agent runs raw_exec (and the mock driver) without a config
  // file. It still listens on loopback only unless --bind says otherwise.
  if (c.dev) c.driverEnable = [...new Set([...c.driverEnable, "raw_exec", "mock"])];
  if (c.nodeName === "") c.nodeName = c.dev ? "dev" : `${c.bind}:${c.rpcPort}`;
  if (!c.dev && c.dataDir === undefined)
    throw new ValidationError("--data-dir is required (or use --dev)", "agent");
  // `--bootstrap-expect N` without `--join` is allowed (as in Nomad): the first server of a
  // cluster may be started alone, and the others join it; discovery spreads what each learns.
  return c;
}

function resolveAutopilot(f: AgentFlags, a: AgentAutopilotConfig): void {
  const cleanup = f.autopilotCleanupDeadServers;
  if (cleanup !== undefined) {
    if (cleanup === true || cleanup === "true") a.cleanupDeadServers = true;
    else if (cleanup === false || cleanup === "false") a.cleanupDeadServers = false;
    else
      throw new ValidationError(
        `expected true or false, got ${JSON.stringify(cleanup)}`,
        "server.autopilot.cleanup_dead_servers",
      );
  }
  if (f.autopilotLastContactThreshold !== undefined)
    a.lastContactThresholdMs = parseDurationMs(
      f.autopilotLastContactThreshold,
      "server.autopilot.last_contact_threshold",
    );
  if (f.autopilotServerStabilizationTime !== undefined)
    a.serverStabilizationTimeMs = parseDurationMs(
      f.autopilotServerStabilizationTime,
      "server.autopilot.server_stabilization_time",
    );
  if (f.autopilotMaxTrailingLogs !== undefined)
    a.maxTrailingLogs = intValue(f.autopilotMaxTrailingLogs, "server.autopilot.max_trailing_logs", 0, 1e9);
  if (f.autopilotMinQuorum !== undefined)
    a.minQuorum = intValue(f.autopilotMinQuorum, "server.autopilot.min_quorum", 1, 9);
}

/**
 * The `tls` block and `--tls-*` flags. TLS on (http or rpc) needs all three files; the files are
 * read and checked when the agent starts (src/common/tls.ts), so a typo fails before any port
 * opens. As in Nomad, both verify options default to false.
 */
function resolveTls(f: AgentFlags): TlsConfig {
  const flag = (value: boolean | string | undefined, where: string): boolean =>
    value === undefined ? false : booleanValue(value, where);
  const tls: TlsConfig = {
    http: flag(f.tlsHttp, "tls.http"),
    rpc: flag(f.tlsRpc, "tls.rpc"),
    caFile: f.tlsCaFile,
    certFile: f.tlsCertFile,
    keyFile: f.tlsKeyFile,
    verifyServerHostname: flag(f.tlsVerifyServerHostname, "tls.verify_server_hostname"),
    verifyHttpsClient: flag(f.tlsVerifyHttpsClient, "tls.verify_https_client"),
  };
  if (tls.http || tls.rpc) {
    for (const [value, name] of [
      [tls.caFile, "ca_file (--tls-ca-file)"],
      [tls.certFile, "cert_file (--tls-cert-file)"],
      [tls.keyFile, "key_file (--tls-key-file)"],
    ] as const) {
      if (value === undefined || value === "")
        throw new ValidationError(`${name} is required when TLS is enabled`, "tls");
    }
  }
  if (tls.verifyHttpsClient && !tls.http)
    throw new ValidationError("verify_https_client needs http = true", "tls");
  return tls;
}

function stripUndefined(flags: AgentFlags): AgentFlags {
  return Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined)) as AgentFlags;
}
