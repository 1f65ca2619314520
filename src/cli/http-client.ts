import { readFileSync } from "node:fs";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { Readable } from "node:stream";
import { validateVariablePath } from "../common/names.js";
import type {
  Allocation,
  AllocMetric,
  Evaluation,
  Job,
  JobSummary,
  Namespace,
  Node,
  TaskState,
  Variable,
} from "../fsm/index.js";
import type { JobPlanResult } from "../scheduler/job-plan.js";

/**
 * A small typed client of an agent's HTTP API (the Nomad-shaped `/v1/...` routes), for the user
 * commands. The address comes from `--address`, else DROVER_ADDR, else http://127.0.0.1:4646; a
 * token (`--token`, DROVER_TOKEN) is sent as X-Nomad-Token. Every failure is one of two errors
 * with a one-line message: AgentUnreachableError (no answer) or ApiError (an answer that is not 2xx,
 * its `{error}` body as the message).
 */

export const DEFAULT_ADDRESS = "http://127.0.0.1:4646";
const DEFAULT_TIMEOUT_MS = 30_000;

export interface ClientOptions {
  /** `--address`; DROVER_ADDR and the default when undefined. */
  address?: string | undefined;
  /** `--token`; DROVER_TOKEN when undefined. */
  token?: string | undefined;
  /** `--namespace`; DROVER_NAMESPACE when undefined; absent means the agent's `default`. */
  namespace?: string | undefined;
  /** Per request, on top of a blocking query's wait (30 s by default). */
  timeoutMs?: number | undefined;
  /** `--ca-cert` (DROVER_CACERT): the CA that signed the agent's HTTPS certificate. */
  caCert?: string | undefined;
  /** `--client-cert` / `--client-key` (DROVER_CLIENT_CERT / DROVER_CLIENT_KEY). */
  clientCert?: string | undefined;
  clientKey?: string | undefined;
  env?: NodeJS.ProcessEnv;
}

/** The TLS files of the CLI, as paths (Nomad's -ca-cert, -client-cert, -client-key). */
interface CliTlsFiles {
  caCert: string | undefined;
  clientCert: string | undefined;
  clientKey: string | undefined;
}

function readTlsFile(path: string, flag: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new Error(`cannot read ${flag} ${path}: ${(error as Error).message}`);
  }
}

/** An https.Agent that trusts the CA and presents the client certificate, when given. */
function httpsAgent(files: CliTlsFiles): HttpsAgent {
  if ((files.clientCert === undefined) !== (files.clientKey === undefined))
    throw new Error(
      "--client-cert and --client-key go together (or DROVER_CLIENT_CERT and DROVER_CLIENT_KEY)",
    );
  return new HttpsAgent({
    keepAlive: true,
    ...(files.caCert === undefined ? {} : { ca: readTlsFile(files.caCert, "--ca-cert") }),
    ...(files.clientCert === undefined ? {} : { cert: readTlsFile(files.clientCert, "--client-cert") }),
    ...(files.clientKey === undefined ? {} : { key: readTlsFile(files.clientKey, "--client-key") }),
  });
}

const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

/**
 * fetch() over node:https with our own agent: Node 20's fetch takes no CA or client certificate
 * without an undici dispatcher, which is not a dependency. Answers a standard Response, so the
 * callers treat both schemes alike; an aborted signal rejects with its reason, as fetch does.
 */
function httpsFetch(url: string, init: RequestInit, agent: HttpsAgent): Promise<Response> {
  const signal = init.signal ?? undefined;
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      {
        method: init.method ?? "GET",
        headers: init.headers as Record<string, string> | undefined,
        agent,
        ...(signal === undefined ? {} : { signal }),
      },
      (res) => {
        const headers = new Headers();
        for (let i = 0; i + 1 < res.rawHeaders.length; i += 2)
          headers.append(res.rawHeaders[i] as string, res.rawHeaders[i + 1] as string);
        const status = res.statusCode ?? 500;
        const empty = NULL_BODY_STATUSES.has(status) || init.method === "HEAD";
        if (empty) res.resume();
        const body = empty ? null : (Readable.toWeb(res) as unknown as ReadableStream<Uint8Array>);
        resolve(new Response(body, { status, statusText: res.statusMessage ?? "", headers }));
      },
    );
    req.on("error", (error) => reject(signal?.aborted === true ? signal.reason : error));
    const body = init.body;
    if (body === undefined || body === null) req.end();
    else req.end(typeof body === "string" ? body : Buffer.from(body as Uint8Array));
  });
}

