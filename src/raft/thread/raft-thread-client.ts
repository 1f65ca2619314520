import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { NotLeaderError } from "../../common/errors.js";
import type { Logger } from "../../common/log.js";
import type { MetricsJson } from "../../common/metrics.js";
import type { DiscoverRequest__Output } from "../../gen/proto/drover/raft/DiscoverRequest.js";
import type { DiscoverResponse } from "../../gen/proto/drover/raft/DiscoverResponse.js";
import type { AutopilotConfig } from "../autopilot.js";
import type { DiscoveryOutcome } from "../bootstrap.js";
import type { LogIndex, RaftId, Term } from "../core/types.js";
import type { RaftConfiguration } from "../membership.js";
import type { AutopilotHealthView, RaftOperatorBackend } from "../operator-service.js";
import type { LeaderObserver } from "../raft-node.js";
import type { StateMachine } from "../state-machine.js";
import { type Envelope, PortOutbox, unbatch } from "./port-outbox.js";
import {
  errorFromWire,
  type HealthAnswer,
  type MainMessage,
  type RaftStatus,
  type RaftThreadSettings,
  type ThreadMessage,
} from "./protocol.js";
import { StreamHost, StreamReader } from "./remote-stream.js";
import { StateMachineHost } from "./state-machine-host.js";

/**
 * How a proposer's result crosses the port: the state machine's results are encoded on main
 * before they travel to the Raft thread (which settles the proposal with them) and decoded on
 * main when the proposal's answer comes back. Structured clone keeps plain data; errors lose
 * their class, so a state machine whose results hold errors encodes them explicitly.
 */
export interface RaftThreadOptions {
  readonly settings: Omit<RaftThreadSettings, "appliedIndex" | "stateMachinePersists">;
  /** The application's state machine; it stays on this thread. */
  readonly stateMachine: StateMachine;
  readonly log: Logger;
  /**
   * The Raft thread died or its node failed (disk, broken invariant) after it started (before,
   * `running()` rejects instead). The agent must stop serving: a server with a dead Raft would
   * answer from state that no longer moves.
   */
  readonly onFatal: (error: Error) => void;
  /** The Raft listener is bound (before discovery, which may wait for the other servers). */
  readonly onListening?: ((raftAddress: string) => void) | undefined;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

/**
 * Main's handle on the Raft thread (raft-thread.ts): RaftNode's surface as the agent uses it.
 * Getters read the status the thread pushes on every change (so they stay synchronous; they may
 * trail the thread by one message), calls are requests on the port, and the state machine
 * hosted here answers the thread's apply, snapshot and restore requests in their order.
 *
 * Proposal results never cross the port: the thread names, on each entry it hands over, the
 * pending proposal of this server the entry carries (its request id here, matched by proposer
 * header in RaftNode), and main resolves that request with the state machine's result right after
 * applying it, before the thread even hears the ack. A write so waits for two crossings (proposal
 * in, entries out), not four. A proposal that fails on the thread (expired, replaced, not leader)
 * is never named on an entry and is answered by the thread's reply as any other request; one
 * named after it failed finds no pending request here, and the late answer is ignored.
 *
 * The thread does not wait for main to apply (state-machine-host.ts), so its answers may run
 * ahead of the state here: a read barrier resolves only once main applied up to its index.
 */
export class RaftThreadClient implements RaftOperatorBackend {
  private readonly worker: Worker;
  /** Everything main posts goes through it, grouped per turn (port-outbox.ts). */
  private readonly outbox: PortOutbox<MainMessage>;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private status: RaftStatus | undefined;
  private readonly observers = new Set<LeaderObserver>();
  private readonly streams: StreamHost;
  private readonly reader: StreamReader;
  /** Serves the thread's state machine requests in arrival order (as RaftNode issues them). */
  private readonly host: StateMachineHost;
  private stopped = false;
  private dead: Error | undefined;
  private raftAddress = "";
  private startOutcome: DiscoveryOutcome["kind"] | undefined;
  private started: { resolve: () => void; reject: (e: Error) => void } | undefined;
  private readonly startedPromise: Promise<void>;

