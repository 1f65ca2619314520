import { type CallOptions, type ClientReadableStream, Metadata } from "@grpc/grpc-js";
import { MAX_GRPC_MESSAGE_BYTES } from "../common/limits.js";
import { loadProto } from "../common/proto.js";
import { currentRequestId, currentToken, REQUEST_ID_KEY, TOKEN_KEY } from "../common/request-context.js";
import { rpcChannelCredentials, rpcChannelOptions } from "../common/tls.js";
import type {
  AclPolicy,
  Allocation,
  Deployment,
  DrainStrategy,
  Evaluation,
  GcRequest,
  Job,
  JobSummary,
  Namespace,
  NamespaceSpec,
  Node,
  NodeStatus,
  Plan,
  PlanResult,
  SchedulerConfiguration,
  SchedulerType,
  SchedulingEligibility,
  Variable,
} from "../fsm/index.js";
import type { AllocStopRequest } from "../gen/proto/drover/server/AllocStopRequest.js";
import type { ClientAllocsUpdate__Output } from "../gen/proto/drover/server/ClientAllocsUpdate.js";
import type { DeploymentUpdateRequest } from "../gen/proto/drover/server/DeploymentUpdateRequest.js";
import type { EvalWriteResponse__Output } from "../gen/proto/drover/server/EvalWriteResponse.js";
import type { GetResponse__Output } from "../gen/proto/drover/server/GetResponse.js";
import type { JobEvaluateRequest } from "../gen/proto/drover/server/JobEvaluateRequest.js";
import type { JobRevertRequest } from "../gen/proto/drover/server/JobRevertRequest.js";
import type { JobScaleRequest as JobScaleRequestProto } from "../gen/proto/drover/server/JobScaleRequest.js";
import type { ListResponse__Output } from "../gen/proto/drover/server/ListResponse.js";
import type { NodeUpdateResponse__Output } from "../gen/proto/drover/server/NodeUpdateResponse.js";
import type { QueryMeta__Output } from "../gen/proto/drover/server/QueryMeta.js";
import type { QueryOptions as QueryOptionsProto } from "../gen/proto/drover/server/QueryOptions.js";
import type { ServerClient } from "../gen/proto/drover/server/Server.js";
import type { VarResponse__Output } from "../gen/proto/drover/server/VarResponse.js";
import type { ProtoGrpcType } from "../gen/proto/server.js";
import type { JobPlanResult } from "../scheduler/job-plan.js";
import { EMPTY, packValue, unpackOptional, unpackValue } from "./codec.js";
import type * as P from "./proto-types.js";
import { FORWARDED_KEY, fromGrpcError, type GrpcErrorLike } from "./rpc-status.js";
import type {
  AclPolicyInput,
  AclTokenInput,
  AclTokenView,
  AllocClientFields,
  AllocWatch,
  ClientAllocsUpdate,
  DeploymentAction,
  DequeueResult,
  DispatchResult,
  EvalWriteResult,
  JobRegisterOptions,
  JobRegisterResult,
  JobScaleRequest,
  JobScaleStatus,
  JobStabilityResult,
  NodeUpdateResult,
  QueryMeta,
  QueryOptions,
  QueryResult,
  ResolvedAcl,
  SchedulerSetConfigResult,
  ServerAddress,
  ServerApi,
  VariableMetadata,
  VarResult,
} from "./server-api.js";

export function serverProto(): ProtoGrpcType {
  return loadProto("server.proto") as unknown as ProtoGrpcType;
}

type Callback<T> = (error: GrpcErrorLike | null, value?: T) => void;
type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: CallOptions,
  callback: Callback<Res>,
) => unknown;

export function queryToProto(query: QueryOptions): QueryOptionsProto {
  return {
    stale: query.stale ?? false,
    minIndex: query.minIndex ?? 0,
    maxWaitMs: query.maxWaitMs ?? 0,
    namespace: query.namespace ?? "",
    prefix: query.prefix ?? "",
  };
}

export function metaFromProto(meta: QueryMeta__Output | null): QueryMeta {
  return {
    index: meta?.index ?? 0,
    knownLeader: meta?.knownLeader ?? false,
    lastContactMs: meta?.lastContactMs ?? 0,
  };
}