/** The agent answered with a status other than 2xx. */
export class ApiError extends Error {
  override name = "ApiError";
  constructor(
    readonly status: number,
    message: string,
    /** The parsed JSON body (a 409 of a variable carries the current variable). */
    readonly body: unknown,
  ) {
    super(message);
  }
}

/** No answer from the agent: refused, unknown host, reset, timed out. */
export class AgentUnreachableError extends Error {
  override name = "AgentUnreachableError";
}

/** `127.0.0.1:4646` → `http://127.0.0.1:4646`; a trailing slash is dropped. Throws on nonsense. */
export function normalizeAddress(address: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(address) ? address : `http://${address}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new AgentUnreachableError(`Invalid agent address ${JSON.stringify(address)}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new AgentUnreachableError(`Invalid agent address ${JSON.stringify(address)}: not http(s)`);
  }
  return withScheme.replace(/\/+$/, "");
}

export function resolveAddress(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = flag ?? env["DROVER_ADDR"];
  return normalizeAddress(chosen === undefined || chosen === "" ? DEFAULT_ADDRESS : chosen);
}

/** The words for a failed fetch: `connection refused`, `no answer within 30 s`, … */
export function describeFetchFailure(error: unknown, timeoutMs: number): string {
  const err = error as {
    name?: string;
    message?: string;
    code?: string;
    cause?: { code?: string; message?: string };
  };
  if (err?.name === "TimeoutError") {
    return `no answer within ${timeoutMs < 1000 ? `${timeoutMs} ms` : `${Math.round(timeoutMs / 1000)} s`}`;
  }
  if (err?.name === "AbortError") return "request aborted";
  // fetch() puts the socket's code in `cause`; node:https (https:// agents) on the error itself.
  const code = err?.cause?.code ?? err?.code;
  switch (code) {
    case "ECONNREFUSED":
      return "connection refused";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return "host not found";
    case "ECONNRESET":
    case "UND_ERR_SOCKET":
      return "connection reset";
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return "host unreachable";
    case "ETIMEDOUT":
    case "UND_ERR_CONNECT_TIMEOUT":
      return "connection timed out";
    default:
      return err?.cause?.message ?? err?.message ?? String(error);
  }
}

type QueryValue = string | number | boolean | undefined;
export type Query = Record<string, QueryValue>;

export interface Answer<T> {
  body: T;
  /** X-Nomad-Index (0 when absent): the index to pass to the next blocking query. */
  index: number;
}

export interface BlockingOptions {
  /** Wait until the index moves past this (a blocking query)… */
  index?: number;
  /** …for at most this long. */
  waitMs?: number;
}

// ── answer shapes (Nomad's) ──

export type JobStub = Pick<
  Job,
  | "ID"
  | "ParentID"
  | "Name"
  | "Namespace"
  | "Datacenters"
  | "NodePool"
  | "Type"
  | "Priority"
  | "Stop"
  | "Status"
  | "StatusDescription"
  | "Version"
  | "SubmitTime"
  | "CreateIndex"
  | "ModifyIndex"
  | "JobModifyIndex"
> & { Periodic: boolean; ParameterizedJob: boolean };

export type AllocStub = Pick<
  Allocation,
  | "ID"
  | "EvalID"
  | "Name"
  | "Namespace"
  | "NodeID"
  | "NodeName"
  | "JobID"
  | "JobVersion"
  | "TaskGroup"
  | "DesiredStatus"
  | "DesiredDescription"
  | "ClientStatus"
  | "ClientDescription"
  | "DeploymentStatus"
  | "FollowupEvalID"
  | "NextAllocation"
  | "PreviousAllocation"
  | "CreateIndex"
  | "ModifyIndex"
  | "CreateTime"
  | "ModifyTime"
