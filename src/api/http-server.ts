import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { QueryMeta } from "../rpc/server-api.js";
import { NotFoundError, NotLeaderError, TimeoutError, ValidationError } from "../shared/errors.js";
import type { Logger } from "../shared/log.js";
import { HttpError } from "./http-error.js";
import { parseTarget } from "./request-target.js";
import type { Params, Router } from "./router.js";

export interface ApiRequest {
  readonly method: string;
  readonly path: string;
  readonly params: Params;
  readonly query: URLSearchParams;
  /** The request body parsed as JSON (undefined when empty). Bad JSON is a ValidationError. */
  readonly body: unknown;
}

export interface ApiResponse {
  status?: number;
  /** Serialized as JSON unless `text` is given. */
  body?: unknown;
  text?: string;
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
}

const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;

class BodyTooLargeError extends Error {}

/**
 * The HTTP side of an agent: reads the body (bounded), routes, maps typed errors to status codes
 * (400 bad input, 404 unknown, 405, 409/413 chosen by handlers, 503 no leader before the deadline,
 * 500 real faults logged with a request id) and writes JSON. It never lets an error escape into
 * node:http, so bad input cannot crash the agent (ARCHITECTURE.md invariant 7).
 */
export class HttpApiServer {
  private readonly server: Server;
  private readonly maxBodyBytes: number;

  constructor(private readonly options: HttpApiOptions) {
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
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
    this.write(res, response);
  }

  private errorResponse(error: unknown, method: string, path: string): ApiResponse {
    if (error instanceof HttpError) {
      return { status: error.status, body: error.body === undefined ? { error: error.message } : error.body };
    }
    if (error instanceof ValidationError) return { status: 400, body: { error: error.message } };
    if (error instanceof NotFoundError) return { status: 404, body: { error: error.message } };
    if (error instanceof BodyTooLargeError) return { status: 413, body: { error: error.message } };
    if (error instanceof TimeoutError || error instanceof NotLeaderError) {
      return { status: 503, body: { error: `no cluster leader: ${error.message}` } };
    }
    const requestId = randomUUID();
    this.options.logger.error({ err: error, requestId, method, path }, "http: request failed");
    return { status: 500, body: { error: `internal error (request id ${requestId})` } };
  }

  private write(res: ServerResponse, response: ApiResponse): void {
    const headers: Record<string, string> = {};
    if (response.meta !== undefined) {
      headers["X-Nomad-Index"] = String(response.meta.index);
      headers["X-Nomad-KnownLeader"] = String(response.meta.knownLeader);
      headers["X-Nomad-LastContact"] = String(response.meta.lastContactMs);
    }
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

  private readBody(req: IncomingMessage): Promise<unknown> {
    const declared = Number(req.headers["content-length"] ?? "0");
    if (declared > this.maxBodyBytes) {
      req.resume();
      return Promise.reject(
        new BodyTooLargeError(`request body of ${declared} bytes exceeds ${this.maxBodyBytes}`),
      );
    }
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let failed = false;
      req.on("data", (chunk: Buffer) => {
        if (failed) return;
        size += chunk.length;
        if (size > this.maxBodyBytes) {
          failed = true;
          reject(new BodyTooLargeError(`request body exceeds ${this.maxBodyBytes} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      req.on("error", (error) => {
        if (!failed) reject(error);
        failed = true;
      });
      req.on("end", () => {
        if (failed) return;
        const text = Buffer.concat(chunks).toString("utf8");
        if (text.trim() === "") {
          resolve(undefined);
          return;
        }
        try {
          resolve(JSON.parse(text));
        } catch (error) {
          reject(new ValidationError(`body is not valid JSON: ${(error as Error).message}`, "request body"));
        }
      });
    });
  }
}
