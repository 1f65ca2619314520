import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from "fastify";
import { errorCode } from "../common/error-codes.js";
import { ValidationError } from "../common/errors.js";
import { checkDepth, MAX_HTTP_BODY_BYTES, MAX_HTTP_RAW_BODY_BYTES } from "../common/limits.js";
import type { Logger } from "../common/log.js";
import {
  acceptableRequestId,
  REQUEST_ID_KEY,
  TOKEN_KEY,
  withRequestId,
  withToken,
} from "../common/request-context.js";
import type { QueryMeta } from "../rpc/server-api.js";
import { HttpError } from "./http-error.js";
import { type SchemaFailure, schemaError, withCommonQuery } from "./request-schemas.js";
import { normalizeTarget } from "./request-target.js";
import { fastifyPattern, type Params, type RouteEntry, type Router, restParamName } from "./router.js";
import { acceptsGzip, defaultUiDir, UiFiles } from "./ui-static.js";

export interface ApiRequest {
  readonly method: string;
  readonly path: string;
  readonly params: Params;
  readonly query: URLSearchParams;
  /**
   * The request body parsed as JSON (undefined when empty; bad JSON is a ValidationError), or,
   * for `Content-Type: application/octet-stream`, the raw bytes as a Buffer (snapshot files).
   * When the route declares a body schema, the body has passed it.
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
  /** More headers (X-Nomad-NextToken of a paged list). */
  headers?: Record<string, string>;
}

export type Handler = (request: ApiRequest) => Promise<ApiResponse>;

/**
 * The ACL check of every request (route-acl.ts), run before the handler: throws
 * PermissionDeniedError (403) when the token may not call the route, else answers the check of the
 * answer (objects the token may not see refused or filtered out), or undefined for none.
 */
export interface RequestGuard {
  admit(
    method: string,
    pattern: string,
    request: ApiRequest,
    token: string | undefined,
  ): Promise<((response: ApiResponse) => ApiResponse) | undefined>;
}

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
  /** With ACLs on: the check every request passes before its handler runs. */
  guard?: RequestGuard;
  /** Serve HTTPS with this certificate (tls.http); see setSecureContext() for reloads. */
  https?: HttpsOptions;
  /** The web UI's built files, served at /ui/ (default: dist/ui of this checkout, read in serve()). */
  ui?: UiFiles;
}

export interface HttpsOptions {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
  /** Require a client certificate signed by `ca` (tls.verify_https_client). */
  requireClientCert: boolean;
}

const DEFAULT_MAX_BODY_BYTES = MAX_HTTP_BODY_BYTES;
/** A snapshot restore is one Raft entry, itself bounded well under the 64 MiB gRPC message. */
const DEFAULT_MAX_RAW_BODY_BYTES = MAX_HTTP_RAW_BODY_BYTES;

/** Fastify on node:http with the agent's pino logger. */
type App = FastifyInstance<Server, IncomingMessage, ServerResponse, Logger>;

/** The methods a known path answers 405 to when it has no route for them. */
const ANSWERED_METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"] as const;

/** Where the query parser keeps the URLSearchParams that handlers read (Ajv ignores symbol keys). */
const SEARCH = Symbol("search");
type ParsedQuery = Record<string, string> & { [SEARCH]: URLSearchParams };

/**
 * The query as schemas see it (each name's first value, as URLSearchParams.get() reads it) with
 * the URLSearchParams itself attached, so that the query is parsed once per request.
 */
function parseQuery(text: string): ParsedQuery {
  // URLSearchParams drops one leading "?"; a query that itself starts with "?" keeps it, as in URL.
  const search = new URLSearchParams(text.startsWith("?") ? `?${text}` : text);
  const out = Object.create(null) as ParsedQuery;
  for (const [name, value] of search) if (!Object.hasOwn(out, name)) out[name] = value;
  out[SEARCH] = search;
  return out;
}

/**
 * Dot segments, backslashes and the like are resolved as URL does (see request-target.ts), so
 * that `/v1/var/a/../b` is `/v1/var/b` as before; plain paths, the write path's, pass unchanged.
 */
function normalizeUrl(req: IncomingMessage): string {
  const raw = req.url ?? "/";
  try {
    return normalizeTarget(raw);
  } catch {
    return raw; // not a URL at all: the router refuses it like any other bad path
  }
}

