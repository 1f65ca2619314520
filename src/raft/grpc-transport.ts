import * as grpc from "@grpc/grpc-js";
import { assert } from "../common/assert.js";
import { ValidationError } from "../common/errors.js";
import { GrpcServerMetrics } from "../common/grpc-metrics.js";
import { MAX_GRPC_MESSAGE_BYTES } from "../common/limits.js";
import type { Logger } from "../common/log.js";
import type { AgentMetrics } from "../common/metrics.js";
import { loadProto } from "../common/proto.js";
import { rpcChannelCredentials, rpcChannelOptions } from "../common/tls.js";
import type { MessageBatch__Output } from "../gen/proto/drover/raft/MessageBatch.js";
import type { PackedMessages, PackedMessages__Output } from "../gen/proto/drover/raft/PackedMessages.js";
import type { RaftMessage__Output } from "../gen/proto/drover/raft/RaftMessage.js";
import type { RaftTransportClient } from "../gen/proto/drover/raft/RaftTransport.js";
import type { SnapshotAck } from "../gen/proto/drover/raft/SnapshotAck.js";
import type { SnapshotChunk, SnapshotChunk__Output } from "../gen/proto/drover/raft/SnapshotChunk.js";
import type { ProtoGrpcType } from "../gen/proto/raft.js";
import type { Message, RaftId, SnapshotMetadata } from "./core/types.js";
import { FaultInjector } from "./fault-injector.js";
import { decodeBatch, decodeMessage, encodeBatch, encodeMessage, messageSize } from "./message-codec.js";
import type { OpenedSnapshot } from "./snapshots.js";

/**
 * Raft messages between servers over gRPC (proto/raft.proto).
 *
 * - AppendEntries, heartbeats and all responses ride one long-lived client stream per peer
 *   (`StreamPacked`), pipelined, no waiting for replies (replies come back as messages on the
 *   peer's own stream to us). Everything queued for a peer during one turn of the event loop
 *   (possibly several Readies) leaves as ONE stream message, msgpackr-packed into one `bytes`
 *   field: grpc-js and protobuf cost about the same per stream message whatever it carries, and
 *   they were a large share of a server's CPU per write. Order per peer is kept.
 * - Votes, pre-votes and TimeoutNow go as unary calls so they never wait behind a backlog.
 * - InstallSnapshot streams the snapshot file in chunks; a failure is reported to the core,
 *   which retries later from the beginning.
 * - A broken stream is reopened on the next send after a backoff (50 ms doubling to 1 s);
 *   messages meanwhile are dropped, which Raft tolerates (it retransmits), and the peer is
 *   reported unreachable so the core stops pipelining to it (etcd's MsgUnreachable).
 */

/** What the transport hands to the driver. */
export interface TransportHandler {
  /** A message from a peer, to be stepped into the core. */
  onMessage(message: Message): void;
  /**
   * A `snap` message and the snapshot's bytes: store them durably, then step the message.
   * Rejecting (or a broken `chunks`) reports the failure to the sender.
   */
  receiveSnapshot(message: Message, chunks: AsyncIterable<Uint8Array>): Promise<void>;
  /** A peer could not be reached (core: reportUnreachable). */
  onUnreachable(peer: RaftId): void;
  /** A snapshot send finished (core: reportSnapshot). */
  onSnapshotStatus(peer: RaftId, ok: boolean): void;
  /** The stream a peer keeps to us broke: if it is the leader, it may be gone. */
  onInboundStreamLost(peer: RaftId): void;
  /**
   * A peer told us where it listens (every call carries the sender's id and address), so that a
   * server that joins with an empty configuration can answer the leader before it learns the
   * membership from a snapshot.
   */
  onPeerAddress(peer: RaftId, address: string): void;
}

