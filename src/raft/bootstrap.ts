import * as grpc from "@grpc/grpc-js";
import type { DiscoverRequest__Output } from "../gen/proto/drover/raft/DiscoverRequest.js";
import type {
  DiscoverResponse,
  DiscoverResponse__Output,
} from "../gen/proto/drover/raft/DiscoverResponse.js";
import type { RaftOperatorClient } from "../gen/proto/drover/raft/RaftOperator.js";
import type { Logger } from "../shared/log.js";
import type { RaftId } from "./core/types.js";
import { raftChannelOptions, raftProto } from "./grpc-transport.js";
import type { RaftNode } from "./raft-node.js";

/**
 * Forming exactly one cluster from `--bootstrap-expect N --join a,b,…`.
 *
 * Servers ask each other (Discover) whom they know, and spread what they learn. A server with no
 * Raft state bootstraps only when (1) it knows exactly N servers, itself included, (2) every one
 * of the others answered in the same round, knowing exactly the same N servers, and (3) none of
 * them is already in a cluster. Then all N founders write the very same initial configuration
 * (bootstrapSnapshot of the sorted ids, index 1, term 1), so there is one cluster whatever the
 * start order; a founder that is late finds the cluster formed and simply starts (it is listed in
 * the configuration; the leader catches it up by snapshot). If more than N servers show up before
 * the cluster forms, nobody bootstraps (that is a misconfiguration, said loudly in the log).
 *
 * A server that finds a running cluster that does not list it asks to be added (AddServer, which
 * any member forwards to the leader): it joins as a learner and is promoted once caught up.
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
  /** Listed in a running cluster's configuration: start and wait for the leader. */
  | { readonly kind: "member" }
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
}

export class Discovery {
  private readonly known = new Map<RaftId, string>();
  private readonly clients = new Map<string, RaftOperatorClient>();
  private stopped = false;
  private warnedCrowd = false;

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
      if (running.length > 0) {
        const listed = running.some((a) => a.response.known.some((s) => s.id === this.options.self.id));
        if (listed) return { kind: "member" };
        return { kind: "join", via: running.map((a) => a.address) };
      }
      if (expect > 0 && this.known.size > expect && !this.warnedCrowd) {
        this.warnedCrowd = true;
        this.options.log.error(
          { expect, known: this.knownList() },
          "more servers than bootstrap_expect are trying to form a cluster; not bootstrapping",
        );
      }
      if (expect > 0 && this.known.size === expect && this.allAgree(answers)) {
        return { kind: "bootstrap", servers: this.knownList() };
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
          this.client(address).AddServer(
            { id: this.options.self.id, address: this.options.self.address },
            { deadline: Date.now() + 120_000 },
            (error) => (error === null ? resolve() : reject(error)),
          );
        });
        this.options.log.info({ via: address }, "added to the cluster");
        return;
      } catch (error) {
        this.options.log.warn({ via: address, err: (error as Error).message }, "join failed; retrying");
        await sleep(500);
      }
    }
  }

  close(): void {
    this.stopped = true;
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
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
          // An unreachable server is normal during discovery: it has not started yet.
          resolve(error === null && response !== undefined ? { address, response } : undefined);
        },
      );
    });
  }

  private client(address: string): RaftOperatorClient {
    let client = this.clients.get(address);
    if (client === undefined) {
      const Client = raftProto().drover.raft.RaftOperator;
      client = new Client(address, grpc.credentials.createInsecure(), raftChannelOptions());
      this.clients.set(address, client);
    }
    return client;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