function isRawBody(contentType: string | undefined): boolean {
  return (
    contentType !== undefined &&
    contentType.split(";")[0]?.trim().toLowerCase() === "application/octet-stream"
  );
}

/** A request's path without its query. */
function pathOf(url: string): string {
  const q = url.indexOf("?");
  return q < 0 ? url : url.slice(0, q);
}

/** An error Fastify raises itself (body parsing, limits, bad URLs), with the status it chose. */
interface FrameworkError extends Error {
  code: string;
  statusCode?: number;
}

function isFrameworkError(error: unknown): error is FrameworkError {
  return (
    error instanceof Error &&
    typeof (error as Partial<FrameworkError>).code === "string" &&
    (error as FrameworkError).code.startsWith("FST_")
  );
}

/**
 * The HTTP side of an agent, on Fastify: Fastify routes (find-my-way), reads and bounds bodies,
 * checks request schemas and sends replies; this class turns the route table into Fastify routes
 * and keeps one error path. Typed errors map to status codes (src/common/error-codes.ts: 400 bad
 * input, schema failures included, 404 unknown, 409 stale index, 503 no leader before the
 * deadline; 404/405/413 chosen here, 409 with a body by handlers; 500 real faults logged with a
 * request id); every answer is JSON (`{"error": ...}` when refused). No error escapes into
 * node:http, so bad input cannot crash the agent (docs/architecture.md, invariant 7).
 *
 * The port is bound (`bind()`) before the routes are known, so that an agent can advertise its
 * address while its parts start; until `serve()` hands the route table to Fastify every request
 * is answered 503. `listen()` does both.
 */
export class HttpApiServer {
  private readonly server: Server;
  private readonly maxBodyBytes: number;
  private readonly maxRawBodyBytes: number;
  private app: App | undefined;
  /** The request listener: "not serving yet" until serve(), then Fastify's router. */
  private dispatch: (req: IncomingMessage, res: ServerResponse) => void = notServing;

  constructor(private readonly options: HttpApiOptions) {
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.maxRawBodyBytes = options.maxRawBodyBytes ?? DEFAULT_MAX_RAW_BODY_BYTES;
    const handler = (req: IncomingMessage, res: ServerResponse): void => this.dispatch(req, res);
    const https = options.https;
    // An HTTPS server is an http.Server as far as Fastify and this class use it (request events,
    // listen, close); only the handshake differs.
    this.server =
      https === undefined
        ? createServer(handler)
        : (createHttpsServer(
            {
              ca: https.ca,
              cert: https.cert,
              key: https.key,
              requestCert: https.requireClientCert,
              rejectUnauthorized: https.requireClientCert,
            },
            handler,
          ) as unknown as Server);
    this.server.keepAliveTimeout = 65_000;
  }

  /** Binds the port and serves the routes added so far; resolves with the bound port. */
  async listen(): Promise<number> {
    const port = await this.bind();
    await this.serve();
    return port;
  }

  /**
   * Replaces the HTTPS certificate (SIGHUP): new connections use it, open ones keep theirs.
   * Throws when the server was not started with `https`.
   */
  setSecureContext(material: { ca: Buffer; cert: Buffer; key: Buffer }): void {
    if (this.options.https === undefined) throw new Error("http: not an HTTPS server");
    (this.server as unknown as HttpsServer).setSecureContext(material);
  }