function nodeUpdateFromProto(res: NodeUpdateResponse__Output): NodeUpdateResult {
  return {
    heartbeatTtlMs: res.heartbeatTtlMs,
    evalIds: res.evalIds,
    evalCreateIndex: res.evalCreateIndex,
    nodeModifyIndex: res.nodeModifyIndex,
    index: res.index,
    leaderRpcAddress: res.leaderRpcAddress,
    servers: res.servers.map((s) => ({ id: s.id, rpcAddress: s.rpcAddress })),
  };
}

function varFromProto(res: VarResponse__Output): VarResult {
  return {
    ok: res.ok,
    variable: unpackOptional<Variable>(res.variable),
    conflict: res.conflict,
    meta: metaFromProto(res.meta),
  };
}

export function allocsUpdateFromProto(message: ClientAllocsUpdate__Output): ClientAllocsUpdate {
  return {
    index: message.index,
    full: message.full,
    allocs: message.allocs.length === 0 ? [] : unpackValue<Allocation[]>(message.allocs),
    jobs: message.jobs.length === 0 ? [] : unpackValue<Job[]>(message.jobs),
    removedAllocIds: message.removedAllocIds,
  };
}

function evalWriteFromProto(res: EvalWriteResponse__Output): EvalWriteResult {
  return {
    evalId: res.evalId,
    evalCreateIndex: res.evalCreateIndex,
    modifyIndex: res.modifyIndex,
    index: res.index,
  };
}

/** A DeploymentUpdateRequest for a typed change. */
function deploymentActionToProto(deploymentId: string, change: DeploymentAction): DeploymentUpdateRequest {
  const request: DeploymentUpdateRequest = { deploymentId, action: change.action };
  if (change.action === "promote") {
    request.all = change.all;
    request.groups = change.groups;
  } else if (change.action === "alloc-health") {
    request.healthyAllocIds = change.healthy;
    request.unhealthyAllocIds = change.unhealthy;
  }
  return request;
}

export interface ServerRpcClientOptions {
  /** Deadline of a unary call unless it blocks longer by design (blocking queries, dequeue). */
  defaultDeadlineMs?: number;
  /** Marks every call as forwarded by a server (see FORWARDED_KEY): the Forwarder's clients. */
  forwarded?: boolean;
}

/**
 * A typed client of one server's `drover.server.Server` service. Errors come back as the typed
 * errors the server raised (NotLeaderError, ValidationError, …; see rpc-status.ts).
 */
/**
 * How much longer than an ordinary call a worker waits for its plan. A plan waits in the leader's
 * serialized plan queue behind every other worker's (the broker pauses the eval's nack timer
 * meanwhile), and giving up early only makes things worse: the worker nacks the eval, another
 * schedules it again from scratch, while the first plan may still be applied. A leader that goes
 * away ends the call at once (the connection breaks, or it rejects what its queue held), so the
 * long wait only covers a leader that is alive but busy, as Nomad's workers wait without limit.
 */
const PLAN_SUBMIT_EXTRA_MS = 10 * 60_000;

export class ServerRpcClient implements ServerApi {
  private readonly client: ServerClient;
  private readonly defaultDeadlineMs: number;
  private readonly forwarded: boolean;

  constructor(
    readonly address: string,
    options: ServerRpcClientOptions = {},
  ) {
    const Ctor = serverProto().drover.server.Server;
    this.client = new Ctor(address, rpcChannelCredentials("server"), {
      "grpc.max_receive_message_length": MAX_GRPC_MESSAGE_BYTES,
      "grpc.max_send_message_length": MAX_GRPC_MESSAGE_BYTES,
      "grpc.keepalive_time_ms": 10_000,
      // grpc-js waits 1 s, then up to 120 s, before reconnecting: far too slow to find a restarted
      // server or a new leader on a LAN.
      "grpc.initial_reconnect_backoff_ms": 100,
      "grpc.max_reconnect_backoff_ms": 1000,
      ...rpcChannelOptions("server"),
    });
    this.defaultDeadlineMs = options.defaultDeadlineMs ?? 30_000;
    this.forwarded = options.forwarded ?? false;
  }

  close(): void {
    this.client.close();
  }

