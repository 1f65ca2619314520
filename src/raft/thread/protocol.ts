/**
 * Everything that crosses the one MessagePort between an agent's main thread and its Raft thread.
 * Requests carry an id and get exactly one `reply`; the Raft thread also pushes its status on
 * every change and drives the state machine hosted on main (apply, persist, snapshot, restore), which
 * serves them strictly in order: persist, snapshot and restore are each awaited by an answer, applies are
 * not (main acknowledges the batches that ask for it; see thread-state-machine.ts). Byte streams
 * (snapshots) go one pulled chunk at a time (remote-stream.ts), so at most one chunk per stream
 * is in flight.
 */
import { NotFoundError, NotLeaderError, TimeoutError, ValidationError } from "../../common/errors.js";
import type { LogFormat } from "../../common/log.js";
import type { TlsConfig } from "../../common/tls.js";
import type { DiscoverRequest__Output } from "../../gen/proto/drover/raft/DiscoverRequest.js";
import type { DiscoverResponse } from "../../gen/proto/drover/raft/DiscoverResponse.js";
import type { AutopilotConfig, ClusterHealth } from "../autopilot.js";
import type { DiscoveryOutcome } from "../bootstrap.js";
import { ConfChangeRejectedError } from "../core/index.js";
import type { EntryType, LogIndex, RaftId, Term } from "../core/types.js";
import type { RaftConfiguration } from "../membership.js";
import type { RaftTuning } from "../raft-node.js";

/** The Raft thread's settings (workerData): what startRaftServer took, as plain data. */
export interface RaftThreadSettings extends RaftTuning {
  readonly id: RaftId;
  /** The RPC address: the one the Raft configuration stores and peers resolve. */
  readonly rpcAddress: string;
  /** Where the thread binds its own Raft listener (`bind:serfPort`, 0 = any free port). */
  readonly bind: string;
  readonly serfPort: number;
  readonly dataDir: string;
  readonly bootstrapExpect: number;
  readonly join: readonly string[];
  /** The state machine's applied index when the thread starts (the FSM is opened first). */
  readonly appliedIndex: LogIndex;
  /** Main's state machine keeps its state durably itself (StateMachine.persist). */
  readonly stateMachinePersists: boolean;
  /** The agent's gRPC TLS (the same files and region), undefined without TLS. */
  readonly tls?: { readonly config: TlsConfig; readonly region: string } | undefined;
  readonly log: { readonly name: string; readonly level: string; readonly format?: LogFormat | undefined };
  /** The `agent` label of the thread's metrics. */
  readonly metricsAgent: string;
}

/** What main caches so that its getters stay synchronous. */
export interface RaftStatus {
  readonly leaderId: RaftId | undefined;
  readonly leaderAddress: string | undefined;
  readonly term: Term;
  readonly isLeader: boolean;
  readonly configuration: RaftConfiguration;
  /** Date.now() of the last message from the leader (0: none; the leader itself: 0 too). */
  readonly lastContactAt: number;
  readonly electionTimeoutMs: number;
  readonly autopilot: AutopilotConfig;
}

/** An error as plain data; `errorFromWire` gives back the same class. */
export interface WireError {
  readonly name: string;
  readonly message: string;
  readonly leaderId?: string | undefined;
  readonly leaderAddress?: string | undefined;
  readonly where?: string | undefined;
  readonly code?: string | undefined;
}

/** A committed entry whose bytes are a slice of the message's one buffer. */
export interface WireEntry {
  readonly index: LogIndex;
  readonly term: Term;
  readonly type: EntryType;
  readonly offset: number;
  readonly length: number;
  /** Main's request id of the proposal of this server the entry carries: main answers it. */
  readonly proposal?: number;
}

export type HealthAnswer = ClusterHealth & { readonly lastTerms: ReadonlyArray<readonly [RaftId, Term]> };