  /** Binds the port (every request answered 503 until serve()); resolves with the bound port. */
  bind(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off("error", reject);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  /** Hands the route table to Fastify (schemas compiled once, here) and starts answering with it. */
  async serve(): Promise<void> {
    if (this.app !== undefined) throw new Error("http: serve() called twice");
    let handle: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
    const app: App = Fastify({
      // Fastify answers on this server, which is already bound: it must neither create nor close it.
      serverFactory: (handler) => {
        handle = handler;
        return this.server;
      },
      loggerInstance: this.options.logger,
      // No per-request log lines (the variable write path runs at thousands per second), and no
      // child logger per request: every line this layer logs carries its own request id.
      logController: new LogController({ disableRequestLogging: true }),
      childLoggerFactory: (logger) => logger,
      // Each request's ID (request.id): the caller's X-Request-ID when it sends a usable one (a
      // proxy or a client tracing its calls), else a new UUID. It is answered back in X-Request-ID,
      // carried by every line logged on the request's behalf and sent along when the request is
      // forwarded to the leader (request-context.ts).
      genReqId: (req) => acceptableRequestId(req.headers[REQUEST_ID_KEY]) ?? randomUUID(),
      rewriteUrl: normalizeUrl,
      routerOptions: {
        ignoreTrailingSlash: true,
        ignoreDuplicateSlashes: true,
        // find-my-way's default (100) is a guard for regex params, which the table has none of.
        maxParamLength: 8192,
        querystringParser: parseQuery,
      },
      exposeHeadRoutes: true,
      bodyLimit: this.maxBodyBytes,
      ajv: {
        // Schemas check, never change: no coercion ("1" stays a string), no defaults filled in,
        // nothing removed (unknown fields reach the handler, as Nomad ignores them).
        customOptions: { coerceTypes: false, useDefaults: false, removeAdditional: false, allErrors: false },
      },
      schemaErrorFormatter: (errors, part) => schemaError(errors as SchemaFailure[], part),
      frameworkErrors: (error, request, reply) => this.sendError(error, request, reply),
    });
    app.addHook("onRequest", (request, reply, done) => {
      reply.header(REQUEST_ID_KEY, request.id);
      done();
    });
    this.parseBodies(app);
    app.setErrorHandler((error, request, reply) => this.sendError(error, request, reply));
    app.setNotFoundHandler((request, reply) => {
      this.sendError(new HttpError(404, `no such path ${pathOf(request.url)}`), request, reply);
    });
    this.addRoutes(app, this.options.router.seal());
    this.addUiRoutes(app, this.options.ui ?? UiFiles.load(defaultUiDir()));
    await app.ready();
    if (handle === undefined) throw new Error("http: Fastify did not take the server");
    this.app = app;
    this.dispatch = handle;
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // Open streams (followed logs, event streams) end here: their 'close' stops the producer.
    this.server.closeAllConnections();
    await closed;
    await this.app?.close();
  }

  /**
   * Any Content-Type is JSON (curl -d sends form encoding; Nomad's clients send none or
   * text/plain), except application/octet-stream, which stays raw bytes (snapshot restore). An
   * empty body is undefined. Limits: maxBodyBytes for JSON, maxRawBodyBytes for raw bytes.
   */
  private parseBodies(app: App): void {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser(
      "application/octet-stream",
      { parseAs: "buffer", bodyLimit: this.maxRawBodyBytes },
      (_request, body, done) => done(null, body),
    );
    app.addContentTypeParser(
      "*",
      { parseAs: "string", bodyLimit: this.maxBodyBytes },
      (_request, body, done) => {
        const text = body as string;
        if (text.trim() === "") {
          done(null, undefined);
          return;
        }
        try {
          const parsed: unknown = JSON.parse(text);
          // JSON.parse itself does not recurse; the code that walks the body afterwards does.
          checkDepth(parsed, "request body");
          done(null, parsed);
        } catch (error) {
          if (error instanceof ValidationError) {
            done(error, undefined);
            return;
          }
          done(
            new ValidationError(`body is not valid JSON: ${(error as Error).message}`, "request body"),
            undefined,
          );
        }
      },
    );
  }

  /**
   * One Fastify route per entry of the table, and per path a 405 answer for the methods it has
   * no route for (GET routes answer HEAD too). The handler wrappers are made here, once per route.
   */
  private addRoutes(app: App, table: readonly RouteEntry<Handler>[]): void {
    const methodsByPath = new Map<string, Set<string>>();
    for (const entry of table) {
      const url = fastifyPattern(entry.pattern);
      const methods = methodsByPath.get(url) ?? new Set<string>();
      methodsByPath.set(url, methods);
      methods.add(entry.method);
      app.route({
        method: entry.method,
        url,
        schema: withCommonQuery(entry.schema),
        ...(admitsNull(entry.schema?.body) ? { preValidation: emptyBodyAsNull } : {}),
        handler: this.routeHandler(entry),
      });
    }
    for (const [url, methods] of methodsByPath) {
      const missing = ANSWERED_METHODS.filter(
        (m) => !methods.has(m) && !(m === "HEAD" && methods.has("GET")),
      );
      if (missing.length === 0) continue;
      app.route({
        method: missing,
        url,
        handler: (request, reply) => {
          this.sendError(
            new HttpError(405, `method ${request.method} not allowed on ${pathOf(request.url)}`),
            request,
            reply,
          );
        },
      });
    }
  }

  /** `/` redirects to the web UI; `/ui/...` answers its files (ui-static.ts). */
  private addUiRoutes(app: App, ui: UiFiles): void {
    app.get("/", (_request, reply) => {
      reply.redirect("/ui/", 302);
    });
    const handler = (request: FastifyRequest, reply: FastifyReply): void => {
      const rest = (request.params as Params)["*"] ?? "";
      const file = ui.lookup(rest);
      if (file === undefined) {
        const why = ui.built
          ? `no such file ${pathOf(request.url)}`
          : "the web UI is not built (npm run build)";
        this.sendError(new HttpError(404, why), request, reply);
        return;
      }
      const gzip = acceptsGzip(request.headers["accept-encoding"]);
      reply
        .code(200)
        .header("content-type", file.contentType)
        .header("cache-control", file.cacheControl)
        .header("vary", "Accept-Encoding");
      if (gzip) reply.header("content-encoding", "gzip");
      reply.send(gzip ? file.gzipped : file.body);
    };
    app.get("/ui", handler);
    app.get("/ui/*", handler);
  }

  private routeHandler(
    entry: RouteEntry<Handler>,
  ): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
    const { handler } = entry;
    const rest = restParamName(entry.pattern);
    return async (request, reply) => {
      const raw = request.params as Params;
      let params = raw;
      if (rest !== undefined) {
        // Fastify names the wildcard "*"; the handler knows it by the pattern's name. A fresh
        // object rather than spread-then-delete, which would turn it into a slow dictionary.
        params = {};
        for (const key in raw) if (key !== "*") params[key] = raw[key] as string;
        params[rest] = raw["*"] ?? "";
        if (params[rest] === "") {
          this.sendError(new HttpError(404, `no such path ${pathOf(request.url)}`), request, reply);
          return;
        }
      }
      let response: ApiResponse;
      const token = tokenOf(request);
      try {
        const apiRequest: ApiRequest = {
          method: request.method,
          path: pathOf(request.url),
          params,
          query: (request.query as ParsedQuery)[SEARCH],
          body: request.body,
        };
        // The token rides along with the request (forwarded RPCs send it on) and is checked
        // here, once, against the route's entry in the ACL table, before the handler runs.
        const guard = this.options.guard;
        response = await withRequestId(request.id, () => {
          // ACLs off and no token: the plain path (the benchmarked write path takes it).
          if (guard === undefined && token === undefined) return handler(apiRequest);
          return withToken(token, async () => {
            const check = await guard?.admit(entry.method, entry.pattern, apiRequest, token);
            const answer = await handler(apiRequest);
            return check === undefined ? answer : check(answer);
          });
        });
      } catch (error) {
        this.sendError(error, request, reply);
        return;
      }
      const stream = response.stream;
      if (stream !== undefined) {
        // The stream writes to the socket itself, at the client's pace: Fastify lets go of it.
        reply.hijack();
        // Produced on the request's behalf too (a followed log forwarded to its client agent).
        await withRequestId(request.id, () =>
          withToken(token, () =>
            this.writeStream(reply.raw, response, stream, request.method === "HEAD", request),
          ),
        );
        return;
      }
      this.send(reply, response);
    };
  }