  private unary<Req, Res>(
    method: UnaryMethod<Req, Res>,
    request: Req,
    extraMs = 0,
    signal?: AbortSignal,
  ): Promise<Res> {
    const deadline = Date.now() + this.defaultDeadlineMs + extraMs;
    return new Promise<Res>((resolve, reject) => {
      const metadata = new Metadata();
      if (this.forwarded) metadata.set(FORWARDED_KEY, "1");
      const requestId = currentRequestId();
      if (requestId !== undefined) metadata.set(REQUEST_ID_KEY, requestId);
      const token = currentToken();
      if (token !== undefined) metadata.set(TOKEN_KEY, token);
      const call = method.call(this.client, request, metadata, { deadline }, (error, value) => {
        signal?.removeEventListener("abort", cancel);
        if (error !== null) reject(fromGrpcError(error));
        else if (value === undefined) reject(new Error("rpc answered neither a value nor an error"));
        else resolve(value);
      }) as { cancel(): void };
      function cancel(): void {
        call.cancel();
      }
      signal?.addEventListener("abort", cancel, { once: true });
    });
  }

  private async list<T>(
    method: UnaryMethod<{ query: QueryOptionsProto }, ListResponse__Output>,
    query: QueryOptions,
  ): Promise<QueryResult<T[]>> {
    const res = await this.unary<{ query: QueryOptionsProto }, ListResponse__Output>(
      method,
      { query: queryToProto(query) },
      query.maxWaitMs ?? 0,
    );
    return {
      value: res.items.length === 0 ? [] : unpackValue<T[]>(res.items),
      meta: metaFromProto(res.meta),
    };
  }

  private async get<T>(
    method: UnaryMethod<{ id: string; query: QueryOptionsProto }, GetResponse__Output>,
    id: string,
    query: QueryOptions,
  ): Promise<QueryResult<T | undefined>> {
    const res = await this.unary<{ id: string; query: QueryOptionsProto }, GetResponse__Output>(
      method,
      { id, query: queryToProto(query) },
      query.maxWaitMs ?? 0,
    );
    return { value: res.found ? unpackValue<T>(res.item) : undefined, meta: metaFromProto(res.meta) };
  }

  private async related<T>(
    id: string,
    what: string,
    query: QueryOptions,
  ): Promise<QueryResult<T | undefined>> {
    const res = await this.unary<P.JobRelatedRequest, P.GetResponse__Output>(
      this.client.jobRelated,
      { jobId: id, what, query: queryToProto(query) },
      query.maxWaitMs ?? 0,
    );
    return { value: res.found ? unpackValue<T>(res.item) : undefined, meta: metaFromProto(res.meta) };
  }

  // ── nodes ──

  async nodeRegister(node: Node): Promise<NodeUpdateResult> {
    return nodeUpdateFromProto(
      await this.unary<P.NodeRegisterRequest, P.NodeUpdateResponse__Output>(this.client.nodeRegister, {
        node: packValue(node),
      }),
    );
  }

  async nodeUpdateStatus(nodeId: string, secretId: string, status: NodeStatus): Promise<NodeUpdateResult> {
    return nodeUpdateFromProto(
      await this.unary<P.NodeUpdateStatusRequest, P.NodeUpdateResponse__Output>(
        this.client.nodeUpdateStatus,
        { nodeId, secretId, status },
      ),
    );
  }

  async nodeHeartbeat(nodeId: string, secretId: string): Promise<NodeUpdateResult> {
    return nodeUpdateFromProto(
      await this.unary<P.NodeHeartbeatRequest, P.NodeUpdateResponse__Output>(this.client.nodeHeartbeat, {
        nodeId,
        secretId,
      }),
    );
  }

  async nodeDeregister(nodeId: string): Promise<number> {
    return (
      await this.unary<P.NodeDeregisterRequest, P.WriteResponse__Output>(this.client.nodeDeregister, {
        nodeId,
      })
    ).index;
  }

  async nodeUpdateDrain(nodeId: string, drain: DrainStrategy | null, markEligible: boolean): Promise<number> {
    const drainStrategy = drain === null ? EMPTY : packValue(drain);
    return (
      await this.unary<P.NodeUpdateDrainRequest, P.WriteResponse__Output>(this.client.nodeUpdateDrain, {
        nodeId,
        drainStrategy,
        markEligible,
      })
    ).index;
  }

  async nodeUpdateEligibility(nodeId: string, eligibility: SchedulingEligibility): Promise<number> {
    return (
      await this.unary<P.NodeUpdateEligibilityRequest, P.WriteResponse__Output>(
        this.client.nodeUpdateEligibility,
        { nodeId, eligibility },
      )
    ).index;
  }

