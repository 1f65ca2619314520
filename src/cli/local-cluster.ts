import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, existsSync, type WriteStream } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { IGNORE_SIGINT_ENV, withAgentEnv } from "./agent-env.js";
import { DroverClient } from "./http-client.js";

/**
 * One `drover agent` child process of a LocalCluster (a server or a client). Its ports are 0 until
 * it first announces the ports it bound; a restart asks for those same ports again.
 */
export interface AgentProcess {
  readonly name: string;
  readonly kind: "server" | "client";
  httpPort: number;
  /** The gRPC port (a client-only agent's own gRPC port changes on each restart). */
  rpcPort: number;
  readonly dataDir: string;
  readonly logFile: string;
  /** `bind:rpcPort` of a server; "" for a client. */
  rpcAddress: string;
  httpUrl: string;
  proc: ChildProcess | undefined;
  /**
   * The agent's command line after `bin/drover.js`, without the port flags (added at each start:
   * 0 the first time, the bound ports on a restart, so that a restart is the same agent).
   */
  readonly args: readonly string[];
}

/** A server of a LocalCluster (its rpcPort is the cluster's gRPC for Raft and clients). */
export type ServerProcess = AgentProcess;

export interface AddClientOptions {
  name?: string;
  /** Servers the client is given (default: every server; a client needs only one). */
  servers?: readonly string[];
  /** Extra flags, e.g. ["--meta", "rack=r1"]. */
  extraArgs?: readonly string[];
  /** Opt-in drivers to enable (`--driver-enable`); default raw_exec and mock, [] for none. */
  drivers?: readonly string[];
}

export interface LocalClusterOptions {
  servers?: number;
  bind?: string;
  /** Extra flags for every server (e.g. ["--min-heartbeat-ttl", "1s"]). */
  extraArgs?: readonly string[];
  /** Root for data dirs and logs; a temporary directory by default (removed on stop). */
  baseDir?: string;
  logLevel?: string;
  /** Node.js flags for the server processes (e.g. ["--cpu-prof"] to profile them). */
  nodeArgs?: readonly string[];
  /**
   * The HTTP port s1 asks for first (`npm start`: Nomad's 4646). When the agent fails to bind it
   * (it exits with EADDRINUSE), s1 starts again on port 0 and `httpPortFallback` says why. Asking
   * the agent, not probing the port beforehand, leaves no window for another process to take it.
   */
  firstServerHttpPort?: number;
  /** Called with every line an agent writes (stdout or stderr), after it went to its log file. */
  onOutput?: (agent: AgentProcess, line: string) => void;
  /**
   * The agents serve HTTPS (their `--tls-*` flags come in extraArgs): the harness's own requests
   * go to https:// URLs, trusting `caCert` and presenting the client certificate when given.
   */
  https?: { caCert: string; clientCert?: string; clientKey?: string };
  /**
   * The address one agent binds, instead of `bind` (the chaos harness gives each server its own
   * network namespace and address).
   */
  bindFor?: (name: string, kind: "server" | "client") => string | undefined;
  /**
   * A command the agent's `node` runs under (e.g. `["ip", "netns", "exec", "ns1"]`); it must exec
   * node in place, so that signals sent to the child reach the agent itself.
   */
  commandPrefix?: (name: string, kind: "server" | "client") => readonly string[];
}

/** An agent exited before announcing its ports; `lastError` is the last line on its stderr. */
export class AgentExitedError extends Error {
  override name = "AgentExitedError";
  constructor(
    readonly agent: string,
    readonly lastError: string,
    logFile: string,
  ) {
    super(`${agent} exited before listening${lastError === "" ? "" : `: ${lastError}`}; see ${logFile}`);
  }
}

/**
 * The servers' ports, kept in `<baseDir>/cluster.json` when the caller owns baseDir: a server's
 * RPC address is in the Raft configuration it stored, so a cluster started again on the same
 * directory must bring each server back on the RPC port it had.
 */
interface StoredPorts {
  readonly servers: ReadonlyArray<{ readonly name: string; readonly rpcPort: number }>;
}