  private send(reply: FastifyReply, response: ApiResponse): void {
    reply.code(response.status ?? 200);
    if (response.meta !== undefined) reply.headers(metaHeaders(response.meta));
    if (response.headers !== undefined) reply.headers(response.headers);
    if (response.text !== undefined) {
      reply.header("content-type", response.contentType ?? "text/plain; charset=utf-8").send(response.text);
      return;
    }
    // Fastify sends a string payload as it is (adding charset=utf-8 to the type): every JSON answer,
    // a bare string too, is serialized here, once, with JSON.stringify as Fastify would.
    reply.header("content-type", "application/json").send(JSON.stringify(response.body ?? null));
  }

  /** The one error path: handlers' errors, Fastify's (bad URL, body, limits, schemas) and 404/405. */
  private sendError(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
    const { status, body } = this.errorAnswer(error, request, reply);
    reply.code(status).header("content-type", "application/json").send(JSON.stringify(body));
  }

  private errorAnswer(
    error: unknown,
    request: FastifyRequest,
    reply: FastifyReply,
  ): { status: number; body: unknown } {
    if (error instanceof HttpError) {
      return { status: error.status, body: error.body === undefined ? { error: error.message } : error.body };
    }
    if (isFrameworkError(error)) {
      if (error.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
        // Read the rest of the body (and drop it), keeping the connection (Fastify asks to close
        // it), so that a client still sending reads the 413 instead of a reset connection.
        request.raw.resume();
        reply.removeHeader("connection");
        const limit = isRawBody(request.headers["content-type"]) ? this.maxRawBodyBytes : this.maxBodyBytes;
        return { status: 413, body: { error: `request body exceeds ${limit} bytes` } };
      }
      if (error.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") {
        // Refused before any body parser runs, so that even "any type is JSON" cannot apply.
        const type = JSON.stringify(request.headers["content-type"] ?? "");
        return { status: 415, body: { error: `Content-Type ${type} is not a media type; send JSON` } };
      }
      if (error.code === "FST_ERR_BAD_URL") {
        const path = JSON.stringify(pathOf(request.raw.url ?? "/"));
        return { status: 400, body: { error: `path: malformed percent-encoding in ${path}` } };
      }
      const status = error.statusCode ?? 500;
      if (status >= 400 && status < 500) return { status, body: { error: error.message } };
    }
    const code = errorCode(error);
    const message = error instanceof Error ? error.message : String(error);
    if (code.kind === "not-leader" || code.kind === "timeout") {
      return { status: code.http, body: { error: `no cluster leader: ${message}` } };
    }
    if (code.kind !== "internal") return { status: code.http, body: { error: message } };
    const requestId = request.id;
    const path = pathOf(request.url);
    this.options.logger.error(
      { err: error, requestId, method: request.method, path },
      "http: request failed",
    );
    return { status: 500, body: { error: `internal error (request id ${requestId})` } };
  }