const FROM_METADATA_KEY = "x-drover-raft-from";

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export interface GrpcTransportOptions {
  readonly id: RaftId;
  /** Where this server listens for Raft RPCs (told to peers with every call). */
  readonly address: string;
  readonly log: Logger;
  /**
   * The snapshot to send a peer that needs `requested` (the core's message names the log's):
   * the bytes to stream and the metadata they hold, which the message then carries instead.
   */
  readonly openSnapshot: (requested: SnapshotMetadata) => Promise<OpenedSnapshot>;
  readonly faults?: FaultInjector;
  /** Upper bound on one gRPC message (a batch of entries); default 64 MiB. */
  readonly maxMessageBytes?: number;
  /** Batches waiting for a blocked stream to drain before new ones are dropped; default 1024. */
  readonly maxQueuedBatches?: number;
  /** Deadline of a unary vote/TimeoutNow call; default 1 s. */
  readonly unaryTimeoutMs?: number;
  /** Where the served calls are counted (drover_grpc_server_*); unmeasured when absent. */
  readonly metrics?: AgentMetrics | undefined;
  /**
   * Where a peer's Raft listener is, given the address the configuration stores for it (its RPC
   * address). Absent: that address is the listener itself. Asked before the first connection
   * and again after a call fails as UNAVAILABLE (the peer may have restarted on a new port).
   */
  readonly resolveAddress?: ((address: string) => Promise<string>) | undefined;
}

export const DEFAULT_MAX_MESSAGE_BYTES = MAX_GRPC_MESSAGE_BYTES;

/** Channel options for every Raft connection (also what a gRPC server hosting the service should use). */
export function raftChannelOptions(maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES): grpc.ChannelOptions {
  return {
    "grpc.max_receive_message_length": maxMessageBytes,
    "grpc.max_send_message_length": maxMessageBytes,
    // grpc-js defaults to 1 s initial / 120 s maximum reconnect backoff: far too slow to notice a
    // restarted peer on a LAN.
    "grpc.initial_reconnect_backoff_ms": 50,
    "grpc.max_reconnect_backoff_ms": 1000,
    "grpc.keepalive_time_ms": 10_000,
    "grpc.keepalive_timeout_ms": 5_000,
    ...rpcChannelOptions("server"),
  };
}

const URGENT: ReadonlySet<Message["type"]> = new Set([
  "vote",
  "preVote",
  "voteResp",
  "preVoteResp",
  "timeoutNow",
]);

let protoCache: ProtoGrpcType | undefined;
export function raftProto(): ProtoGrpcType {
  protoCache ??= loadProto("raft.proto") as unknown as ProtoGrpcType;
  return protoCache;
}

export class GrpcTransport {
  readonly faults: FaultInjector;
  private handler: TransportHandler | undefined;
  private readonly peers = new Map<RaftId, Peer>();
  private closed = false;

  constructor(private readonly options: GrpcTransportOptions) {
    this.faults = options.faults ?? new FaultInjector();
  }

  get id(): RaftId {
    return this.options.id;
  }

  setHandler(handler: TransportHandler): void {
    this.handler = handler;
  }

  /** Registers the RaftTransport service on a gRPC server (the caller binds and starts it). */
  addToServer(server: grpc.Server): void {
    const service = raftProto().drover.raft.RaftTransport.service;
    // Streams are measured once per stream (not per message): this is the hot append path.
    const handlers: grpc.UntypedServiceImplementation = {
      StreamPacked: (
        call: grpc.ServerReadableStream<PackedMessages__Output, object>,
        callback: grpc.sendUnaryData<object>,
      ) => this.serveStream(call, callback, (packed) => decodeBatch(packed.messages)),
      Send: (
        call: grpc.ServerUnaryCall<MessageBatch__Output, object>,
        callback: grpc.sendUnaryData<object>,
      ) => {
        let messages: Message[];
        try {
          messages = this.decodeForMe(() => call.request.messages.map(decodeMessage));
        } catch (error) {
          callback({ code: grpc.status.INVALID_ARGUMENT, details: `bad raft messages: ${errorText(error)}` });
          return;
        }
        this.notePeerAddress(call.metadata);
        for (const message of messages) this.deliver(message);
        callback(null, {});
      },
      InstallSnapshot: (
        call: grpc.ServerReadableStream<SnapshotChunk__Output, SnapshotAck>,
        callback: grpc.sendUnaryData<SnapshotAck>,
      ) => {
        this.serveSnapshot(call).then(
          () => callback(null, { ok: true }),
          (error: unknown) => {
            this.options.log.warn({ err: error }, "snapshot receive failed");
            const code =
              error instanceof ValidationError ? grpc.status.INVALID_ARGUMENT : grpc.status.ABORTED;
            callback({ code, details: `snapshot receive failed: ${errorText(error)}` });
          },
        );
      },
    };
    const metrics = this.options.metrics;
    server.addService(
      service,
      metrics === undefined ? handlers : GrpcServerMetrics.of(metrics).instrument(service, handlers),
    );
  }