  watchClientAllocs(
    request: { nodeId: string; secretId: string; minIndex: number; stale: boolean },
    onUpdate: (update: ClientAllocsUpdate) => void,
  ): AllocWatch {
    const call: ClientReadableStream<ClientAllocsUpdate__Output> = this.client.nodeGetClientAllocs(request);
    let cancelled = false;
    const closed = new Promise<void>((resolve, reject) => {
      call.on("data", (message: ClientAllocsUpdate__Output) => {
        onUpdate(allocsUpdateFromProto(message));
      });
      call.on("error", (error: GrpcErrorLike) => {
        if (cancelled) resolve();
        else reject(fromGrpcError(error));
      });
      call.on("end", () => resolve());
    });
    return {
      cancel: () => {
        cancelled = true;
        call.cancel();
      },
      closed,
    };
  }

  nodeList(query: QueryOptions): Promise<QueryResult<Node[]>> {
    return this.list<Node>(this.client.nodeList, query);
  }

  nodeGet(id: string, query: QueryOptions): Promise<QueryResult<Node | undefined>> {
    return this.get<Node>(this.client.nodeGet, id, query);
  }

  // ── allocations ──

  async allocClientUpdate(allocs: AllocClientFields[], nodeSecrets: Record<string, string>): Promise<number> {
    return (
      await this.unary<P.AllocClientUpdateRequest, P.WriteResponse__Output>(this.client.allocClientUpdate, {
        allocs: packValue(allocs),
        nodeSecrets,
      })
    ).index;
  }

  allocList(query: QueryOptions): Promise<QueryResult<Allocation[]>> {
    return this.list<Allocation>(this.client.allocList, query);
  }

  allocGet(id: string, query: QueryOptions): Promise<QueryResult<Allocation | undefined>> {
    return this.get<Allocation>(this.client.allocGet, id, query);
  }

  async allocStop(allocId: string): Promise<EvalWriteResult> {
    return evalWriteFromProto(
      await this.unary<AllocStopRequest, EvalWriteResponse__Output>(this.client.allocStop, { allocId }),
    );
  }

  // ── jobs ──

  async jobRegister(job: Job, options: JobRegisterOptions): Promise<JobRegisterResult> {
    const res = await this.unary<P.JobRegisterRequest, P.JobRegisterResponse__Output>(
      this.client.jobRegister,
      {
        job: packValue(job),
        enforceIndex: options.enforceIndex ?? false,
        jobModifyIndex: options.jobModifyIndex ?? 0,
      },
    );
    return { ...res };
  }

  async jobDeregister(namespace: string, jobId: string, purge: boolean): Promise<JobRegisterResult> {
    const res = await this.unary<P.JobDeregisterRequest, P.JobRegisterResponse__Output>(
      this.client.jobDeregister,
      { namespace, jobId, purge },
    );
    return { ...res };
  }

  async jobDispatch(
    namespace: string,
    jobId: string,
    payload: Uint8Array,
    meta: Record<string, string>,
  ): Promise<DispatchResult> {
    const res = await this.unary<P.JobDispatchRequest, P.JobDispatchResponse__Output>(
      this.client.jobDispatch,
      { namespace, jobId, payload: Buffer.from(payload), meta },
    );
    return {
      DispatchedJobID: res.dispatchedJobId,
      EvalID: res.evalId,
      EvalCreateIndex: res.evalCreateIndex,
      JobCreateIndex: res.jobCreateIndex,
    };
  }

  jobList(query: QueryOptions): Promise<QueryResult<Job[]>> {
    return this.list<Job>(this.client.jobList, query);
  }

  jobGet(id: string, query: QueryOptions): Promise<QueryResult<Job | undefined>> {
    return this.get<Job>(this.client.jobGet, id, query);
  }

  async jobAllocations(id: string, query: QueryOptions): Promise<QueryResult<Allocation[]>> {
    const res = await this.related<Allocation[]>(id, "allocations", query);
    return { value: res.value ?? [], meta: res.meta };
  }

  async jobEvaluations(id: string, query: QueryOptions): Promise<QueryResult<Evaluation[]>> {
    const res = await this.related<Evaluation[]>(id, "evaluations", query);
    return { value: res.value ?? [], meta: res.meta };
  }

