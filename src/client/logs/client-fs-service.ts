import { type Server, type ServerWritableStream, status } from "@grpc/grpc-js";
import { ValidationError } from "../../common/errors.js";
import { GrpcServerMetrics } from "../../common/grpc-metrics.js";
import type { Logger } from "../../common/log.js";
import type { AgentMetrics } from "../../common/metrics.js";
import { callToken, servingCall, withToken } from "../../common/request-context.js";
import type { ClientFsHandlers } from "../../gen/proto/drover/client/ClientFs.js";
import type { LogFrame as LogFrameProto } from "../../gen/proto/drover/client/LogFrame.js";
import type { LogsRequest__Output } from "../../gen/proto/drover/client/LogsRequest.js";
import { clientProto } from "../../rpc/client-fs-client.js";
import { toGrpcError } from "../../rpc/rpc-status.js";
import type { LogFrame, LogRequest } from "../allocrunner/alloc-runner-api.js";
import { validateLogType, validateOffset, validateOrigin, validateTaskName } from "./log-request.js";

/**
 * A task's log as the agent can read it: the alloc runner's `logs()` looked up by alloc id. It
 * throws (or its iteration throws) NotFoundError for an allocation or task this client does not
 * have, ValidationError for bad input; it ends when `request.signal` aborts.
 */
export type LogSource = (allocId: string, request: LogRequest) => AsyncIterable<LogFrame>;

/**
 * Serves `drover.client.ClientFs` (proto/client.proto) on the client agent's gRPC server, for the
 * servers that forward `/v1/client/fs/logs`. Every failure becomes a gRPC status (rpc-status.ts):
 * nothing is thrown into grpc-js. Frames are written as the caller reads them: when grpc-js's
 * buffer is full (write() returns false), reading the log waits for 'drain'.
 */
export function addClientFsService(
  server: Server,
  logs: LogSource,
  logger: Logger,
  metrics?: AgentMetrics,
): void {
  const handlers: ClientFsHandlers = {
    StreamLogs: (call: ServerWritableStream<LogsRequest__Output, LogFrameProto>) => {
      const token = callToken(call.metadata);
      servingCall(call.metadata, () => withToken(token, () => streamLogs(call, logs, logger))).catch(
        (error: unknown) => {
          // streamLogs answers its own errors; this is a bug in it. Never leave the caller hanging.
          logger.error({ err: error }, "client fs: StreamLogs failed to answer");
          call.destroy();
        },
      );
    },
  };
  const service = clientProto().drover.client.ClientFs.service;
  server.addService(
    service,
    metrics === undefined ? handlers : GrpcServerMetrics.of(metrics).instrument(service, handlers),
  );
}

function requestFromProto(req: LogsRequest__Output, signal: AbortSignal): LogRequest {
  if (req.allocId === "") throw new ValidationError("alloc id is required", "alloc_id");
  return {
    task: validateTaskName(req.task, "task"),
    type: validateLogType(req.type, "type"),
    origin: validateOrigin(req.origin, "origin"),
    offset: validateOffset(req.offset, "offset"),
    follow: req.follow,
    signal,
  };
}

async function streamLogs(
  call: ServerWritableStream<LogsRequest__Output, LogFrameProto>,
  logs: LogSource,
  logger: Logger,
): Promise<void> {
  const controller = new AbortController();
  const abort = (): void => controller.abort();
  // 'cancelled': the caller cancelled or went away. 'close' also fires after a normal end, when
  // aborting is harmless.
  call.on("cancelled", abort);
  call.on("close", abort);
  try {
    const frames = logs(call.request.allocId, requestFromProto(call.request, controller.signal));
    for await (const frame of frames) {
      if (controller.signal.aborted) break;
      const more = call.write({ file: frame.file, offset: frame.offset, data: frame.data });
      if (!more) await drained(call, controller.signal);
    }
    if (!controller.signal.aborted) call.end();
  } catch (error) {
    if (controller.signal.aborted) return; // nobody is listening any more
    const grpcError = toGrpcError(error);
    if (grpcError.code === status.INTERNAL) {
      logger.error({ err: error, allocId: call.request.allocId }, "client fs: reading task logs failed");
    }
    // grpc-js sends a stream's status when 'error' is emitted on it (see grpc-server.ts).
    call.emit("error", Object.assign(new Error(String(error)), grpcError));
  } finally {
    call.off("cancelled", abort);
    call.off("close", abort);
    controller.abort(); // the source must stop whatever happened
  }
}

/** Resolves on 'drain', or when the call is cancelled (no 'drain' will ever come then). */
function drained(call: ServerWritableStream<LogsRequest__Output, LogFrameProto>, signal: AbortSignal) {
  return new Promise<void>((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const done = (): void => {
      call.off("drain", done);
      signal.removeEventListener("abort", done);
      resolve();
    };
    call.on("drain", done);
    signal.addEventListener("abort", done, { once: true });
  });
}