  /** Adds or re-addresses a peer; connections open lazily on the first send. */
  setPeer(id: RaftId, address: string): void {
    if (id === this.options.id) return;
    const existing = this.peers.get(id);
    if (existing !== undefined && existing.address === address) return;
    existing?.close();
    this.peers.set(id, new Peer(id, address, this.options, () => this.requireHandler()));
  }

  removePeer(id: RaftId): void {
    this.peers.get(id)?.close();
    this.peers.delete(id);
  }

  peerAddress(id: RaftId): string | undefined {
    return this.peers.get(id)?.address;
  }

  /** Sends one Ready's messages: one batch per peer on its stream, urgent ones as unary calls. */
  send(messages: readonly Message[]): void {
    if (this.closed) return;
    const byPeer = new Map<RaftId, Message[]>();
    for (const message of messages) {
      if (!this.faults.passes(message.to)) continue;
      const peer = this.peers.get(message.to);
      if (peer === undefined) {
        this.options.log.debug({ to: message.to, type: message.type }, "no address for peer; dropped");
        this.requireHandler().onUnreachable(message.to);
        continue;
      }
      if (message.type === "snap") {
        peer.sendSnapshot(message);
      } else if (URGENT.has(message.type)) {
        peer.sendUnary(message);
      } else {
        const list = byPeer.get(message.to);
        if (list === undefined) byPeer.set(message.to, [message]);
        else list.push(message);
      }
    }
    for (const [id, list] of byPeer) this.peers.get(id)?.sendOnStream(list);
  }

  /**
   * Writes what `send` queued for the peers' streams now instead of at the end of this turn's
   * microtasks: for a caller whose next step is long synchronous work (starting a LevelDB write,
   * applying entries) that the messages should not wait behind. Later sends in the same turn
   * still gather into the next stream message.
   */
  flush(): void {
    for (const peer of this.peers.values()) peer.flushPending();
  }

  close(): void {
    this.closed = true;
    for (const peer of this.peers.values()) peer.close();
    this.peers.clear();
  }

  private requireHandler(): TransportHandler {
    assert(this.handler !== undefined, "transport used before setHandler()");
    return this.handler;
  }

  private notePeerAddress(metadata: grpc.Metadata): void {
    const value = metadata.get(FROM_METADATA_KEY)[0];
    if (typeof value !== "string" || this.closed) return;
    const at = value.indexOf("=");
    if (at <= 0) return;
    this.requireHandler().onPeerAddress(value.slice(0, at), value.slice(at + 1));
  }

  private deliver(message: Message): void {
    if (this.closed || !this.faults.passes(message.from)) return;
    assert(message.to === this.options.id, () => `message for ${message.to} delivered to ${this.options.id}`);
    const delay = this.faults.delay();
    if (delay > 0) {
      setTimeout(() => this.requireHandler().onMessage(message), delay);
    } else {
      this.requireHandler().onMessage(message);
    }
  }

  /**
   * Decodes messages from a peer and checks they are addressed to this server and come from
   * another one (the core answers the sender, and a message to itself breaks its invariants): a
   * whole batch is refused (ValidationError) before any of it is stepped.
   */
  private decodeForMe(decode: () => Message[]): Message[] {
    const messages = decode();
    for (const m of messages) {
      if (m.to !== this.options.id) {
        throw new ValidationError(
          `message for ${JSON.stringify(m.to)} sent to ${this.options.id}`,
          "raft message",
        );
      }
      if (m.from === this.options.id || m.from === "") {
        throw new ValidationError(
          `message to ${m.to} claims to come from ${JSON.stringify(m.from)}`,
          "raft message",
        );
      }
    }
    return messages;
  }

