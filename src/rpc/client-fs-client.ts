import { type ClientReadableStream, Metadata, status } from "@grpc/grpc-js";
import { MAX_GRPC_MESSAGE_BYTES } from "../common/limits.js";
import { loadProto } from "../common/proto.js";
import { currentRequestId, currentToken, REQUEST_ID_KEY, TOKEN_KEY } from "../common/request-context.js";
import { rpcChannelCredentials, rpcChannelOptions } from "../common/tls.js";
import type { ProtoGrpcType } from "../gen/proto/client.js";
import type { ClientFsClient as GrpcClientFsClient } from "../gen/proto/drover/client/ClientFs.js";
import type { LogFrame__Output } from "../gen/proto/drover/client/LogFrame.js";
import { fromGrpcError, type GrpcErrorLike } from "./rpc-status.js";

/**
 * The node attribute in which a client agent publishes the address (`host:port`) of its own gRPC
 * server, where it serves `drover.client.ClientFs` (proto/client.proto). Servers read it from the
 * node to forward `/v1/client/fs/...` requests to the client holding the allocation.
 */
export const CLIENT_RPC_ADDRESS_ATTR = "unique.drover.rpc_address";

export function clientProto(): ProtoGrpcType {
  return loadProto("client.proto") as unknown as ProtoGrpcType;
}

/**
 * What is asked of a task's log. The same shape as LogRequest (without its signal) and LogFrame in
 * src/client/allocrunner/alloc-runner-api.ts, declared here because src/rpc may not import
 * src/client; TypeScript's structural types make them interchangeable.
 */
export interface ClientLogRequest {
  task: string;
  type: "stdout" | "stderr";
  origin: "start" | "end";
  offset: number;
  follow: boolean;
}

export interface ClientLogFrame {
  file: string;
  offset: number;
  data: Buffer;
}

/**
 * A typed client of one client agent's `drover.client.ClientFs` service. Errors come back as the
 * typed errors the client agent raised (NotFoundError for an unknown allocation, ValidationError
 * for bad input; others as RpcError), see rpc-status.ts.
 */
export class ClientFsClient {
  private readonly client: GrpcClientFsClient;

  constructor(readonly address: string) {
    const Ctor = clientProto().drover.client.ClientFs;
    // The peer is a client agent (or a dev agent's server identity): either agent role.
    this.client = new Ctor(address, rpcChannelCredentials("agent"), {
      // A follow can be silent for hours: keepalive pings find a vanished client agent.
      "grpc.max_receive_message_length": MAX_GRPC_MESSAGE_BYTES,
      "grpc.max_send_message_length": MAX_GRPC_MESSAGE_BYTES,
      "grpc.keepalive_time_ms": 10_000,
      "grpc.keepalive_timeout_ms": 10_000,
      "grpc.keepalive_permit_without_calls": 0,
      "grpc.initial_reconnect_backoff_ms": 100,
      "grpc.max_reconnect_backoff_ms": 1000,
      ...rpcChannelOptions("agent"),
    });
  }

  /**
   * Streams a task's log from the client agent. Aborting `signal`, or leaving the iteration early
   * (`break`, return()), cancels the call on the agent, which stops reading; the iteration then
   * ends quietly. The stream is pulled: grpc-js stops reading from the connection while frames
   * are not consumed, and HTTP/2 flow control makes the agent wait.
   */
  streamLogs(allocId: string, request: ClientLogRequest, signal: AbortSignal): AsyncIterable<ClientLogFrame> {
    return this.frames(allocId, request, signal);
  }

  private async *frames(
    allocId: string,
    request: ClientLogRequest,
    signal: AbortSignal,
  ): AsyncGenerator<ClientLogFrame, void, undefined> {
    if (signal.aborted) return;
    const metadata = new Metadata();
    const requestId = currentRequestId();
    if (requestId !== undefined) metadata.set(REQUEST_ID_KEY, requestId);
    // The client agent checks the caller's token (with its servers) before it reads a log.
    const token = currentToken();
    if (token !== undefined) metadata.set(TOKEN_KEY, token);
    const call: ClientReadableStream<LogFrame__Output> = this.client.streamLogs(
      {
        allocId,
        task: request.task,
        type: request.type,
        origin: request.origin,
        offset: request.offset,
        follow: request.follow,
      },
      metadata,
    );
    const cancel = (): void => call.cancel();
    signal.addEventListener("abort", cancel, { once: true });
    try {
      for await (const message of call as AsyncIterable<LogFrame__Output>) {
        yield { file: message.file, offset: message.offset, data: message.data };
      }
    } catch (error) {
      if (signal.aborted && isCancelled(error)) return;
      throw isGrpcError(error) ? fromGrpcError(error) : error;
    } finally {
      signal.removeEventListener("abort", cancel);
      // Leaving early (the consumer stopped): make sure the agent stops too. A no-op when ended.
      call.cancel();
    }
  }

  close(): void {
    this.client.close();
  }
}

function isGrpcError(error: unknown): error is GrpcErrorLike {
  return typeof error === "object" && error !== null && "code" in error && "metadata" in error;
}

function isCancelled(error: unknown): boolean {
  return isGrpcError(error) && error.code === status.CANCELLED;
}