  private constructor(private readonly options: RaftThreadOptions) {
    this.startedPromise = new Promise<void>((resolve, reject) => {
      this.started = { resolve, reject };
    });
    // Nobody may be waiting yet when the thread fails early: onFatal reports it.
    this.startedPromise.catch(() => undefined);
    const post = (message: MainMessage, transfer?: ArrayBuffer[]): void => this.post(message, transfer);
    this.streams = new StreamHost(post);
    this.reader = new StreamReader(post);
    this.host = new StateMachineHost(options.stateMachine, {
      post: (message) => this.post(message),
      streams: this.streams,
      reader: this.reader,
      answer: (id, result) => {
        const pending = this.pending.get(id);
        this.pending.delete(id);
        pending?.resolve(result);
      },
      log: options.log,
    });
    const settings: RaftThreadSettings = {
      ...options.settings,
      appliedIndex: this.host.appliedIndex(),
      stateMachinePersists: options.stateMachine.persist !== undefined,
    };
    this.worker = new Worker(threadEntry(), { workerData: settings });
    this.outbox = new PortOutbox((message, transfer) => {
      if (this.dead === undefined) this.worker.postMessage(message, transfer);
    });
    this.worker.on("message", (envelope: Envelope<ThreadMessage>) =>
      unbatch(envelope, (message) => this.onMessage(message)),
    );
    this.worker.on("error", (error: Error) => this.die(error));
    this.worker.on("exit", (code) => this.die(new Error(`raft thread exited with code ${code}`)));
  }

  /**
   * Starts the Raft thread. The client answers discovery (`discover`) at once; `running()`
   * resolves once the node runs (after discovery for a new server, as startRaftServer does).
   */
  static launch(options: RaftThreadOptions): RaftThreadClient {
    return new RaftThreadClient(options);
  }

  /** Resolves once the node runs; rejects if the thread failed before. */
  running(): Promise<void> {
    return this.startedPromise;
  }

  /** How this server started (restart, founder, listed member, or joiner). */
  get outcome(): DiscoveryOutcome["kind"] {
    return this.startOutcome ?? "initialized";
  }

  // ── status (sync) ──

  leaderId(): RaftId | undefined {
    return this.status?.leaderId;
  }

  leaderAddress(): string | undefined {
    return this.status?.leaderAddress;
  }

  isLeader(): boolean {
    return this.status?.isLeader === true;
  }

  currentTerm(): Term {
    return this.status?.term ?? 0;
  }

  configuration(): RaftConfiguration {
    return this.status?.configuration ?? { index: 0, servers: [] };
  }

  electionTimeoutMs(): number {
    return this.status?.electionTimeoutMs ?? 0;
  }

  autopilotConfiguration(): AutopilotConfig {
    const config = this.status?.autopilot;
    if (config === undefined) throw new Error("raft thread not started");
    return config;
  }

  /** As RaftNode.lastContactMs: 0 on the leader, Infinity with no leader heard from. */
  lastContactMs(): number {
    const status = this.status;
    if (status === undefined) return Number.POSITIVE_INFINITY;
    if (status.isLeader) return 0;
    if (status.leaderId === undefined || status.lastContactAt === 0) return Number.POSITIVE_INFINITY;
    return Math.max(0, Date.now() - status.lastContactAt);
  }

  raftEndpoint(): string {
    return this.raftAddress;
  }

  /** Called (on this thread) on every change of the known leader. */
  onLeaderChange(observer: LeaderObserver): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  // ── requests ──

  async propose(payload: Uint8Array): Promise<unknown> {
    // The port clones a view's whole buffer (an encoder's shared one, possibly large): a view of
    // part of one is copied once into a buffer of its own, which is transferred.
    const whole = payload.byteOffset === 0 && payload.byteLength === payload.buffer.byteLength;
    // `new Uint8Array(view)` copies; a Buffer's slice() would not (and transferring its shared
    // buffer would empty every other view of it, the encoder's included).
    const data = whole ? payload : new Uint8Array(payload);
    // Resolved by serveStateMachine with the applied entry's result (see the class comment).
    return this.request(
      (id) => ({ type: "propose", id, data }),
      whole ? undefined : [data.buffer as ArrayBuffer],
    );
  }

  /** Read barriers the thread answered that wait for main's state to reach their index. */
  get heldReadBarriers(): number {
    return this.host.waiting;
  }

  /**
   * A linearizable read point (RaftNode.readBarrier): the thread's answer names an index it
   * handed over for applying, which main may not have reached yet; reads here need main's state.
   */
  async readBarrier(): Promise<LogIndex> {
    const index = (await this.request((id) => ({ type: "readBarrier", id }))) as LogIndex;
    await this.host.whenApplied(index);
    return index;
  }

  async addServer(server: RaftId, address: string): Promise<LogIndex> {
    return (await this.request((id) => ({ type: "addServer", id, server, address }))) as LogIndex;
  }

  async removeServer(server: RaftId): Promise<LogIndex> {
    return (await this.request((id) => ({ type: "removeServer", id, server }))) as LogIndex;
  }