  private serveStream<T>(
    call: grpc.ServerReadableStream<T, object>,
    callback: grpc.sendUnaryData<object>,
    decode: (data: T) => Message[],
  ): void {
    // Tell the client at once that the stream is up, so it can reset its backoff.
    call.sendMetadata(new grpc.Metadata());
    this.notePeerAddress(call.metadata);
    let from: RaftId | undefined;
    let lost = false;
    const onLost = (): void => {
      if (lost) return;
      lost = true;
      if (from !== undefined && !this.closed) this.requireHandler().onInboundStreamLost(from);
    };
    let failed = false;
    call.on("data", (data: T) => {
      if (failed) return;
      let messages: Message[];
      try {
        messages = this.decodeForMe(() => decode(data));
      } catch (error) {
        // A peer that sends garbage is broken: fail its stream (it reports us unreachable and
        // reconnects) rather than step part of a batch or crash the process.
        failed = true;
        this.options.log.warn({ err: String(error) }, "undecodable raft stream message; stream failed");
        onLost();
        callback({
          code: grpc.status.INVALID_ARGUMENT,
          details: `undecodable raft messages: ${errorText(error)}`,
        });
        return;
      }
      from ??= messages[0]?.from;
      for (const message of messages) this.deliver(message);
    });
    call.on("end", () => {
      onLost();
      if (!failed) callback(null, {});
    });
    call.on("error", onLost);
    call.on("cancelled", onLost);
  }

  private async serveSnapshot(
    call: grpc.ServerReadableStream<SnapshotChunk__Output, SnapshotAck>,
  ): Promise<void> {
    this.notePeerAddress(call.metadata);
    const iterator = (call as AsyncIterable<SnapshotChunk__Output>)[Symbol.asyncIterator]();
    const first = await iterator.next();
    if (first.done === true || first.value.message === null) {
      throw new ValidationError("InstallSnapshot stream without a leading message");
    }
    const [message] = this.decodeForMe(() => [decodeMessage(first.value.message as RaftMessage__Output)]);
    if (message?.type !== "snap" || message.snapshot === undefined) {
      throw new ValidationError("InstallSnapshot's first chunk is not a snap with metadata");
    }
    if (!this.faults.passes(message.from)) throw new Error("dropped by fault injection");
    const firstData = first.value.data;
    async function* chunks(): AsyncIterable<Uint8Array> {
      if (firstData.length > 0) yield firstData;
      for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) {
        yield next.value.data;
      }
    }
    await this.requireHandler().receiveSnapshot(message, chunks());
  }
}

/** The wait before retrying a peer after `previousMs`: doubling from 50 ms, at most 1 s. */
function nextBackoffMs(previousMs: number): number {
  return Math.min(1000, Math.max(50, previousMs * 2));
}

/** One peer's connection: a client, the long-lived stream and its backoff. */
class Peer {
  /** Undefined until the peer's Raft listener is known (resolveAddress) and after it is forgotten. */
  private client: RaftTransportClient | undefined;
  private resolving = false;
  private resolveRetryAt = 0;
  private resolveBackoffMs = 0;
  private readonly from: grpc.Metadata;
  private stream: grpc.ClientWritableStream<PackedMessages> | undefined;
  private blocked = false;
  private readonly queue: PackedMessages[] = [];
  /** Messages for this peer from the current turn, flushed as one stream message. */
  private pending: Message[] = [];
  private flushScheduled = false;
  private backoffMs = 0;
  private retryAt = 0;
  private sendingSnapshot = false;
  private closed = false;

  constructor(
    readonly id: RaftId,
    readonly address: string,
    private readonly options: GrpcTransportOptions,
    private readonly handler: () => TransportHandler,
  ) {
    this.from = new grpc.Metadata();
    this.from.set(FROM_METADATA_KEY, `${options.id}=${options.address}`);
    if (options.resolveAddress === undefined) this.client = this.newClient(address);
  }

  private newClient(dial: string): RaftTransportClient {
    const Client = raftProto().drover.raft.RaftTransport;
    return new Client(
      dial,
      rpcChannelCredentials("server"),
      raftChannelOptions(this.options.maxMessageBytes),
    );
  }

