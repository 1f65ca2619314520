import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { QueryMeta } from "../rpc/server-api.js";
import { errorCode } from "../shared/error-codes.js";
import { ValidationError } from "../shared/errors.js";
import type { Logger } from "../shared/log.js";
import { HttpError } from "./http-error.js";
import { parseTarget } from "./request-target.js";
import type { Params, Router } from "./router.js";

export interface ApiRequest {
  readonly method: string;
  readonly path: string;
  readonly params: Params;
  readonly query: URLSearchParams;
  /**
   * The request body parsed as JSON (undefined when empty; bad JSON is a ValidationError), or,
   * for `Content-Type: application/octet-stream`, the raw bytes as a Buffer (snapshot files).
   */
  readonly body: unknown;
}

export interface ApiResponse {
  status?: number;
  /** Serialized as JSON unless `text` or `stream` is given. */
  body?: unknown;
  text?: string;
  /**
   * A body written chunk by chunk as it is produced (chunked transfer encoding), at the pace the
   * HTTP client reads it. When the client goes away the server calls the iterator's `return()`,
   * which must stop the producer (abort what it waits on). An error from the iterator once the
   * headers are out cuts the response short (the client sees an incomplete chunked body) and is
   * logged; a producer that can fail before its first chunk should fail before answering.
   */
  stream?: AsyncIterable<Uint8Array | string>;
  /** For `text` (default text/plain) and `stream` (default application/octet-stream). */
  contentType?: string;
  /** Sets X-Nomad-Index, X-Nomad-KnownLeader and X-Nomad-LastContact. */
  meta?: QueryMeta;
}

export type Handler = (request: ApiRequest) => Promise<ApiResponse>;

export interface HttpApiOptions {
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  router: Router<Handler>;
  logger: Logger;
  /** Larger bodies are refused with 413 before they are read to the end. */
  maxBodyBytes?: number;
  /** The limit for raw (`application/octet-stream`) bodies, which can be whole snapshots. */
  maxRawBodyBytes?: number;
}

const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;
/** A snapshot restore is one Raft entry, itself bounded well under the 64 MiB gRPC message. */
const DEFAULT_MAX_RAW_BODY_BYTES = 32 * 1024 * 1024;

class BodyTooLargeError extends Error {}

/**
 * The HTTP side of an agent: reads the body (bounded), routes, maps typed errors to status codes
 * (src/shared/error-codes.ts: 400 bad input, 404 unknown, 409 stale index, 503 no leader before the
 * deadline; 405, 413 and 409 with a body chosen here or by handlers; 500 real faults logged with a
 * request id) and writes JSON. It never lets an error escape into
 * node:http, so bad input cannot crash the agent (ARCHITECTURE.md invariant 7).
 */
export class HttpApiServer {
  private readonly server: Server;
  private readonly maxBodyBytes: number;
  private readonly maxRawBodyBytes: number;