  /**
   * Writes `stream` chunk by chunk, waiting for 'drain' whenever the socket's buffer is full, so
   * that a slow client bounds what is held in memory to one chunk plus node's buffer. Ends when
   * the stream ends, the client disconnects (then the iterator's return() stops the producer), or
   * the stream fails (logged; the connection is destroyed so the client can tell the body is cut).
   * A HEAD request gets the headers only, and the producer is stopped at once.
   */
  private async writeStream(
    res: ServerResponse,
    response: ApiResponse,
    stream: AsyncIterable<Uint8Array | string>,
    headOnly: boolean,
    request: FastifyRequest,
  ): Promise<void> {
    const path = request.url;
    const requestId = request.id;
    const headers: Record<string, string> = response.meta === undefined ? {} : metaHeaders(response.meta);
    headers["X-Request-ID"] = requestId;
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
        this.options.logger.warn({ err: error, requestId, path }, "http: stopping a response stream failed");
      });
    };
    if (headOnly) {
      stop();
      res.end();
      return;
    }
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
      this.options.logger.error({ err: error, requestId, path }, "http: response stream failed");
      res.destroy();
    } finally {
      res.off("close", stop);
    }
  }
}

/**
 * The request's ACL token: `X-Nomad-Token`, else `Authorization: Bearer <token>` (Nomad reads
 * both). Undefined when neither is sent.
 */
function tokenOf(request: FastifyRequest): string | undefined {
  const header = request.headers[TOKEN_KEY];
  const value = Array.isArray(header) ? header[0] : header;
  if (value !== undefined && value !== "") return value;
  const auth = request.headers.authorization;
  if (auth === undefined) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(auth);
  return match?.[1];
}

/** Does a body schema accept null (`type: ["object", "null"]`), making the body optional? */
function admitsNull(schema: object | undefined): boolean {
  const type = (schema as { type?: unknown } | undefined)?.type;
  return type === "null" || (Array.isArray(type) && type.includes("null"));
}

/**
 * A JSON schema cannot speak of a missing value: for a route whose body is optional, an empty body
 * is checked, and handed on, as null.
 */
function emptyBodyAsNull(request: FastifyRequest, _reply: FastifyReply, done: () => void): void {
  if (request.body === undefined) request.body = null;
  done();
}

function metaHeaders(meta: QueryMeta): Record<string, string> {
  return {
    "X-Nomad-Index": String(meta.index),
    "X-Nomad-KnownLeader": String(meta.knownLeader),
    "X-Nomad-LastContact": String(meta.lastContactMs),
  };
}

/** The answer while the agent's parts start: the port is bound, the routes are not known yet. */
function notServing(req: IncomingMessage, res: ServerResponse): void {
  req.resume();
  const body = JSON.stringify({ error: "the agent is starting; its HTTP API is not serving yet" });
  res.writeHead(503, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}