  jobSummary(id: string, query: QueryOptions): Promise<QueryResult<JobSummary | undefined>> {
    return this.related<JobSummary>(id, "summary", query);
  }

  async jobVersions(id: string, query: QueryOptions): Promise<QueryResult<Job[]>> {
    const res = await this.related<Job[]>(id, "versions", query);
    return { value: res.value ?? [], meta: res.meta };
  }

  async jobDeployments(id: string, query: QueryOptions): Promise<QueryResult<Deployment[]>> {
    const res = await this.related<Deployment[]>(id, "deployments", query);
    return { value: res.value ?? [], meta: res.meta };
  }

  jobLatestDeployment(id: string, query: QueryOptions): Promise<QueryResult<Deployment | undefined>> {
    return this.related<Deployment>(id, "deployment", query);
  }

  jobScaleStatus(id: string, query: QueryOptions): Promise<QueryResult<JobScaleStatus | undefined>> {
    return this.related<JobScaleStatus>(id, "scale", query);
  }

  async jobRevert(
    namespace: string,
    jobId: string,
    version: number,
    enforcePrior: number | undefined,
  ): Promise<JobRegisterResult> {
    const res = await this.unary<JobRevertRequest, P.JobRegisterResponse__Output>(this.client.jobRevert, {
      namespace,
      jobId,
      jobVersion: version,
      hasEnforcePriorVersion: enforcePrior !== undefined,
      enforcePriorVersion: enforcePrior ?? 0,
    });
    return { ...res };
  }

  async jobEvaluate(namespace: string, jobId: string): Promise<JobRegisterResult> {
    const res = await this.unary<JobEvaluateRequest, P.JobRegisterResponse__Output>(this.client.jobEvaluate, {
      namespace,
      jobId,
    });
    return { ...res };
  }

  async jobPeriodicForce(namespace: string, jobId: string): Promise<JobRegisterResult> {
    const res = await this.unary<JobEvaluateRequest, P.JobRegisterResponse__Output>(
      this.client.jobPeriodicForce,
      { namespace, jobId },
    );
    return { ...res };
  }

  async jobScale(request: JobScaleRequest): Promise<JobRegisterResult> {
    const res = await this.unary<JobScaleRequestProto, P.JobRegisterResponse__Output>(this.client.jobScale, {
      namespace: request.namespace,
      jobId: request.jobId,
      group: request.group,
      count: request.count,
      enforceIndex: request.enforceIndex ?? false,
      jobModifyIndex: request.jobModifyIndex ?? 0,
    });
    return { ...res };
  }

  async jobPlan(job: Job, options: { diff: boolean }): Promise<JobPlanResult> {
    const res = await this.unary<P.JobPlanRequest, P.JobPlanResponse__Output>(this.client.jobPlan, {
      job: packValue(job),
      diff: options.diff,
    });
    return unpackValue<JobPlanResult>(res.result);
  }

  async jobStability(
    namespace: string,
    jobId: string,
    version: number,
    stable: boolean,
  ): Promise<JobStabilityResult> {
    const res = await this.unary<P.JobStabilityRequest, P.JobStabilityResponse__Output>(
      this.client.jobStability,
      { namespace, jobId, jobVersion: version, stable },
    );
    return { jobModifyIndex: res.jobModifyIndex, index: res.index };
  }

  // ── deployments ──

  deploymentList(query: QueryOptions): Promise<QueryResult<Deployment[]>> {
    return this.list<Deployment>(this.client.deploymentList, query);
  }

  deploymentGet(id: string, query: QueryOptions): Promise<QueryResult<Deployment | undefined>> {
    return this.get<Deployment>(this.client.deploymentGet, id, query);
  }

  async deploymentUpdate(deploymentId: string, change: DeploymentAction): Promise<EvalWriteResult> {
    return evalWriteFromProto(
      await this.unary<DeploymentUpdateRequest, EvalWriteResponse__Output>(
        this.client.deploymentUpdate,
        deploymentActionToProto(deploymentId, change),
      ),
    );
  }

  // ── evaluations ──

  evalList(query: QueryOptions): Promise<QueryResult<Evaluation[]>> {
    return this.list<Evaluation>(this.client.evalList, query);
  }