const PORTS_FILE = "cluster.json";

async function readStoredPorts(baseDir: string, count: number): Promise<Map<string, number> | undefined> {
  let text: string;
  try {
    text = await readFile(join(baseDir, PORTS_FILE), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  const where = join(baseDir, PORTS_FILE);
  let stored: StoredPorts;
  try {
    stored = JSON.parse(text) as StoredPorts;
  } catch (error) {
    throw new Error(`${where}: not valid JSON (${(error as Error).message})`);
  }
  const ports = new Map<string, number>();
  for (const s of Array.isArray(stored.servers) ? stored.servers : []) {
    if (typeof s.name === "string" && Number.isInteger(s.rpcPort) && s.rpcPort > 0)
      ports.set(s.name, s.rpcPort);
  }
  if (ports.size !== count) {
    throw new Error(`${where}: holds ${ports.size} servers' ports, this cluster has ${count} servers`);
  }
  return ports;
}

/** The root of this checkout (package.json and bin/drover.js), walking up from src/ or dist/src/. */
export function checkoutRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, "bin", "drover.js")) && existsSync(join(dir, "package.json"))) return dir;
    dir = dirname(dir);
  }
  throw new Error("bin/drover.js not found above the running module");
}

function droverBin(): string {
  return join(checkoutRoot(), "bin", "drover.js");
}

/** The flags every agent of a LocalCluster starts with. */
/** raw_exec and mock are off in an agent unless enabled, as in Nomad. */
function driverArgs(drivers: readonly string[]): string[] {
  return drivers.length === 0 ? [] : ["--driver-enable", drivers.join(",")];
}

function agentArgs(role: "--server" | "--client", name: string, dataDir: string, bind: string): string[] {
  return ["agent", role, "--node", name, "--data-dir", dataDir, "--bind", bind];
}

/** What `drover agent` prints on stdout once its ports are bound (run-agent.ts). */
interface ListeningLine {
  readonly drover_agent_listening?: { readonly http: number; readonly rpc: number };
}

/**
 * N Drover servers as real child processes on loopback (own data directories, logs in files),
 * bootstrapped as one cluster with --bootstrap-expect N. Every agent starts with port 0 and
 * announces what it bound, so no port is ever chosen here and bound later by someone else: s1
 * starts alone, the others with `--join` s1 (discovery spreads the rest). Used by `npm start`,
 * the cluster tests and bench/cluster.ts. kill -9 and restart keep a server's data directory and
 * ports.
 */
export class LocalCluster {
  readonly servers: ServerProcess[] = [];
  readonly clients: AgentProcess[] = [];
  private readonly logs = new Map<string, WriteStream>();
  private exits = new Map<string, Promise<void>>();
  /** For https: fetches through the CLI's client (CA and client certificate). */
  private readonly tlsFetcher: DroverClient | undefined;

  private constructor(
    private readonly baseDir: string,
    private readonly ownsBaseDir: boolean,
    private readonly options: LocalClusterOptions,
  ) {
    const https = options.https;
    this.tlsFetcher =
      https === undefined
        ? undefined
        : new DroverClient({
            address: "https://127.0.0.1",
            caCert: https.caCert,
            clientCert: https.clientCert,
            clientKey: https.clientKey,
            env: {},
          });
  }

  /** fetch() that speaks HTTPS to the agents when the cluster does. */
  fetch(url: string, init: RequestInit = {}): Promise<Response> {
    return this.tlsFetcher === undefined ? fetch(url, init) : this.tlsFetcher.fetchUrl(url, init);
  }