  /**
   * The client to the peer's Raft listener, or undefined while it is being resolved (messages
   * meanwhile are dropped and the peer reported unreachable: Raft retransmits).
   */
  private currentClient(): RaftTransportClient | undefined {
    if (this.client !== undefined || this.closed) return this.client;
    const resolve = this.options.resolveAddress;
    if (resolve === undefined || this.resolving || Date.now() < this.resolveRetryAt) return undefined;
    this.resolving = true;
    resolve(this.address).then(
      (dial) => {
        this.resolving = false;
        this.resolveBackoffMs = 0;
        if (this.closed || this.client !== undefined) return;
        this.options.log.debug({ peer: this.id, address: this.address, raft: dial }, "peer's raft listener");
        this.client = this.newClient(dial);
      },
      (error: unknown) => {
        this.resolving = false;
        this.resolveBackoffMs = nextBackoffMs(this.resolveBackoffMs);
        this.resolveRetryAt = Date.now() + this.resolveBackoffMs;
        this.options.log.debug(
          { peer: this.id, address: this.address, err: errorText(error) },
          "resolving peer failed",
        );
      },
    );
    return undefined;
  }

  /** A call found nobody at the resolved listener: ask the peer's RPC port again next time. */
  private forgetListener(error: grpc.ServiceError | null | undefined): void {
    if (this.options.resolveAddress === undefined || error?.code !== grpc.status.UNAVAILABLE) return;
    const client = this.client;
    if (client === undefined) return;
    this.client = undefined;
    if (this.stream !== undefined) {
      this.stream.cancel();
      this.stream = undefined;
      this.blocked = false;
      this.queue.length = 0;
    }
    client.close();
  }

  sendOnStream(messages: readonly Message[]): void {
    for (const message of messages) this.pending.push(message);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // A microtask, not setImmediate: the driver's Ready loop runs in a setImmediate callback, so
    // this still gathers every Ready of that callback without delaying the messages by a turn.
    queueMicrotask(() => this.flush());
  }

  /** Writes the pending messages now (the scheduled flush then finds nothing to do). */
  flushPending(): void {
    if (this.pending.length > 0) this.flush();
  }

  private flush(): void {
    this.flushScheduled = false;
    const messages = this.pending;
    if (messages.length === 0 || this.closed) return;
    this.pending = [];
    const stream = this.openStream();
    if (stream === undefined) {
      this.handler().onUnreachable(this.id);
      return;
    }
    // Several Readies may have queued here: keep each stream message well under the gRPC limit
    // (one Raft message is bounded by the core's maxSizePerMsg, far below it).
    const limit = (this.options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES) / 2;
    let start = 0;
    let size = 0;
    for (let i = 0; i < messages.length; i++) {
      const next = messageSize(messages[i] as Message);
      if (i > start && size + next > limit) {
        this.write(stream, messages.slice(start, i));
        start = i;
        size = 0;
      }
      size += next;
    }
    this.write(stream, start === 0 ? messages : messages.slice(start));
  }

  private write(stream: grpc.ClientWritableStream<PackedMessages>, messages: readonly Message[]): void {
    const batch: PackedMessages = { messages: encodeBatch(messages) };
    if (this.blocked) {
      if (this.queue.length >= (this.options.maxQueuedBatches ?? 1024)) {
        // The peer is not keeping up; dropping is safe (Raft retransmits) and bounds memory.
        this.handler().onUnreachable(this.id);
        return;
      }
      this.queue.push(batch);
      return;
    }
    if (!stream.write(batch)) this.blocked = true;
  }

  sendUnary(message: Message): void {
    const client = this.currentClient();
    if (client === undefined) {
      this.handler().onUnreachable(this.id);
      return;
    }
    const deadline = Date.now() + (this.options.unaryTimeoutMs ?? 1000);
    client.Send({ messages: [encodeMessage(message)] }, this.from, { deadline }, (error) => {
      if (error !== null && !this.closed) {
        if (this.client === client) this.forgetListener(error);
        this.options.log.debug(
          { peer: this.id, type: message.type, err: error.message },
          "unary send failed",
        );
        this.handler().onUnreachable(this.id);
      }
    });
  }

