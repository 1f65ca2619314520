import type * as grpc from "@grpc/grpc-js";
import { status } from "@grpc/grpc-js";
import type { Logger } from "../common/log.js";
import { rpcChannelCredentials } from "../common/tls.js";
import type { DiscoverRequest__Output } from "../gen/proto/drover/raft/DiscoverRequest.js";
import type {
  DiscoverResponse,
  DiscoverResponse__Output,
} from "../gen/proto/drover/raft/DiscoverResponse.js";
import type { RaftOperatorClient } from "../gen/proto/drover/raft/RaftOperator.js";
import type { RaftId } from "./core/types.js";
import { raftChannelOptions, raftProto } from "./grpc-transport.js";
import type { RaftNode } from "./raft-node.js";

/**
 * Forming exactly one cluster from `--bootstrap-expect N --join a,b,…`.
 *
 * Servers ask each other (Discover) whom they know, and spread what they learn. A server with no
 * Raft state writes a founding configuration (bootstrapSnapshot of the sorted ids, index 1,
 * term 1) in one of three ways:
 *
 * 1. **All N present**: it knows exactly N servers, itself included, every other one answered in
 *    the same round knowing exactly the same N, and none of them is in a cluster. Every founder
 *    reaches that conclusion and writes the same configuration.
 * 2. **A majority present** (N/2+1 ≤ known < N, the rest never showed up): the known set has not
 *    changed for `partialBootstrapAfterMs` while every other member kept answering it, out of any
 *    cluster, with exactly that set; then only the server with the smallest id among them (the
 *    *decider*) writes it. The others copy it (rule 3). Why one decider is safe: a founding set C
 *    needs an answer from each of its members knowing exactly C; answering a caller adds the
 *    caller to what one knows, and known sets only grow, so of two deciders with sets C1 ≠ C2
 *    (which intersect, both being majorities of N) one would have been known to the other
 *    before it decided, and then it was not the smallest id of its set, or its set was not C.
 * 3. **Copying**: a running server that lists this one and still holds its founding
 *    configuration (configuration index 0) answers it; this server writes that very configuration.
 *    So a founder that was slow to answer (or started after the others formed a cluster that
 *    lists it) gets the founders' configuration, persists it, and votes at once: without it, it
 *    would know no peer addresses and could not answer a vote — with one founder missing the
 *    other two would never elect.
 *
 * From the moment a server decides (before its configuration is durable), it answers as a member
 * of the cluster it founded, so nobody learns a set it could disagree with. A server that finds a
 * running cluster that does not list it asks to be added (AddServer, which any member forwards to
 * the leader): it joins as a learner and is promoted once caught up and stable. If more than N
 * servers show up before the cluster forms, nobody bootstraps (a misconfiguration, said loudly).
 * A server that already holds Raft state restarts from it and never runs discovery: a cluster
 * restarted with a founder missing elects from the persisted configuration.
 */

export interface ServerAddress {
  readonly id: RaftId;
  readonly address: string;
}

export type DiscoveryOutcome =
  /** This server already holds Raft state: restart as it was. */
  | { readonly kind: "initialized" }
  /** A founder of a new cluster: write this configuration, then start. */
  | { readonly kind: "bootstrap"; readonly servers: readonly ServerAddress[] }
  /**
   * Listed in a running cluster that changed its configuration since it was founded: start
   * (knowing the members' addresses, so that it can answer them) and wait for the leader.
   */
  | { readonly kind: "member"; readonly servers: readonly ServerAddress[] }
  /** A running cluster that does not list us: start, then ask to be added via these servers. */
  | { readonly kind: "join"; readonly via: readonly string[] };

export interface DiscoveryOptions {
  readonly self: ServerAddress;
  /** Servers to expect before bootstrapping; 0 never bootstraps (join an existing cluster only). */
  readonly bootstrapExpect: number;
  readonly join: readonly string[];
  readonly node: RaftNode;
  readonly log: Logger;
  readonly intervalMs?: number;
  /** How long a majority of `bootstrapExpect` must be stable before it founds the cluster alone. */
  readonly partialBootstrapAfterMs?: number;
}

/** Default wait before a majority of the expected servers founds the cluster without the rest. */
export const PARTIAL_BOOTSTRAP_AFTER_MS = 2000;

export class Discovery {
  private readonly known = new Map<RaftId, string>();
  private readonly clients = new Map<string, RaftOperatorClient>();
  /** The last refusal logged per peer, so that a retry loop says each new reason once. */
  private readonly lastRefusal = new Map<string, string>();
  private readonly calls = new Set<grpc.ClientUnaryCall>();
  private stopped = false;
  private warnedCrowd = false;
  /** The founding configuration this server decided on (set before it is durable). */
  private founded: ServerAddress[] | undefined;
  /** The known set (JSON) that every other known server last agreed on, and since when. */
  private agreedSet = "";
  private agreedSince = 0;

