import type { LogFrame, LogRequest } from "../client/allocrunner/alloc-runner-api.js";
import type { LogSource } from "../client/logs/client-fs-service.js";
import {
  validateLogType,
  validateOffset,
  validateOrigin,
  validateTaskName,
} from "../client/logs/log-request.js";
import { ValidationError } from "../common/errors.js";
import type { ApiRequest, ApiResponse, Handler } from "./http-server.js";
import { intParam } from "./query-params.js";
import type { Router } from "./router.js";

export type { LogSource };

export interface LogRouteOptions {
  /**
   * How long to wait for the first frame before sending the headers (1 s by default). Errors that
   * come before (bad task, unknown allocation, unreachable client) get their own status code;
   * once the headers are out an error can only cut the body short. A quiet `follow` must not
   * keep the client without headers, hence the bound.
   */
  firstFrameWaitMs?: number;
}

const DEFAULT_FIRST_FRAME_WAIT_MS = 1000;

/** Where the agent's log files live in an alloc dir, as Nomad names them in frames. */
const NOMAD_LOG_DIR = "alloc/logs/";

/**
 * A Go-style boolean query parameter (Nomad parses these with strconv.ParseBool): absent is
 * false, present without a value (`?follow`) is true, anything unparseable is a 400.
 */
export function boolParam(params: URLSearchParams, name: string): boolean {
  const value = params.get(name);
  if (value === null) return false;
  if (["", "1", "t", "T", "true", "TRUE", "True"].includes(value)) return true;
  if (["0", "f", "F", "false", "FALSE", "False"].includes(value)) return false;
  throw new ValidationError(`expected true or false, got ${JSON.stringify(value)}`, `?${name}`);
}

interface LogQuery {
  allocId: string;
  request: Omit<LogRequest, "signal">;
  plain: boolean;
}

/** Reads and validates `/v1/client/fs/logs/:alloc?task=&type=&follow=&origin=&offset=&plain=`. */
export function parseLogQuery(req: ApiRequest): LogQuery {
  const allocId = req.params["alloc"] ?? "";
  if (allocId === "") throw new ValidationError("alloc id is required", "path");
  const q = req.query;
  return {
    allocId,
    request: {
      task: validateTaskName(q.get("task") ?? "", "?task"),
      type: validateLogType(q.get("type") ?? "stdout", "?type"),
      origin: validateOrigin(q.get("origin") ?? "start", "?origin"),
      offset: validateOffset(intParam(q, "offset") ?? 0, "?offset"),
      follow: boolParam(q, "follow"),
    },
    plain: boolParam(q, "plain"),
  };
}

/**
 * Nomad's framing of a log stream: one JSON object per frame, concatenated without separators.
 * As in Nomad, `Offset` is the offset in `File` just past `Data` (where the next read starts),
 * and `File` is relative to the alloc dir.
 */
export function nomadFrame(frame: LogFrame): string {
  return JSON.stringify({
    File: NOMAD_LOG_DIR + frame.file,
    Offset: frame.offset + frame.data.length,
    Data: frame.data.toString("base64"),
  });
}

type Race<T> = { settled: true; result: T } | { settled: false };

/** `promise`'s result if it settles within `ms` (its rejection rethrown), else `{ settled: false }`. */
async function within<T>(promise: Promise<T>, ms: number): Promise<Race<T>> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Race<T>>((resolve) => {
    timer = setTimeout(() => resolve({ settled: false }), ms);
  });
  try {
    return await Promise.race([promise.then((result): Race<T> => ({ settled: true, result })), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Registers `GET /v1/client/fs/logs/:alloc`: a task's stdout or stderr, whole or from an offset,
 * and with `follow` live until the task ends. `plain=true` gives the raw bytes (text/plain), else
 * Nomad's JSON frames. `source` is where logs come from: the local alloc runners on a client,
 * forwardedLogSource() on a server.
 *
 * The source's iteration is stopped (its signal aborted) when the HTTP client disconnects, when
 * the stream fails and when it ends.
 */
export function addLogRoutes(
  router: Router<Handler>,
  source: LogSource,
  options: LogRouteOptions = {},
): Router<Handler> {
  const waitMs = options.firstFrameWaitMs ?? DEFAULT_FIRST_FRAME_WAIT_MS;
  return router.add("GET", "/v1/client/fs/logs/:alloc", async (req): Promise<ApiResponse> => {
    const { allocId, request, plain } = parseLogQuery(req);
    const controller = new AbortController();
    let frames: AsyncIterator<LogFrame>;
    let firstStep: Promise<IteratorResult<LogFrame>>;
    try {
      frames = source(allocId, { ...request, signal: controller.signal })[Symbol.asyncIterator]();
      firstStep = frames.next();
      // Rethrows a failure that comes in time, to be answered with its status code.
      await within(firstStep, waitMs);
    } catch (error) {
      controller.abort();
      throw error;
    }
    return {
      contentType: plain ? "text/plain; charset=utf-8" : "application/json",
      stream: { [Symbol.asyncIterator]: () => chunks(frames, firstStep, controller, plain) },
    };
  });
}

/**
 * The response body: frames encoded one by one as the HTTP server pulls. Not an async generator,
 * on purpose: a generator's return() waits for the step in progress (a follow waiting for output
 * could wait for hours), whereas this return() aborts the source at once.
 */
function chunks(
  frames: AsyncIterator<LogFrame>,
  firstStep: Promise<IteratorResult<LogFrame>>,
  controller: AbortController,
  plain: boolean,
): AsyncIterator<Uint8Array | string> {
  let pending: Promise<IteratorResult<LogFrame>> | undefined = firstStep;
  const finished = (): IteratorResult<Uint8Array | string> => {
    controller.abort();
    return { done: true, value: undefined };
  };
  return {
    async next(): Promise<IteratorResult<Uint8Array | string>> {
      try {
        for (;;) {
          const step: IteratorResult<LogFrame> = await (pending ?? frames.next());
          pending = undefined;
          if (step.done === true || controller.signal.aborted) return finished();
          // An empty frame carries nothing (a source's heartbeat): nothing to write.
          if (step.value.data.length === 0) continue;
          return { done: false, value: plain ? step.value.data : nomadFrame(step.value) };
        }
      } catch (error) {
        controller.abort();
        throw error;
      }
    },
    async return(): Promise<IteratorResult<Uint8Array | string>> {
      controller.abort();
      // The source's own cleanup; with its signal aborted it ends its step in progress promptly.
      await frames.return?.();
      return { done: true, value: undefined };
    },
  };
}