  evalGet(id: string, query: QueryOptions): Promise<QueryResult<Evaluation | undefined>> {
    return this.get<Evaluation>(this.client.evalGet, id, query);
  }

  // ── scheduler workers ──

  async evalDequeue(
    schedulers: readonly SchedulerType[],
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<DequeueResult> {
    const res = await this.unary<P.EvalDequeueRequest, P.EvalDequeueResponse__Output>(
      this.client.evalDequeue,
      { schedulers: [...schedulers], timeoutMs },
      timeoutMs,
      signal,
    );
    return { eval: unpackOptional<Evaluation>(res.eval), token: res.token, waitIndex: res.waitIndex };
  }

  async evalAck(evalId: string, token: string): Promise<void> {
    await this.unary<P.EvalAckRequest, P.Empty__Output>(this.client.evalAck, { evalId, token });
  }

  async evalNack(evalId: string, token: string): Promise<void> {
    await this.unary<P.EvalAckRequest, P.Empty__Output>(this.client.evalNack, { evalId, token });
  }

  async evalUpsert(evals: Evaluation[], token: string, reblock: boolean): Promise<number> {
    return (
      await this.unary<P.EvalUpsertRequest, P.WriteResponse__Output>(this.client.evalUpsert, {
        evals: packValue(evals),
        token,
        reblock,
      })
    ).index;
  }

  async planSubmit(plan: Plan): Promise<PlanResult> {
    const res = await this.unary<P.PlanSubmitRequest, P.PlanSubmitResponse__Output>(
      this.client.planSubmit,
      { plan: packValue(plan) },
      PLAN_SUBMIT_EXTRA_MS,
    );
    return unpackValue<PlanResult>(res.result);
  }

  async gcCommit(request: GcRequest, evalId: string, token: string): Promise<number> {
    const res = await this.unary<P.GcCommitRequest, P.WriteResponse__Output>(this.client.gcCommit, {
      request: packValue(request),
      evalId,
      token,
    });
    return res.index;
  }

  // ── status ──

  // ── operator ──

  async schedulerGetConfig(query: QueryOptions): Promise<QueryResult<SchedulerConfiguration>> {
    const res = await this.get<SchedulerConfiguration>(this.client.schedulerGetConfig, "", query);
    if (res.value === undefined) throw new Error("SchedulerGetConfig answered no configuration");
    return { value: res.value, meta: res.meta };
  }

  async schedulerSetConfig(
    config: SchedulerConfiguration,
    cas: number | undefined,
  ): Promise<SchedulerSetConfigResult> {
    const res = await this.unary<P.SchedulerSetConfigRequest, P.SchedulerSetConfigResponse__Output>(
      this.client.schedulerSetConfig,
      { config: packValue(config), hasCas: cas !== undefined, cas: cas ?? 0 },
    );
    return { updated: res.updated, index: res.index };
  }

  async systemGc(): Promise<void> {
    await this.unary<P.Empty, P.Empty__Output>(this.client.systemGc, {});
  }

  async statusLeader(): Promise<{ leaderId: string; leaderRpcAddress: string }> {
    const res = await this.unary<P.Empty, P.StatusLeaderResponse__Output>(this.client.statusLeader, {});
    return { leaderId: res.leaderId, leaderRpcAddress: res.leaderRpcAddress };
  }

  async statusPeers(): Promise<ServerAddress[]> {
    const res = await this.unary<P.Empty, P.StatusPeersResponse__Output>(this.client.statusPeers, {});
    return res.peers.map((p) => ({ id: p.id, rpcAddress: p.rpcAddress }));
  }

  // ── variables ──

  async varGet(namespace: string, path: string, query: QueryOptions): Promise<VarResult> {
    const res = await this.unary<P.VarGetRequest, P.VarResponse__Output>(
      this.client.varGet,
      { namespace, path, query: queryToProto(query) },
      query.maxWaitMs ?? 0,
    );
    return varFromProto(res);
  }

  async varPut(
    namespace: string,
    path: string,
    items: Record<string, string>,
    casIndex: number | undefined,
  ): Promise<VarResult> {
    const res = await this.unary<P.VarPutRequest, P.VarResponse__Output>(this.client.varPut, {
      namespace,
      path,
      items,
      hasCas: casIndex !== undefined,
      casIndex: casIndex ?? 0,
    });
    return varFromProto(res);
  }

  async varDelete(namespace: string, path: string, casIndex: number | undefined): Promise<VarResult> {
    const res = await this.unary<P.VarDeleteRequest, P.VarResponse__Output>(this.client.varDelete, {
      namespace,
      path,
      hasCas: casIndex !== undefined,
      casIndex: casIndex ?? 0,
    });
    return varFromProto(res);
  }

  varList(query: QueryOptions): Promise<QueryResult<VariableMetadata[]>> {
    return this.list<VariableMetadata>(this.client.varList, query);
  }

  // ── namespaces ──

  namespaceList(query: QueryOptions): Promise<QueryResult<Namespace[]>> {
    return this.list<Namespace>(this.client.namespaceList, query);
  }

  namespaceGet(name: string, query: QueryOptions): Promise<QueryResult<Namespace | undefined>> {
    return this.get<Namespace>(this.client.namespaceGet, name, query);
  }

  async namespaceUpsert(namespaces: NamespaceSpec[]): Promise<number> {
    const res = await this.unary<P.NamespaceUpsertRequest, P.WriteResponse__Output>(
      this.client.namespaceUpsert,
      { namespaces: packValue(namespaces) },
    );
    return res.index;
  }

  async namespaceDelete(name: string): Promise<number> {
    const res = await this.unary<P.NamespaceDeleteRequest, P.WriteResponse__Output>(
      this.client.namespaceDelete,
      { name },
    );
    return res.index;
  }

  // ── ACLs: one read and one write method, the operation named by `op` ──

  private async acl<T>(
    write: boolean,
    op: string,
    body: Record<string, unknown>,
    query: QueryOptions = {},
  ): Promise<{ value: T; meta: QueryMeta }> {
    const res = await this.unary<P.AclRequest, P.AclResponse__Output>(
      write ? this.client.aclWrite : this.client.aclRead,
      { op, body: packValue(body), query: queryToProto(query) },
      query.maxWaitMs ?? 0,
    );
    return { value: unpackValue<{ value: T }>(res.body).value, meta: metaFromProto(res.meta) };
  }

  async aclBootstrap(): Promise<AclTokenView> {
    return (await this.acl<AclTokenView>(true, "bootstrap", {})).value;
  }
  async aclPolicyUpsert(policies: AclPolicyInput[]): Promise<number> {
    return (await this.acl<number>(true, "policy-upsert", { policies })).value;
  }
  async aclPolicyDelete(names: string[]): Promise<number> {
    return (await this.acl<number>(true, "policy-delete", { names })).value;
  }
  aclPolicyList(query: QueryOptions): Promise<QueryResult<AclPolicy[]>> {
    return this.acl<AclPolicy[]>(false, "policy-list", {}, query);
  }
  async aclPolicyGet(name: string, query: QueryOptions): Promise<QueryResult<AclPolicy | undefined>> {
    const res = await this.acl<AclPolicy | null>(false, "policy-get", { name }, query);
    return { value: res.value ?? undefined, meta: res.meta };
  }
  async aclTokenUpsert(tokens: AclTokenInput[]): Promise<AclTokenView[]> {
    return (await this.acl<AclTokenView[]>(true, "token-upsert", { tokens })).value;
  }
  async aclTokenDelete(accessorIds: string[]): Promise<number> {
    return (await this.acl<number>(true, "token-delete", { accessorIds })).value;
  }
  aclTokenList(query: QueryOptions): Promise<QueryResult<AclTokenView[]>> {
    return this.acl<AclTokenView[]>(false, "token-list", {}, query);
  }
  async aclTokenGet(accessorId: string, query: QueryOptions): Promise<QueryResult<AclTokenView | undefined>> {
    const res = await this.acl<AclTokenView | null>(false, "token-get", { accessorId }, query);
    return { value: res.value ?? undefined, meta: res.meta };
  }
  async aclTokenSelf(): Promise<AclTokenView> {
    return (await this.acl<AclTokenView>(false, "token-self", {})).value;
  }
  async aclResolve(): Promise<ResolvedAcl> {
    return (await this.acl<ResolvedAcl>(false, "resolve", {})).value;
  }
  async aclAuthorizeAlloc(allocId: string, capability: string): Promise<void> {
    await this.acl<null>(false, "authorize-alloc", { allocId, capability });
  }
}