  constructor(private readonly options: DiscoveryOptions) {
    this.known.set(options.self.id, options.self.address);
  }

  /** The server side of Discover: learn the caller, answer what we know. */
  answer(request: DiscoverRequest__Output): DiscoverResponse {
    const node = this.options.node;
    if (node.isInitialized()) {
      const leader = node.leaderId();
      return {
        self: this.options.self,
        known: node.configuration().servers.map((s) => ({ id: s.id, address: s.address })),
        inCluster: true,
        leader: leader === undefined ? null : { id: leader, address: node.leaderAddress() ?? "" },
        configurationIndex: node.configuration().index,
      };
    }
    if (this.founded !== undefined) {
      return {
        self: this.options.self,
        known: this.founded,
        inCluster: true,
        leader: null,
        configurationIndex: 0,
      };
    }
    const caller = request.self;
    if (caller !== null && caller.id !== "" && caller.address !== "")
      this.known.set(caller.id, caller.address);
    return { self: this.options.self, known: this.knownList(), inCluster: false, leader: null };
  }

  /** Runs discovery rounds until this server knows how to start. */
  async discover(): Promise<DiscoveryOutcome> {
    if (this.options.node.isInitialized()) return { kind: "initialized" };
    const expect = this.options.bootstrapExpect;
    for (let round = 0; !this.stopped; round++) {
      const targets = new Set(this.options.join);
      for (const [id, address] of this.known) if (id !== this.options.self.id) targets.add(address);
      const answers = (await Promise.all([...targets].map((address) => this.ask(address)))).filter(
        (a): a is { address: string; response: DiscoverResponse__Output } => a !== undefined,
      );
      for (const { response } of answers) {
        if (response.inCluster) continue;
        for (const s of response.known) if (s.id !== "") this.known.set(s.id, s.address);
      }
      const running = answers.filter((a) => a.response.inCluster);
      if (running.length > 0) return this.outcomeWithRunning(running);
      if (expect > 0 && this.known.size > expect && !this.warnedCrowd) {
        this.warnedCrowd = true;
        this.options.log.error(
          { expect, known: this.knownList() },
          "more servers than bootstrap_expect are trying to form a cluster; not bootstrapping",
        );
      }
      const agreed = this.allAgree(answers);
      if (expect > 0 && this.known.size === expect && agreed) return this.found();
      if (this.mayFoundWithMajority(agreed)) {
        this.options.log.warn(
          { expect, founders: this.knownList().map((s) => s.id) },
          "founding the cluster with a majority of bootstrap_expect; the others will join",
        );
        return this.found();
      }
      if (round % 20 === 0) {
        this.options.log.info({ known: this.knownList().map((s) => s.id), expect }, "waiting for servers");
      }
      await sleep(this.options.intervalMs ?? 250);
    }
    throw new Error("discovery stopped");
  }

  /** Asks the running cluster (through any of `via`) to add this server, until it is added. */
  async join(via: readonly string[]): Promise<void> {
    for (let attempt = 0; !this.stopped; attempt++) {
      const address = via[attempt % via.length] as string;
      try {
        await new Promise<void>((resolve, reject) => {
          const call = this.client(address).AddServer(
            { id: this.options.self.id, address: this.options.self.address },
            { deadline: Date.now() + 120_000 },
            (error) => {
              this.calls.delete(call);
              if (error === null) resolve();
              else reject(error);
            },
          );
          this.calls.add(call);
        });
        this.options.log.info({ via: address }, "added to the cluster");
        return;
      } catch (error) {
        this.options.log.warn({ via: address, err: (error as Error).message }, "join failed; retrying");
        await sleep(500);
      }
    }
  }