> & { TaskStates: Record<string, TaskState> | null };

export type NodeStub = Pick<
  Node,
  | "ID"
  | "Datacenter"
  | "Name"
  | "NodeClass"
  | "NodePool"
  | "SchedulingEligibility"
  | "Status"
  | "StatusDescription"
  | "HTTPAddr"
  | "CreateIndex"
  | "ModifyIndex"
> & { Drain: boolean };

/** A node as `GET /v1/node/:id` answers it (Nomad's JSON: drain and event times in RFC 3339). */
export type PublicNode = Omit<Node, "SecretID" | "DrainStrategy" | "Events"> & {
  Drain: boolean;
  DrainStrategy: {
    Deadline: number;
    IgnoreSystemJobs: boolean;
    ForceDeadline: string;
    StartedAt: string;
  } | null;
  Events: {
    Message: string;
    Subsystem: string;
    Details: Record<string, string>;
    Timestamp: string;
    CreateIndex: number;
  }[];
};
export type VariableMeta = Omit<Variable, "Items">;

/** Nomad's JobPlanResponse as `POST /v1/job/:id/plan` answers it. */
export type PlanAnswer = Omit<JobPlanResult, "Plan"> & { NextPeriodicLaunch: string | null };

export interface RegisterAnswer {
  EvalID: string;
  EvalCreateIndex: number;
  JobModifyIndex: number;
  Warnings: string;
  Index: number;
}

export interface DispatchAnswer {
  DispatchedJobID: string;
  EvalID: string;
  EvalCreateIndex: number;
  JobCreateIndex: number;
  Index: number;
}

export interface LogOptions {
  task: string;
  type: "stdout" | "stderr";
  follow: boolean;
  origin: "start" | "end";
  offset: number;
  signal?: AbortSignal;
}

export type { Allocation, AllocMetric, Evaluation, Job, JobSummary, Namespace, TaskState, Variable };

/** What `namespace apply` sends: a namespace without the indexes the servers set. */
export type NamespaceSpecInput = Pick<Namespace, "Name" | "Description" | "Meta"> & Record<string, unknown>;

export class DroverClient {
  readonly address: string;
  private readonly token: string | undefined;
  private readonly timeoutMs: number;
  /** Sent as `?namespace=` with every request that does not name one itself (as Nomad's client does). */
  readonly namespace: string | undefined;
  private readonly tlsFiles: CliTlsFiles;
  private agent: HttpsAgent | undefined;

  constructor(options: ClientOptions = {}) {
    const env = options.env ?? process.env;
    this.address = resolveAddress(options.address, env);
    const nonEmpty = (value: string | undefined): string | undefined =>
      value === undefined || value === "" ? undefined : value;
    this.tlsFiles = {
      caCert: nonEmpty(options.caCert ?? env["DROVER_CACERT"]),
      clientCert: nonEmpty(options.clientCert ?? env["DROVER_CLIENT_CERT"]),
      clientKey: nonEmpty(options.clientKey ?? env["DROVER_CLIENT_KEY"]),
    };
    const token = options.token ?? env["DROVER_TOKEN"];
    this.token = token === undefined || token === "" ? undefined : token;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const namespace = options.namespace ?? env["DROVER_NAMESPACE"];
    this.namespace = namespace === undefined || namespace === "" ? undefined : namespace;
  }