  constructor(private readonly options: HttpApiOptions) {
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.maxRawBodyBytes = options.maxRawBodyBytes ?? DEFAULT_MAX_RAW_BODY_BYTES;
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        // handle() answers every error itself; reaching this means writing the answer failed.
        options.logger.error({ err: error }, "http: failed to answer");
        res.destroy();
      });
    });
    this.server.keepAliveTimeout = 65_000;
  }

  /** Starts listening; resolves with the bound port. */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off("error", reject);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? "GET";
    let response: ApiResponse;
    let pathname = "/";
    try {
      const target = parseTarget(req.url ?? "/");
      pathname = target.pathname;
      const { found, pathKnown } = this.options.router.match(method, pathname);
      if (found === undefined) {
        req.resume();
        throw pathKnown
          ? new HttpError(405, `method ${method} not allowed on ${pathname}`)
          : new HttpError(404, `no such path ${pathname}`);
      }
      const body = method === "GET" || method === "HEAD" ? undefined : await this.readBody(req);
      response = await found.handler({
        method,
        path: pathname,
        params: found.params,
        query: target.query,
        body,
      });
    } catch (error) {
      response = this.errorResponse(error, method, pathname);
    }
    if (response.stream !== undefined) await this.writeStream(res, response, response.stream, pathname);
    else this.write(res, response);
  }

  private errorResponse(error: unknown, method: string, path: string): ApiResponse {
    if (error instanceof HttpError) {
      return { status: error.status, body: error.body === undefined ? { error: error.message } : error.body };
    }
    if (error instanceof BodyTooLargeError) return { status: 413, body: { error: error.message } };
    const code = errorCode(error);
    const message = error instanceof Error ? error.message : String(error);
    if (code.kind === "not-leader" || code.kind === "timeout") {
      return { status: code.http, body: { error: `no cluster leader: ${message}` } };
    }
    if (code.kind !== "internal") return { status: code.http, body: { error: message } };
    const requestId = randomUUID();
    this.options.logger.error({ err: error, requestId, method, path }, "http: request failed");
    return { status: 500, body: { error: `internal error (request id ${requestId})` } };
  }

  private metaHeaders(response: ApiResponse): Record<string, string> {
    const headers: Record<string, string> = {};
    if (response.meta !== undefined) {
      headers["X-Nomad-Index"] = String(response.meta.index);
      headers["X-Nomad-KnownLeader"] = String(response.meta.knownLeader);
      headers["X-Nomad-LastContact"] = String(response.meta.lastContactMs);
    }
    return headers;
  }

  private write(res: ServerResponse, response: ApiResponse): void {
    const headers = this.metaHeaders(response);
    let payload: string;
    if (response.text !== undefined) {
      payload = response.text;
      headers["Content-Type"] = response.contentType ?? "text/plain; charset=utf-8";
    } else {
      payload = JSON.stringify(response.body ?? null);
      headers["Content-Type"] = "application/json";
    }
    headers["Content-Length"] = String(Buffer.byteLength(payload));
    res.writeHead(response.status ?? 200, headers);
    res.end(payload);
  }

  /**
   * Writes `stream` chunk by chunk, waiting for 'drain' whenever the socket's buffer is full, so
   * that a slow client bounds what is held in memory to one chunk plus node's buffer. Ends when
   * the stream ends, the client disconnects (then the iterator's return() stops the producer), or
   * the stream fails (logged; the connection is destroyed so the client can tell the body is cut).
   */
  private async writeStream(
    res: ServerResponse,
    response: ApiResponse,
    stream: AsyncIterable<Uint8Array | string>,
    path: string,
  ): Promise<void> {
    const headers = this.metaHeaders(response);
    headers["Content-Type"] = response.contentType ?? "application/octet-stream";
    // Proxies (nginx) buffer responses unless told otherwise; a followed log must arrive live.
    headers["X-Accel-Buffering"] = "no";
    res.writeHead(response.status ?? 200, headers);
    res.flushHeaders();
    const iterator = stream[Symbol.asyncIterator]();
    let gone = false;
    /** Resolves the pending wait for 'drain', if any. */
    let wake: (() => void) | undefined;
    const stop = (): void => {
      if (gone) return;
      gone = true;
      wake?.();
      // Tells the producer to stop, even while it waits for data (a quiet follow).
      iterator.return?.().catch((error: unknown) => {
        this.options.logger.warn({ err: error, path }, "http: stopping a response stream failed");
      });
    };
    // 'close' before the end: the client disconnected (or the server is closing). A client that
    // left while the handler was still working has already closed: stop at once then.
    res.on("close", stop);
    if (res.destroyed || res.socket === null || res.socket.destroyed) stop();
    try {
      for (;;) {
        const next = await iterator.next();
        if (gone) return;
        if (next.done === true) break;
        if (!res.write(next.value)) {
          let onDrain: () => void = () => undefined;
          await new Promise<void>((resolve) => {
            onDrain = resolve;
            wake = resolve;
            res.once("drain", resolve);
          });
          res.off("drain", onDrain);
          wake = undefined;
          if (gone) return;
        }
      }
      gone = true; // the iterator is finished: return() is not needed
      res.end();
    } catch (error) {
      if (gone) return;
      gone = true;
      this.options.logger.error({ err: error, path }, "http: response stream failed");
      res.destroy();
    } finally {
      res.off("close", stop);
    }
  }

  private async readBody(req: IncomingMessage): Promise<unknown> {
    const raw = (req.headers["content-type"] ?? "").split(";")[0]?.trim() === "application/octet-stream";
    const bytes = await this.readBytes(req, raw ? this.maxRawBodyBytes : this.maxBodyBytes);
    if (raw) return bytes;
    const text = bytes.toString("utf8");
    if (text.trim() === "") return undefined;
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new ValidationError(`body is not valid JSON: ${(error as Error).message}`, "request body");
    }
  }

  /** The whole body, refused with 413 past `limit` (before reading it when it declares its size). */
  private readBytes(req: IncomingMessage, limit: number): Promise<Buffer> {
    const declared = Number(req.headers["content-length"] ?? "0");
    if (declared > limit) {
      req.resume();
      return Promise.reject(new BodyTooLargeError(`request body of ${declared} bytes exceeds ${limit}`));
    }
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let failed = false;
      req.on("data", (chunk: Buffer) => {
        if (failed) return;
        size += chunk.length;
        if (size > limit) {
          failed = true;
          reject(new BodyTooLargeError(`request body exceeds ${limit} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      req.on("error", (error) => {
        if (!failed) reject(error);
        failed = true;
      });
      req.on("end", () => {
        if (!failed) resolve(Buffer.concat(chunks));
      });
    });
  }
}