  async transferLeadership(target?: RaftId): Promise<RaftId> {
    return (await this.request((id) => ({ type: "transferLeadership", id, target }))) as RaftId;
  }

  async autopilotHealth(): Promise<AutopilotHealthView> {
    const answer = (await this.request((id) => ({ type: "autopilotHealth", id }))) as HealthAnswer;
    return { ...answer, lastTerms: new Map(answer.lastTerms) };
  }

  async discover(request: DiscoverRequest__Output): Promise<DiscoverResponse> {
    return (await this.request((id) => ({ type: "discover", id, request }))) as DiscoverResponse;
  }

  /** The Raft thread's metrics (drover_raft_*, its transport's, its event-loop lag). */
  async metrics(): Promise<MetricsJson> {
    return (await this.request((id) => ({ type: "metrics", id }))) as MetricsJson;
  }

  /** The agent's TLS files were reloaded (SIGHUP): the thread reloads its copy. */
  reloadTls(): void {
    this.post({ type: "reloadTls" });
  }

  /**
   * Stops the node (log closed, listener down) and ends the thread, then waits for the state
   * machine to finish what the thread handed it (the caller closes it next). Safe to call twice.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    try {
      if (this.dead === undefined) await this.request((id) => ({ type: "stop", id }));
    } finally {
      this.stopped = true;
      this.streams.clear();
      await this.worker.terminate();
      await this.host.idle();
    }
  }

  // ── the port ──

  private post(message: MainMessage, transfer?: ArrayBuffer[]): void {
    if (this.dead !== undefined) return;
    this.outbox.post(message, transfer);
  }

  private request(build: (id: number) => MainMessage, transfer?: ArrayBuffer[]): Promise<unknown> {
    if (this.dead !== undefined) return Promise.reject(new NotLeaderError(undefined));
    const id = this.nextId++;
    return new Promise<unknown>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.post(build(id), transfer);
    });
  }

  private onMessage(message: ThreadMessage): void {
    switch (message.type) {
      case "reply": {
        const pending = this.pending.get(message.id);
        this.pending.delete(message.id);
        if (pending === undefined) return;
        if (message.error !== undefined) pending.reject(errorFromWire(message.error));
        else pending.resolve(message.value);
        return;
      }
      case "status":
        this.setStatus(message.status);
        return;
      case "listening":
        this.raftAddress = message.raftAddress;
        this.options.onListening?.(message.raftAddress);
        return;
      case "started":
        this.startOutcome = message.outcome;
        this.setStatus(message.status);
        this.started?.resolve();
        this.started = undefined;
        return;
      case "fatal":
        this.die(errorFromWire(message.error));
        return;
      case "pull":
      case "cancel":
        this.streams.handle(message);
        return;
      case "chunk":
        this.reader.handle(message);
        return;
      case "apply":
      case "persist":
      case "snapshot":
      case "restore":
        this.host.serve(message);
        return;
    }
  }

  private setStatus(status: RaftStatus): void {
    const previous = this.status;
    this.status = status;
    if (previous?.leaderId === status.leaderId) return;
    const info = { id: status.leaderId, isSelf: status.isLeader, term: status.term };
    for (const observer of this.observers) observer(info);
  }

  private die(error: Error): void {
    if (this.dead !== undefined) return;
    this.dead = error;
    const stopped = this.stopped;
    for (const pending of this.pending.values()) pending.reject(new NotLeaderError(undefined));
    this.pending.clear();
    this.host.close(new NotLeaderError(undefined));
    this.reader.failAll(error);
    this.streams.clear();
    const starting = this.started;
    this.started = undefined;
    // Before the node ran, the agent's start fails with the error (one line, exit 1); after,
    // the agent is told to stop serving.
    if (starting !== undefined) starting.reject(error);
    else if (!stopped) this.options.onFatal(error);
  }
}

/**
 * The thread's JS file: beside this one when running compiled (dist/); under vitest (this file
 * is .ts) the compiled copy in the package's dist/, which `npm run build` produces.
 */
function threadEntry(): URL {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith(".js")) return new URL("./raft-thread.js", import.meta.url);
  let dir = dirname(here);
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, "package.json"))) {
      const compiled = join(dir, "dist", "src", "raft", "thread", "raft-thread.js");
      if (!existsSync(compiled)) throw new Error(`${compiled} missing: run \`npm run build\` first`);
      return pathToFileURL(compiled);
    }
    dir = dirname(dir);
  }
  throw new Error("raft thread: package root not found");
}