  url(path: string, query: Query = {}): string {
    const params = new URLSearchParams();
    if (this.namespace !== undefined && query["namespace"] === undefined)
      params.set("namespace", this.namespace);
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined) params.set(key, String(value));
    }
    const qs = params.toString();
    return `${this.address}${path}${qs === "" ? "" : `?${qs}`}`;
  }

  /**
   * fetch() of one of this client's URLs: over node:https with the CLI's CA and client
   * certificate for an https:// agent, the global fetch otherwise.
   */
  fetchUrl(url: string | URL, init: RequestInit = {}): Promise<Response> {
    const text = String(url);
    if (!text.startsWith("https:")) return fetch(text, init);
    this.agent ??= httpsAgent(this.tlsFiles);
    return httpsFetch(text, init, this.agent);
  }

  /** The X-Nomad-Token header alone, for requests made with fetchUrl(). */
  tokenHeaders(): Record<string, string> {
    return this.headers(undefined);
  }

  private headers(body: unknown): Record<string, string> {
    const headers: Record<string, string> = {};
    if (body instanceof Uint8Array) headers["Content-Type"] = "application/octet-stream";
    else if (body !== undefined) headers["Content-Type"] = "application/json";
    if (this.token !== undefined) headers["X-Nomad-Token"] = this.token;
    return headers;
  }

  private async fetch(
    method: string,
    path: string,
    query: Query,
    body: unknown,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<Response> {
    const timeout = AbortSignal.timeout(timeoutMs);
    try {
      return await this.fetchUrl(this.url(path, query), {
        method,
        headers: this.headers(body),
        // Bytes (a snapshot file) go as they are; anything else as JSON.
        ...(body === undefined
          ? {}
          : { body: body instanceof Uint8Array ? new Uint8Array(body) : JSON.stringify(body) }),
        signal: signal === undefined ? timeout : AbortSignal.any([timeout, signal]),
      });
    } catch (error) {
      throw new AgentUnreachableError(
        `Error querying the agent at ${this.address}: ${describeFetchFailure(error, timeoutMs)}`,
      );
    }
  }

  /** Throws an ApiError for a status other than 2xx, with the `{error}` of the body as message. */
  private async check(res: Response, method: string, path: string): Promise<string> {
    let text: string;
    try {
      text = await res.text();
    } catch (error) {
      throw new AgentUnreachableError(
        `Error reading the answer of the agent at ${this.address}: ${describeFetchFailure(error, this.timeoutMs)}`,
      );
    }
    if (res.ok) return text;
    let parsed: unknown = null;
    try {
      parsed = text === "" ? null : JSON.parse(text);
    } catch {
      parsed = text;
    }
    const detail =
      typeof parsed === "object" &&
      parsed !== null &&
      typeof (parsed as { error?: unknown }).error === "string"
        ? (parsed as { error: string }).error
        : typeof parsed === "string" && parsed !== ""
          ? parsed.trim().split("\n")[0]!
          : res.statusText;
    throw new ApiError(res.status, `${method} ${path}: ${res.status} ${detail}`, parsed);
  }

  async request<T>(
    method: string,
    path: string,
    options: { query?: Query; body?: unknown; blocking?: BlockingOptions } = {},
  ): Promise<Answer<T>> {
    const query: Query = { ...options.query };
    let timeoutMs = this.timeoutMs;
    const blocking = options.blocking;
    if (blocking?.index !== undefined && blocking.index > 0) {
      const waitMs = blocking.waitMs ?? 5_000;
      query["index"] = blocking.index;
      query["wait"] = `${waitMs}ms`;
      timeoutMs += waitMs;
    }
    const res = await this.fetch(method, path, query, options.body, timeoutMs);
    const text = await this.check(res, method, path);
    let body: unknown = null;
    if (text !== "") {
      try {
        body = JSON.parse(text);
      } catch {
        throw new ApiError(
          res.status,
          `${method} ${path}: the agent answered something that is not JSON`,
          text,
        );
      }
    }
    return { body: body as T, index: Number(res.headers.get("x-nomad-index") ?? "0") || 0 };
  }

  async get<T>(path: string, query: Query = {}, blocking?: BlockingOptions): Promise<T> {
    return (await this.request<T>("GET", path, { query, ...(blocking === undefined ? {} : { blocking }) }))
      .body;
  }

  // ── status ──
  leader(): Promise<string> {
    return this.get<string>("/v1/status/leader");
  }
  peers(): Promise<string[]> {
    return this.get<string[]>("/v1/status/peers");
  }
  agentSelf(): Promise<{ member: { Name: string; Addr: string; Tags: Record<string, string> } }> {
    return this.get("/v1/agent/self");
  }

  // ── jobs ──
  jobs(prefix?: string): Promise<JobStub[]> {
    return this.get<JobStub[]>("/v1/jobs", { prefix });
  }
  job(id: string): Promise<Job> {
    return this.get<Job>(`/v1/job/${encodeURIComponent(id)}`);
  }
  /**
   * The job as submitted, in the client's namespace when it has one and the job names none (or
   * `default`, which a job file without a `namespace` gets): Nomad's `-namespace` for job files.
   */
  private inNamespace(job: unknown): unknown {
    if (this.namespace === undefined || typeof job !== "object" || job === null) return job;
    const current = (job as { Namespace?: unknown }).Namespace;
    if (current !== undefined && current !== null && current !== "" && current !== "default") return job;
    return { ...job, Namespace: this.namespace };
  }
  async registerJob(job: unknown, checkIndex?: number): Promise<RegisterAnswer> {
    const body: Record<string, unknown> = { Job: this.inNamespace(job) };
    if (checkIndex !== undefined) {
      body["EnforceIndex"] = true;
      body["JobModifyIndex"] = checkIndex;
    }
    return (await this.request<RegisterAnswer>("POST", "/v1/jobs", { body })).body;
  }
  /** A dry run of the scheduler for `job` (the request's Job, as for registerJob). */
  async planJob(id: string, job: unknown, diff: boolean): Promise<PlanAnswer> {
    const body = { Job: this.inNamespace(job), Diff: diff };
    return (await this.request<PlanAnswer>("POST", `/v1/job/${encodeURIComponent(id)}/plan`, { body })).body;
  }
  async deregisterJob(id: string, purge: boolean): Promise<RegisterAnswer> {
    const query = purge ? { purge: true } : {};
    return (await this.request<RegisterAnswer>("DELETE", `/v1/job/${encodeURIComponent(id)}`, { query }))
      .body;
  }
  async dispatchJob(id: string, meta: Record<string, string>, payload?: Uint8Array): Promise<DispatchAnswer> {
    const body = {
      Meta: meta,
      Payload: payload === undefined ? "" : Buffer.from(payload).toString("base64"),
    };
    return (
      await this.request<DispatchAnswer>("POST", `/v1/job/${encodeURIComponent(id)}/dispatch`, { body })
    ).body;
  }
  jobAllocations(id: string, blocking?: BlockingOptions): Promise<Answer<AllocStub[]>> {
    return this.request<AllocStub[]>("GET", `/v1/job/${encodeURIComponent(id)}/allocations`, {
      ...(blocking === undefined ? {} : { blocking }),
    });
  }
  jobEvaluations(id: string): Promise<Evaluation[]> {
    return this.get<Evaluation[]>(`/v1/job/${encodeURIComponent(id)}/evaluations`);
  }
  jobSummary(id: string): Promise<JobSummary> {
    return this.get<JobSummary>(`/v1/job/${encodeURIComponent(id)}/summary`);
  }

  // ── nodes, allocations, evaluations ──
  nodes(prefix?: string): Promise<NodeStub[]> {
    return this.get<NodeStub[]>("/v1/nodes", { prefix });
  }
  node(id: string): Promise<PublicNode> {
    return this.get<PublicNode>(`/v1/node/${encodeURIComponent(id)}`);
  }
  allocations(prefix?: string): Promise<AllocStub[]> {
    return this.get<AllocStub[]>("/v1/allocations", { prefix });
  }
  allocation(id: string): Promise<Allocation> {
    return this.get<Allocation>(`/v1/allocation/${encodeURIComponent(id)}`);
  }
  evaluations(prefix?: string): Promise<Evaluation[]> {
    return this.get<Evaluation[]>("/v1/evaluations", { prefix });
  }
  evaluation(id: string, blocking?: BlockingOptions): Promise<Answer<Evaluation>> {
    return this.request<Evaluation>("GET", `/v1/evaluation/${encodeURIComponent(id)}`, {
      ...(blocking === undefined ? {} : { blocking }),
    });
  }

  // ── variables ──
  variables(prefix?: string): Promise<VariableMeta[]> {
    return this.get<VariableMeta[]>("/v1/vars", { prefix });
  }
  variable(path: string): Promise<Variable> {
    return this.get<Variable>(`/v1/var/${encodePath(path)}`);
  }
  async putVariable(path: string, items: Record<string, string>, checkIndex?: number): Promise<Variable> {
    return (
      await this.request<Variable>("PUT", `/v1/var/${encodePath(path)}`, {
        query: { cas: checkIndex },
        body: { Path: path, Items: items },
      })
    ).body;
  }
  async deleteVariable(path: string, checkIndex?: number): Promise<void> {
    await this.request<null>("DELETE", `/v1/var/${encodePath(path)}`, { query: { cas: checkIndex } });
  }

  // ── namespaces ──
  namespaces(prefix?: string): Promise<Namespace[]> {
    return this.get<Namespace[]>("/v1/namespaces", { prefix });
  }
  namespaceInfo(name: string): Promise<Namespace> {
    return this.get<Namespace>(`/v1/namespace/${encodeURIComponent(name)}`);
  }
  async applyNamespace(spec: NamespaceSpecInput): Promise<number> {
    return (await this.request<null>("PUT", `/v1/namespace/${encodeURIComponent(spec.Name)}`, { body: spec }))
      .index;
  }
  async deleteNamespace(name: string): Promise<number> {
    return (await this.request<null>("DELETE", `/v1/namespace/${encodeURIComponent(name)}`)).index;
  }

  /**
   * A task's log as raw bytes (`plain=true`), streamed as the agent sends them; with `follow`
   * it lasts until the task ends or `signal` aborts. Only the wait for the headers is timed.
   */
  async logs(allocId: string, options: LogOptions): Promise<AsyncIterable<Uint8Array>> {
    const controller = new AbortController();
    const onAbort = (): void => controller.abort();
    options.signal?.addEventListener("abort", onAbort, { once: true });
    const timer = setTimeout(
      () => controller.abort(new DOMException("timed out", "TimeoutError")),
      this.timeoutMs,
    );
    let res: Response;
    try {
      res = await this.fetchUrl(
        this.url(`/v1/client/fs/logs/${encodeURIComponent(allocId)}`, {
          task: options.task,
          type: options.type,
          follow: options.follow,
          origin: options.origin,
          offset: options.offset,
          plain: true,
        }),
        { headers: this.headers(undefined), signal: controller.signal },
      );
    } catch (error) {
      const reason = controller.signal.reason as { name?: string } | undefined;
      throw new AgentUnreachableError(
        `Error querying the agent at ${this.address}: ${describeFetchFailure(reason?.name === "TimeoutError" ? reason : error, this.timeoutMs)}`,
      );
    } finally {
      clearTimeout(timer);
    }
    if (!res.ok || res.body === null) {
      options.signal?.removeEventListener("abort", onAbort);
      await this.check(res, "GET", `/v1/client/fs/logs/${allocId}`);
      return Readable.from([]);
    }
    const stream = Readable.fromWeb(res.body as import("node:stream/web").ReadableStream<Uint8Array>);
    return stream as AsyncIterable<Uint8Array>;
  }
}

/** A variable path in a URL: each segment encoded, the slashes kept. */
/**
 * A variable path as a URL path. Checked here first: URL parsing would resolve `a/../b` to `b`
 * before the agent could refuse it, and the CLI would write a variable the user did not name.
 */
function encodePath(path: string): string {
  validateVariablePath(path, "variable path");
  return path.split("/").map(encodeURIComponent).join("/");
}