  /**
   * While this server runs: if it has not heard from a leader for `silenceMs`, it asks the
   * servers it knows whether a running cluster still lists it; one that does not (autopilot or
   * an operator removed it while it was down) is asked to add it again, as Nomad's leader
   * re-adds a server that rejoins. A server that is merely cut off finds itself listed and waits.
   */
  async rejoinIfRemoved(silenceMs: number): Promise<void> {
    const node = this.options.node;
    while (!this.stopped) {
      await sleep(this.options.intervalMs ?? 1000);
      if (this.stopped || node.isLeader() || node.lastContactMs() < silenceMs) continue;
      const targets = new Set(this.options.join);
      for (const s of node.configuration().servers) if (s.id !== this.options.self.id) targets.add(s.address);
      const answers = (await Promise.all([...targets].map((address) => this.ask(address)))).filter(
        (a): a is { address: string; response: DiscoverResponse__Output } =>
          a?.response.inCluster === true && a.response.leader !== null,
      );
      const dropped = answers.filter((a) => !a.response.known.some((s) => s.id === this.options.self.id));
      if (dropped.length === 0 || dropped.length < answers.length || this.stopped) continue;
      this.options.log.warn(
        { via: dropped.map((a) => a.address) },
        "the running cluster no longer lists this server; asking to be added again",
      );
      await this.join(dropped.map((a) => a.address));
    }
  }

  close(): void {
    this.stopped = true;
    // A pending AddServer waits for the promotion (seconds): stopping must not wait for it.
    for (const call of this.calls) call.cancel();
    this.calls.clear();
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }

  private outcomeWithRunning(
    running: ReadonlyArray<{ address: string; response: DiscoverResponse__Output }>,
  ): DiscoveryOutcome {
    const listing = running.find((a) => a.response.known.some((s) => s.id === this.options.self.id));
    if (listing === undefined) return { kind: "join", via: running.map((a) => a.address) };
    const servers = listing.response.known.map((s) => ({ id: s.id, address: s.address }));
    if (Number(listing.response.configurationIndex) === 0) {
      this.founded = servers;
      return { kind: "bootstrap", servers };
    }
    return { kind: "member", servers };
  }

  private found(): DiscoveryOutcome {
    const servers = this.knownList();
    this.founded = servers;
    return { kind: "bootstrap", servers };
  }

  /**
   * Rule 2 (see the top of this file): a stable, agreed majority of the expected servers, decided
   * by its smallest id only. Others copy the decider's configuration once it answers as running.
   */
  private mayFoundWithMajority(agreed: boolean): boolean {
    const expect = this.options.bootstrapExpect;
    const now = Date.now();
    const set = JSON.stringify(this.knownList());
    if (!agreed || this.known.size >= expect || this.known.size < Math.floor(expect / 2) + 1) {
      this.agreedSet = "";
      return false;
    }
    if (set !== this.agreedSet) {
      this.agreedSet = set;
      this.agreedSince = now;
      return false;
    }
    const smallest = this.knownList()[0]?.id;
    if (smallest !== this.options.self.id) return false;
    return now - this.agreedSince >= (this.options.partialBootstrapAfterMs ?? PARTIAL_BOOTSTRAP_AFTER_MS);
  }

  private allAgree(answers: ReadonlyArray<{ response: DiscoverResponse__Output }>): boolean {
    const mine = JSON.stringify(this.knownList());
    for (const [id] of this.known) {
      if (id === this.options.self.id) continue;
      const answer = answers.find((a) => a.response.self?.id === id);
      if (answer === undefined) return false;
      const theirs = [...answer.response.known].sort((a, b) => a.id.localeCompare(b.id));
      if (JSON.stringify(theirs.map((s) => ({ id: s.id, address: s.address }))) !== mine) return false;
    }
    return true;
  }

  private knownList(): ServerAddress[] {
    return [...this.known].map(([id, address]) => ({ id, address })).sort((a, b) => a.id.localeCompare(b.id));
  }

  private ask(address: string): Promise<{ address: string; response: DiscoverResponse__Output } | undefined> {
    return new Promise((resolve) => {
      this.client(address).Discover(
        { self: this.options.self, bootstrapExpect: this.options.bootstrapExpect },
        { deadline: Date.now() + 1000 },
        (error, response) => {
          // An unreachable server is normal during discovery: it has not started yet. A refusal
          // (a certificate the peer does not accept, a role check) is not, and is said once.
          if (
            error !== null &&
            error.code !== status.UNAVAILABLE &&
            error.code !== status.DEADLINE_EXCEEDED
          ) {
            if (this.lastRefusal.get(address) !== error.details) {
              this.lastRefusal.set(address, error.details);
              this.options.log.warn(
                { peer: address, code: error.code, err: error.details },
                "discovery refused",
              );
            }
          }
          resolve(error === null && response !== undefined ? { address, response } : undefined);
        },
      );
    });
  }

  private client(address: string): RaftOperatorClient {
    let client = this.clients.get(address);
    if (client === undefined) {
      const Client = raftProto().drover.raft.RaftOperator;
      client = new Client(address, rpcChannelCredentials("server"), raftChannelOptions());
      this.clients.set(address, client);
    }
    return client;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