/** Main → Raft thread. */
export type MainMessage =
  | { readonly type: "propose"; readonly id: number; readonly data: Uint8Array }
  | { readonly type: "readBarrier"; readonly id: number }
  | { readonly type: "addServer"; readonly id: number; readonly server: RaftId; readonly address: string }
  | { readonly type: "removeServer"; readonly id: number; readonly server: RaftId }
  | { readonly type: "transferLeadership"; readonly id: number; readonly target: RaftId | undefined }
  | { readonly type: "autopilotHealth"; readonly id: number }
  | { readonly type: "discover"; readonly id: number; readonly request: DiscoverRequest__Output }
  | { readonly type: "metrics"; readonly id: number }
  | { readonly type: "stop"; readonly id: number }
  | { readonly type: "reloadTls" }
  /**
   * The state machine's answers. `applied`: every apply batch up to `seq` is applied (sent for
   * the batches that ask for it). `smError`: request `seq` failed; main serves nothing after it.
   */
  | { readonly type: "applied"; readonly seq: number }
  | { readonly type: "smError"; readonly seq: number; readonly error: WireError }
  | {
      readonly type: "snapshotTaken";
      readonly seq: number;
      readonly index: LogIndex;
      readonly term?: Term;
      /** Main's stream of the snapshot's bytes, pulled by the Raft thread. */
      readonly stream: number;
    }
  | { readonly type: "restored"; readonly seq: number; readonly appliedIndex: LogIndex }
  /** Every batch before request `seq` is durable on main, the last at Raft index `index`. */
  | { readonly type: "persisted"; readonly seq: number; readonly index: LogIndex }
  | StreamMessage;

/** Raft thread → main. */
export type ThreadMessage =
  | { readonly type: "reply"; readonly id: number; readonly value?: unknown; readonly error?: WireError }
  | { readonly type: "status"; readonly status: RaftStatus }
  | {
      readonly type: "started";
      readonly outcome: DiscoveryOutcome["kind"];
      readonly status: RaftStatus;
    }
  /** The Raft listener is bound (before discovery: peers may resolve it from then on). */
  | { readonly type: "listening"; readonly raftAddress: string }
  | { readonly type: "fatal"; readonly error: WireError }
  /**
   * Committed entries for the state machine, bytes in `buffer` (transferred). Main answers the
   * proposals the entries name (WireEntry.proposal) with their results as soon as it applied them,
   * and posts `applied` for this batch only when `ack` is set.
   */
  | {
      readonly type: "apply";
      readonly seq: number;
      readonly entries: readonly WireEntry[];
      readonly buffer: ArrayBuffer;
      readonly ack: boolean;
    }
  | { readonly type: "snapshot"; readonly seq: number }
  /** Make everything applied so far durable (StateMachine.persist). */
  | { readonly type: "persist"; readonly seq: number }
  /** `stream`: the Raft thread's stream of the received snapshot, pulled by main. */
  | { readonly type: "restore"; readonly seq: number; readonly index: LogIndex; readonly stream: number }
  | StreamMessage;

/** Either direction: one side pulls the next chunk of a stream the other side holds. */
export type StreamMessage =
  | { readonly type: "pull"; readonly stream: number }
  | {
      readonly type: "chunk";
      readonly stream: number;
      readonly chunk?: Uint8Array;
      readonly done?: boolean;
      readonly error?: WireError;
    }
  /** The puller gives up: the holder closes its iterator. */
  | { readonly type: "cancel"; readonly stream: number };

/** Answers to `discover` (served by main on the RPC port). */
export type DiscoverAnswer = DiscoverResponse;

export function errorToWire(error: unknown): WireError {
  if (error instanceof NotLeaderError) {
    return {
      name: error.name,
      message: error.message,
      leaderId: error.leaderId,
      leaderAddress: error.leaderAddress,
    };
  }
  if (error instanceof ValidationError) return { name: error.name, message: error.message };
  if (error instanceof ConfChangeRejectedError) {
    return { name: error.name, message: error.message, leaderId: error.leaderId, code: error.code };
  }
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: "Error", message: String(error) };
}

/** The typed error again (src/common/errors.ts and Raft's ConfChangeRejectedError keep their class). */
export function errorFromWire(wire: WireError): Error {
  switch (wire.name) {
    case "NotLeaderError":
      return new NotLeaderError(wire.leaderId, wire.leaderAddress);
    case "TimeoutError":
      return new TimeoutError(wire.message);
    case "ValidationError":
      // The message already carries its `where:` prefix.
      return new ValidationError(wire.message);
    case "NotFoundError":
      return new NotFoundError(wire.message);
    case "ConfChangeRejectedError": {
      const error = new ConfChangeRejectedError(
        wire.leaderId,
        "",
        (wire.code ?? "invalid") as ConstructorParameters<typeof ConfChangeRejectedError>[2],
      );
      error.message = wire.message;
      return error;
    }
    default: {
      const error = new Error(wire.message);
      error.name = wire.name;
      return error;
    }
  }
}