  static async start(options: LocalClusterOptions = {}): Promise<LocalCluster> {
    const count = options.servers ?? 3;
    const baseDir = options.baseDir ?? (await mkdtemp(join(tmpdir(), "drover-cluster-")));
    await mkdir(baseDir, { recursive: true });
    const cluster = new LocalCluster(baseDir, options.baseDir === undefined, options);
    const defaultBind = options.bind ?? "127.0.0.1";
    const stored = options.baseDir === undefined ? undefined : await readStoredPorts(baseDir, count);
    const server = (i: number, joinList: readonly string[]): ServerProcess => {
      const name = `s${i + 1}`;
      const bind = options.bindFor?.(name, "server") ?? defaultBind;
      const dataDir = join(baseDir, name);
      const s: ServerProcess = {
        name,
        kind: "server",
        httpPort: 0,
        rpcPort: stored?.get(name) ?? 0,
        dataDir,
        logFile: join(baseDir, `${name}.log`),
        rpcAddress: "",
        httpUrl: "",
        proc: undefined,
        args: [
          ...agentArgs("--server", name, dataDir, bind),
          "--bootstrap-expect",
          String(count),
          ...(joinList.length > 0 ? ["--join", joinList.join(",")] : []),
          ...(options.extraArgs ?? []),
        ],
      };
      cluster.servers.push(s);
      return s;
    };
    try {
      if (stored === undefined) {
        const first = server(0, []);
        await cluster.spawnFirst(first);
        const rest = Array.from({ length: count - 1 }, (_, i) => server(i + 1, [first.rpcAddress]));
        await Promise.all(rest.map((s) => cluster.spawn(s)));
      } else {
        // Every server comes back on its stored RPC port (servers holding Raft state restart from
        // it and skip discovery), so all of them can start at once, each joining the others.
        const names = Array.from({ length: count }, (_, i) => `s${i + 1}`);
        const address = (name: string): string =>
          `${options.bindFor?.(name, "server") ?? defaultBind}:${stored.get(name)}`;
        const all = names.map((name, i) => server(i, names.filter((other) => other !== name).map(address)));
        await Promise.all(
          all.map((s, i) =>
            (i === 0 ? cluster.spawnFirst(s) : cluster.spawn(s)).catch((error: unknown) => {
              if (!(error instanceof AgentExitedError) || !error.lastError.includes(`:${s.rpcPort}`))
                throw error;
              throw new Error(
                `${s.name} cannot come back on RPC port ${s.rpcPort}, its address in the Raft configuration ` +
                  `(kept in ${join(baseDir, PORTS_FILE)}): ${error.lastError.replace(/^drover: /, "")}`,
              );
            }),
          ),
        );
      }
      if (options.baseDir !== undefined) await cluster.storePorts();
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /**
   * Why s1 is not on `firstServerHttpPort` (the agent's one-line bind error), or undefined when it
   * is or none was asked for.
   */
  httpPortFallback: string | undefined;

  /** s1: on `firstServerHttpPort` if it can bind it, else on port 0. */
  private async spawnFirst(first: ServerProcess): Promise<void> {
    const preferred = this.options.firstServerHttpPort;
    if (preferred === undefined || preferred === 0) return this.spawn(first);
    first.httpPort = preferred;
    try {
      await this.spawn(first);
    } catch (error) {
      const taken =
        error instanceof AgentExitedError &&
        error.lastError.includes("EADDRINUSE") &&
        error.lastError.endsWith(`:${preferred}`);
      if (!taken) throw error;
      this.httpPortFallback = error.lastError.replace(/^drover: /, "");
      first.httpPort = 0;
      await this.spawn(first);
    }
  }

  private async storePorts(): Promise<void> {
    const stored: StoredPorts = { servers: this.servers.map((s) => ({ name: s.name, rpcPort: s.rpcPort })) };
    await writeFile(join(this.baseDir, PORTS_FILE), `${JSON.stringify(stored, null, 2)}\n`);
  }

  get dir(): string {
    return this.baseDir;
  }

  rpcAddresses(): string[] {
    return this.servers.map((s) => s.rpcAddress);
  }

  server(name: string): ServerProcess {
    const server = this.servers.find((s) => s.name === name);
    if (server === undefined) throw new Error(`no server ${name}`);
    return server;
  }

  /** A server or a client by name. */
  agent(name: string): AgentProcess {
    const agent = [...this.servers, ...this.clients].find((a) => a.name === name);
    if (agent === undefined) throw new Error(`no agent ${name}`);
    return agent;
  }

  /**
   * Starts a real client agent (`drover agent --client`) pointed at the servers, with raw_exec
   * and mock enabled unless `drivers` says otherwise; it runs the tasks placed on it as real
   * processes.
   */
  async addClient(options: AddClientOptions = {}): Promise<AgentProcess> {
    const name = options.name ?? `c${this.clients.length + 1}`;
    const bind = this.bindOf(name, "client");
    const dataDir = join(this.baseDir, name);
    const client: AgentProcess = {
      name,
      kind: "client",
      httpPort: 0,
      rpcPort: 0,
      dataDir,
      logFile: join(this.baseDir, `${name}.log`),
      rpcAddress: "",
      httpUrl: "",
      proc: undefined,
      args: [
        ...agentArgs("--client", name, dataDir, bind),
        "--servers",
        (options.servers ?? this.rpcAddresses()).join(","),
        ...driverArgs(options.drivers ?? ["raw_exec", "mock"]),
        // A test or `npm start` ending must not leave task processes behind.
        "--stop-tasks-on-shutdown",
        ...(options.extraArgs ?? []),
      ],
    };
    this.clients.push(client);
    await this.spawn(client);
    return client;
  }

  /**
   * Starts the agent's process; resolves once it announced its ports (fills them in), rejects if
   * it exits before. A server's RPC port is asked for again on a restart (its address is in the
   * Raft configuration); a client's is not (it advertises whatever it gets).
   */
  private bindOf(name: string, kind: "server" | "client"): string {
    return this.options.bindFor?.(name, kind) ?? this.options.bind ?? "127.0.0.1";
  }

  private spawn(agent: AgentProcess): Promise<void> {
    const bind = this.bindOf(agent.name, agent.kind);
    const ports = [
      "--http-port",
      String(agent.httpPort),
      ...(agent.kind === "server" ? ["--rpc-port", String(agent.rpcPort)] : []),
    ];
    const args = [...(this.options.nodeArgs ?? []), droverBin(), ...agent.args, ...ports];
    let log = this.logs.get(agent.name);
    if (log === undefined) {
      log = createWriteStream(agent.logFile, { flags: "a" });
      this.logs.set(agent.name, log);
    }
    const out = log;
    const prefix = this.options.commandPrefix?.(agent.name, agent.kind) ?? [];
    const command = prefix[0] ?? process.execPath;
    const argv = prefix.length === 0 ? args : [...prefix.slice(1), process.execPath, ...args];
    const proc = spawn(command, argv, {
      stdio: ["ignore", "pipe", "pipe"],
      // Not detached: a detached child gets a session of its own, and with the kernel's autogroup
      // scheduling on, each session is one equal group in the CPU's sharing, so the servers' Raft
      // threads lost their priority against the other servers' main threads (thread-priority.ts).
      // The agents stay in the harness's session and process group instead; a Ctrl-C at the
      // terminal reaches them too, so they ignore SIGINT and the harness stops them in order.
      env: withAgentEnv({
        ...process.env,
        DROVER_LOG_LEVEL: this.options.logLevel ?? "info",
        [IGNORE_SIGINT_ENV]: "1",
      }),
    });
    agent.proc = proc;
    const onOutput = this.options.onOutput;
    let lastError = "";
    createInterface({ input: proc.stderr as NodeJS.ReadableStream }).on("line", (line) => {
      out.write(`${line}\n`);
      if (line.trim() !== "") lastError = line;
      onOutput?.(agent, line);
    });
    // Children must not outlive a harness that exits abruptly (a failed test, an uncaught error).
    const killOnExit = (): void => {
      proc.kill("SIGKILL");
    };
    process.once("exit", killOnExit);
    proc.once("exit", () => process.off("exit", killOnExit));
    const exited = new Promise<void>((resolveExit) => {
      proc.once("exit", () => resolveExit());
    });
    this.exits.set(agent.name, exited);
    return new Promise<void>((resolve, reject) => {
      let listening = false;
      createInterface({ input: proc.stdout as NodeJS.ReadableStream }).on("line", (line) => {
        out.write(`${line}\n`);
        onOutput?.(agent, line);
        if (listening || !line.includes("drover_agent_listening")) return;
        const ports = (JSON.parse(line) as ListeningLine).drover_agent_listening;
        if (ports === undefined) return;
        listening = true;
        agent.httpPort = ports.http;
        agent.httpUrl = `${this.options.https === undefined ? "http" : "https"}://${bind}:${ports.http}`;
        agent.rpcPort = ports.rpc;
        if (agent.kind === "server") agent.rpcAddress = `${bind}:${ports.rpc}`;
        resolve();
      });
      // "close", not "exit": the agent's last stderr line (its bind error) has been read by then.
      proc.once("close", () => {
        if (listening) return;
        agent.proc = undefined;
        reject(new AgentExitedError(agent.name, lastError, agent.logFile));
      });
    });
  }

  /** Kills a server (SIGKILL by default: a crash) and waits until the process is gone. */
  async kill(name: string, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const server = this.agent(name);
    if (server.proc === undefined) return;
    server.proc.kill(signal);
    await this.exits.get(name);
    server.proc = undefined;
  }

  /**
   * Starts a killed agent again with the same name, HTTP and RPC ports and data directory;
   * resolves once it listens. Binding the ports it had is the one rebind left: a server's
   * address is in the Raft configuration, so it must come back on it.
   */
  async restart(name: string): Promise<void> {
    const agent = this.agent(name);
    if (agent.proc !== undefined) throw new Error(`${name} is still running`);
    await this.spawn(agent);
  }

  running(): ServerProcess[] {
    return this.servers.filter((s) => s.proc !== undefined);
  }

  /** GET/PUT/POST/DELETE against one server's HTTP API. */
  async http<T = unknown>(
    server: AgentProcess,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: T; index: number }> {
    const res = await this.fetch(`${server.httpUrl}${path}`, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    return {
      status: res.status,
      body: (text === "" ? null : JSON.parse(text)) as T,
      index: Number(res.headers.get("x-nomad-index") ?? "0"),
    };
  }

  /** Waits until every running server names the same leader; returns it. */
  async waitForLeader(timeoutMs = 30_000): Promise<ServerProcess> {
    const deadline = Date.now() + timeoutMs;
    let last = "";
    while (Date.now() < deadline) {
      const answers = await Promise.all(
        this.running().map((s) =>
          this.http<string>(s, "GET", "/v1/status/leader").then(
            (r) => (r.status === 200 ? r.body : ""),
            () => "",
          ),
        ),
      );
      const first = answers[0] ?? "";
      if (first !== "" && answers.every((a) => a === first)) {
        const leader = this.servers.find((s) => s.rpcAddress === first && s.proc !== undefined);
        if (leader !== undefined) return leader;
      }
      last = answers.join(",");
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(
      `no agreed leader within ${timeoutMs} ms (last answers: ${last}); logs in ${this.baseDir}`,
    );
  }

  /** Stops every server (SIGTERM, then SIGKILL after `graceMs`) and removes temporary data. */
  async stop(graceMs = 15_000): Promise<void> {
    // Clients first, while the servers can still take their last status reports; each client
    // stops its tasks (kill_timeout each), hence the longer grace than a server needs.
    for (const group of [this.clients, this.servers]) {
      await Promise.all(
        group
          .filter((a) => a.proc !== undefined)
          .map(async (s) => {
            const exited = this.exits.get(s.name);
            s.proc?.kill("SIGTERM");
            const timer = setTimeout(() => s.proc?.kill("SIGKILL"), graceMs);
            await exited;
            clearTimeout(timer);
            s.proc = undefined;
          }),
      );
    }
    for (const log of this.logs.values()) log.end();
    if (this.ownsBaseDir && process.env["DROVER_KEEP_CLUSTER"] === undefined) {
      await rm(this.baseDir, { recursive: true, force: true });
    }
  }
}