  sendSnapshot(message: Message): void {
    if (this.sendingSnapshot) return; // the core asks again if this one fails
    this.sendingSnapshot = true;
    this.streamSnapshot(message).then(
      () => {
        this.sendingSnapshot = false;
        if (!this.closed) this.handler().onSnapshotStatus(this.id, true);
      },
      (error: unknown) => {
        this.sendingSnapshot = false;
        this.options.log.warn({ peer: this.id, err: String(error) }, "snapshot send failed");
        if (!this.closed) this.handler().onSnapshotStatus(this.id, false);
      },
    );
  }

  private async streamSnapshot(message: Message): Promise<void> {
    assert(message.snapshot !== undefined, "snap message without a snapshot");
    // Opened before the call: producing the snapshot may take long (snapshots.ts).
    const opened = await this.options.openSnapshot(message.snapshot.metadata);
    try {
      await this.sendOpened(
        { ...message, snapshot: { ...message.snapshot, metadata: opened.metadata } },
        opened,
      );
    } finally {
      opened.close();
    }
  }

  private async sendOpened(message: Message, opened: OpenedSnapshot): Promise<void> {
    const meta = opened.metadata;
    this.options.log.info({ peer: this.id, index: meta.index, term: meta.term }, "sending snapshot");
    const client = this.currentClient();
    if (client === undefined) throw new Error(`raft listener of ${this.id} not known yet`);
    let call: grpc.ClientWritableStream<SnapshotChunk> | undefined;
    const acked = new Promise<void>((resolve, reject) => {
      call = client.InstallSnapshot(this.from, (error, ack) => {
        if (error !== null) reject(error);
        else if (ack?.ok !== true) reject(new Error("peer refused the snapshot"));
        else resolve();
      });
    });
    assert(call !== undefined, "InstallSnapshot call not created");
    const stream = call;
    // The peer may refuse (or the call fail) while chunks are still being read and written. Watch
    // for that from the start: a rejection nobody awaits yet would take the whole process down,
    // and a refused call never drains, so waiting for "drain" alone would hang this send forever
    // (and with it every later snapshot to this peer).
    let refusal: { error: unknown } | undefined;
    const refused = acked.then(
      () => undefined,
      (error: unknown) => {
        refusal = { error };
      },
    );
    const throwIfRefused = (): void => {
      if (refusal !== undefined) throw refusal.error;
    };
    try {
      stream.write({ message: encodeMessage(message), data: new Uint8Array(0) });
      for await (const data of opened.chunks) {
        if (this.closed) throw new Error("transport closed");
        throwIfRefused();
        if (!stream.write({ data })) {
          await Promise.race([new Promise<void>((resolve) => stream.once("drain", resolve)), refused]);
          throwIfRefused();
        }
      }
      stream.end();
    } catch (error) {
      stream.cancel();
      await acked.catch(() => undefined);
      throw error;
    }
    await acked;
  }

  private openStream(): grpc.ClientWritableStream<PackedMessages> | undefined {
    if (this.closed) return undefined;
    if (this.stream !== undefined) return this.stream;
    const now = Date.now();
    if (now < this.retryAt) return undefined;
    const client = this.currentClient();
    if (client === undefined) return undefined;
    const stream = client.StreamPacked(this.from, (error) => {
      if (this.stream !== stream) return;
      this.stream = undefined;
      this.blocked = false;
      this.queue.length = 0;
      if (this.closed) return;
      if (this.client === client) this.forgetListener(error);
      this.backoffMs = nextBackoffMs(this.backoffMs);
      this.retryAt = Date.now() + this.backoffMs;
      this.options.log.debug({ peer: this.id, err: error?.message }, "raft stream closed");
      this.handler().onUnreachable(this.id);
    });
    stream.on("metadata", () => {
      this.backoffMs = 0;
    });
    stream.on("drain", () => {
      this.blocked = false;
      while (!this.blocked && this.queue.length > 0) {
        const next = this.queue.shift() as PackedMessages;
        if (!stream.write(next)) this.blocked = true;
      }
    });
    this.stream = stream;
    return stream;
  }

  close(): void {
    this.closed = true;
    this.stream?.cancel();
    this.stream = undefined;
    this.client?.close();
  }
}
