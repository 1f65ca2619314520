import type {
  handleServerStreamingCall,
  handleUnaryCall,
  Server,
  ServerUnaryCall,
  ServerWritableStream,
  sendUnaryData,
} from "@grpc/grpc-js";
import { type Metadata, status } from "@grpc/grpc-js";
import { ValidationError } from "../../common/errors.js";
import { GrpcServerMetrics } from "../../common/grpc-metrics.js";
import type { Logger } from "../../common/log.js";
import type { AgentMetrics } from "../../common/metrics.js";
import { callRequestId, callToken, withRequestId, withToken } from "../../common/request-context.js";
import type {
  DrainStrategy,
  Evaluation,
  Job,
  NamespaceSpec,
  Node,
  NodeStatus,
  Plan,
  SchedulerConfiguration,
  SchedulerType,
  SchedulingEligibility,
} from "../../fsm/index.js";
import type { AllocStopRequest__Output } from "../../gen/proto/drover/server/AllocStopRequest.js";
import type { DeploymentUpdateRequest__Output } from "../../gen/proto/drover/server/DeploymentUpdateRequest.js";
import type { EvalWriteResponse } from "../../gen/proto/drover/server/EvalWriteResponse.js";
import type { JobEvaluateRequest__Output } from "../../gen/proto/drover/server/JobEvaluateRequest.js";
import type { JobRevertRequest__Output } from "../../gen/proto/drover/server/JobRevertRequest.js";
import type { JobScaleRequest__Output } from "../../gen/proto/drover/server/JobScaleRequest.js";
import { EMPTY, packPackedArray, packValue, unpackOptional, unpackValue } from "../../rpc/codec.js";
import type * as P from "../../rpc/proto-types.js";
import { FORWARDED_KEY, toGrpcError } from "../../rpc/rpc-status.js";
import type {
  AclPolicyInput,
  AclTokenInput,
  AllocClientFields,
  DeploymentAction,
  EvalWriteResult,
  QueryMeta,
  QueryOptions,
  QueryResult,
  ServerApi,
} from "../../rpc/server-api.js";
import { serverProto } from "../../rpc/server-client.js";
import type { GcRequest } from "../../scheduler/schedule-types.js";
import { type Admission, admitCall, type GrpcAclOptions } from "./grpc-acl.js";

function queryFromProto(q: P.QueryOptions__Output | null): QueryOptions {
  if (q === null) return {};
  const out: QueryOptions = { stale: q.stale };
  if (q.minIndex > 0) {
    out.minIndex = q.minIndex;
    out.maxWaitMs = q.maxWaitMs;
  }
  if (q.namespace !== "") out.namespace = q.namespace;
  if (q.prefix !== "") out.prefix = q.prefix;
  return out;
}

function metaToProto(meta: QueryMeta): P.QueryMeta {
  return { index: meta.index, knownLeader: meta.knownLeader, lastContactMs: meta.lastContactMs };
}

function evalWriteToProto(res: EvalWriteResult): EvalWriteResponse {
  return {
    evalId: res.evalId,
    evalCreateIndex: res.evalCreateIndex,
    modifyIndex: res.modifyIndex,
    index: res.index,
  };
}

/** The typed change a DeploymentUpdateRequest carries. */
export function deploymentActionFromProto(req: DeploymentUpdateRequest__Output): DeploymentAction {
  switch (req.action) {
    case "promote":
      return { action: "promote", all: req.all, groups: req.groups };
    case "fail":
    case "pause":
    case "resume":
      return { action: req.action };
    case "alloc-health":
      return { action: "alloc-health", healthy: req.healthyAllocIds, unhealthy: req.unhealthyAllocIds };
    default:
      throw new ValidationError(`unknown action ${JSON.stringify(req.action)}`, "DeploymentUpdate");
  }
}

/** JobRelated's answers: what = the ServerApi read it runs. */
function jobRelated(
  api: ServerApi,
  what: string,
  id: string,
  q: QueryOptions,
): Promise<QueryResult<unknown>> | undefined {
  switch (what) {
    case "allocations":
      return api.jobAllocations(id, q);
    case "evaluations":
      return api.jobEvaluations(id, q);
    case "summary":
      return api.jobSummary(id, q);
    case "versions":
      return api.jobVersions(id, q);
    case "deployments":
      return api.jobDeployments(id, q);
    case "deployment":
      return api.jobLatestDeployment(id, q);
    case "scale":
      return api.jobScaleStatus(id, q);
    default:
      return undefined;
  }
}

/** The arguments of an ACL operation: a packed object (empty bytes: none). */
function aclBody(bytes: Uint8Array): Record<string, unknown> {
  if (bytes.length === 0) return {};
  const body = unpackValue<unknown>(bytes);
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new ValidationError("the body must be an object", "AclRequest");
  }
  return body as Record<string, unknown>;
}

function stringArg(body: Record<string, unknown>, name: string): string {
  const value = body[name];
  if (typeof value !== "string") throw new ValidationError(`${name} must be a string`, "AclRequest");
  return value;
}

function arrayArg<T>(body: Record<string, unknown>, name: string): T[] {
  const value = body[name];
  if (!Array.isArray(value)) throw new ValidationError(`${name} must be an array`, "AclRequest");
  return value as T[];
}

const NO_META: QueryMeta = { index: 0, knownLeader: true, lastContactMs: 0 };

async function aclRead(
  api: ServerApi,
  op: string,
  body: Record<string, unknown>,
  q: QueryOptions,
): Promise<QueryResult<unknown>> {
  switch (op) {
    case "policy-list":
      return api.aclPolicyList(q);
    case "policy-get":
      return api.aclPolicyGet(stringArg(body, "name"), q);
    case "token-list":
      return api.aclTokenList(q);
    case "token-get":
      return api.aclTokenGet(stringArg(body, "accessorId"), q);
    case "token-self":
      return { value: await api.aclTokenSelf(), meta: NO_META };
    case "resolve":
      return { value: await api.aclResolve(), meta: NO_META };
    case "authorize-alloc":
      await api.aclAuthorizeAlloc(stringArg(body, "allocId"), stringArg(body, "capability"));
      return { value: null, meta: NO_META };
    default:
      throw new ValidationError(`unknown ACL read ${JSON.stringify(op)}`, "AclRead");
  }
}

async function aclWrite(api: ServerApi, op: string, body: Record<string, unknown>): Promise<unknown> {
  switch (op) {
    case "bootstrap":
      return api.aclBootstrap();
    case "policy-upsert":
      return api.aclPolicyUpsert(arrayArg<AclPolicyInput>(body, "policies"));
    case "policy-delete":
      return api.aclPolicyDelete(arrayArg<string>(body, "names"));
    case "token-upsert":
      return api.aclTokenUpsert(arrayArg<AclTokenInput>(body, "tokens"));
    case "token-delete":
      return api.aclTokenDelete(arrayArg<string>(body, "accessorIds"));
    default:
      throw new ValidationError(`unknown ACL write ${JSON.stringify(op)}`, "AclWrite");
  }
}

/**
 * Each stored job version packed once: a job is sent to every node that runs one of its
 * allocations (a C1M job to ~1,000 streams), and packing it for each of them made the alloc
 * watch cost O(nodes × jobs). Stored jobs are immutable, so the object identifies the bytes.
 */
const packedJobs = new WeakMap<Job, Buffer>();

function packedJob(job: Job): Buffer {
  let bytes = packedJobs.get(job);
  if (bytes === undefined) {
    // A copy: packValue's result is a view into msgpackr's shared output buffer (often several
    // MB after a large push), which a cached view would keep alive for as long as the job.
    bytes = Buffer.from(packValue(job));
    packedJobs.set(job, bytes);
  }
  return bytes;
}

/**
 * Serves a ServerApi (the local endpoints) as the `drover.server.Server` gRPC service on the
 * agent's gRPC server, next to the Raft transport. Every handler answers errors as gRPC statuses
 * (rpc-status.ts), never throws into grpc-js.
 */
function serverHandlers(api: ServerApi, logger: Logger): P.ServerHandlers {
  /**
   * `signal` aborts when the caller goes away (cancels, or its connection drops, as when its
   * process dies): a long wait on its behalf must end then, not hold what it was waiting for.
   */
  const unary = <Req, Res>(
    fn: (req: Req, signal: AbortSignal) => Promise<Res>,
  ): handleUnaryCall<Req, Res> => {
    return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
      const gone = new AbortController();
      call.once("cancelled", () => gone.abort());
      let promise: Promise<Res>;
      try {
        promise = fn(call.request, gone.signal);
      } catch (error) {
        promise = Promise.reject(error);
      }
      promise.then(
        (value) => callback(null, value),
        (error: unknown) => {
          const grpcError = toGrpcError(error);
          if (grpcError.details !== undefined && grpcError.code === status.INTERNAL) {
            logger.error({ err: error }, "rpc: internal error");
          }
          callback(grpcError, null);
        },
      );
    };
  };

  const list = <T>(fn: (q: QueryOptions) => Promise<{ value: T[]; meta: QueryMeta }>) =>
    unary<P.ListRequest__Output, P.ListResponse>(async (req) => {
      const res = await fn(queryFromProto(req.query));
      return { items: packValue(res.value), meta: metaToProto(res.meta) };
    });

  const get = <T>(fn: (id: string, q: QueryOptions) => Promise<{ value: T | undefined; meta: QueryMeta }>) =>
    unary<P.GetRequest__Output, P.GetResponse>(async (req) => {
      const res = await fn(req.id, queryFromProto(req.query));
      return {
        found: res.value !== undefined,
        item: res.value === undefined ? EMPTY : packValue(res.value),
        meta: metaToProto(res.meta),
      };
    });

  const nodeUpdate = (res: Awaited<ReturnType<ServerApi["nodeRegister"]>>): P.NodeUpdateResponse => ({
    ...res,
  });

  const watch: handleServerStreamingCall<P.NodeGetClientAllocsRequest__Output, P.ClientAllocsUpdate> = (
    call: ServerWritableStream<P.NodeGetClientAllocsRequest__Output, P.ClientAllocsUpdate>,
  ) => {
    const req = call.request;
    // grpc-js sends a stream's status when 'error' is emitted on it; destroy() would drop the
    // stream without a status and leave the client waiting forever.
    const fail = (error: unknown): void => {
      call.emit("error", Object.assign(new Error(String(error)), toGrpcError(error)));
    };
    try {
      const handle = api.watchClientAllocs(
        { nodeId: req.nodeId, secretId: req.secretId, minIndex: req.minIndex, stale: req.stale },
        // Settles once the message left for the client (HTTP/2 flow control took it), so the
        // watch holds further pushes back instead of piling them up in the stream's buffer.
        (update) =>
          new Promise<void>((resolve) => {
            call.write(
              {
                index: update.index,
                full: update.full,
                allocs: packValue(update.allocs),
                jobs: update.jobs.length === 0 ? EMPTY : packPackedArray(update.jobs.map(packedJob)),
                removedAllocIds: update.removedAllocIds,
              },
              () => resolve(),
            );
          }),
      );
      call.on("cancelled", () => handle.cancel());
      call.on("close", () => handle.cancel());
      handle.closed.then(
        () => call.end(),
        (error: unknown) => fail(error),
      );
    } catch (error) {
      fail(error);
    }
  };

  const handlers: P.ServerHandlers = {
    NodeRegister: unary(async (req: P.NodeRegisterRequest__Output) =>
      nodeUpdate(await api.nodeRegister(unpackValue<Node>(req.node))),
    ),
    NodeUpdateStatus: unary(async (req: P.NodeUpdateStatusRequest__Output) =>
      nodeUpdate(await api.nodeUpdateStatus(req.nodeId, req.secretId, req.status as NodeStatus)),
    ),
    NodeHeartbeat: unary(async (req: P.NodeHeartbeatRequest__Output) =>
      nodeUpdate(await api.nodeHeartbeat(req.nodeId, req.secretId)),
    ),
    NodeDeregister: unary(async (req: P.NodeDeregisterRequest__Output) => ({
      index: await api.nodeDeregister(req.nodeId),
    })),
    NodeUpdateDrain: unary(async (req: P.NodeUpdateDrainRequest__Output) => ({
      index: await api.nodeUpdateDrain(
        req.nodeId,
        unpackOptional<DrainStrategy>(req.drainStrategy) ?? null,
        req.markEligible,
      ),
    })),
    NodeUpdateEligibility: unary(async (req: P.NodeUpdateEligibilityRequest__Output) => ({
      index: await api.nodeUpdateEligibility(req.nodeId, req.eligibility as SchedulingEligibility),
    })),
    NodeGetClientAllocs: watch,
    NodeList: list((q) => api.nodeList(q)),
    NodeGet: get((id, q) => api.nodeGet(id, q)),

    AllocClientUpdate: unary(async (req: P.AllocClientUpdateRequest__Output) => ({
      index: await api.allocClientUpdate(unpackValue<AllocClientFields[]>(req.allocs), req.nodeSecrets),
    })),
    AllocList: list((q) => api.allocList(q)),
    AllocGet: get((id, q) => api.allocGet(id, q)),
    AllocStop: unary(async (req: AllocStopRequest__Output) =>
      evalWriteToProto(await api.allocStop(req.allocId)),
    ),

    JobRegister: unary(async (req: P.JobRegisterRequest__Output) => ({
      ...(await api.jobRegister(unpackValue<Job>(req.job), {
        enforceIndex: req.enforceIndex,
        jobModifyIndex: req.jobModifyIndex,
      })),
    })),
    JobDeregister: unary(async (req: P.JobDeregisterRequest__Output) => ({
      ...(await api.jobDeregister(req.namespace, req.jobId, req.purge)),
    })),
    JobDispatch: unary(async (req: P.JobDispatchRequest__Output) => {
      const res = await api.jobDispatch(req.namespace, req.jobId, req.payload, req.meta);
      return {
        dispatchedJobId: res.DispatchedJobID,
        evalId: res.EvalID,
        evalCreateIndex: res.EvalCreateIndex,
        jobCreateIndex: res.JobCreateIndex,
      };
    }),
    JobList: list((q) => api.jobList(q)),
    JobGet: get((id, q) => api.jobGet(id, q)),
    JobRelated: unary(async (req: P.JobRelatedRequest__Output) => {
      const res = await jobRelated(api, req.what, req.jobId, queryFromProto(req.query));
      if (res === undefined) throw new Error(`JobRelated: unknown what ${JSON.stringify(req.what)}`);
      return {
        found: res.value !== undefined,
        item: res.value === undefined ? EMPTY : packValue(res.value),
        meta: metaToProto(res.meta),
      };
    }),
    JobRevert: unary(async (req: JobRevertRequest__Output) => ({
      ...(await api.jobRevert(
        req.namespace,
        req.jobId,
        req.jobVersion,
        req.hasEnforcePriorVersion ? req.enforcePriorVersion : undefined,
      )),
    })),
    JobEvaluate: unary(async (req: JobEvaluateRequest__Output) => ({
      ...(await api.jobEvaluate(req.namespace, req.jobId)),
    })),
    JobPeriodicForce: unary(async (req: JobEvaluateRequest__Output) => ({
      ...(await api.jobPeriodicForce(req.namespace, req.jobId)),
    })),
    JobPlan: unary(async (req: P.JobPlanRequest__Output) => ({
      result: packValue(await api.jobPlan(unpackValue<Job>(req.job), { diff: req.diff })),
    })),
    JobStability: unary(async (req: P.JobStabilityRequest__Output) => ({
      ...(await api.jobStability(req.namespace, req.jobId, req.jobVersion, req.stable)),
    })),
    JobScale: unary(async (req: JobScaleRequest__Output) => ({
      ...(await api.jobScale({
        namespace: req.namespace,
        jobId: req.jobId,
        group: req.group,
        count: req.count,
        enforceIndex: req.enforceIndex,
        jobModifyIndex: req.jobModifyIndex,
      })),
    })),

    DeploymentList: list((q) => api.deploymentList(q)),
    DeploymentGet: get((id, q) => api.deploymentGet(id, q)),
    DeploymentUpdate: unary(async (req: DeploymentUpdateRequest__Output) =>
      evalWriteToProto(await api.deploymentUpdate(req.deploymentId, deploymentActionFromProto(req))),
    ),

    EvalList: list((q) => api.evalList(q)),
    EvalGet: get((id, q) => api.evalGet(id, q)),

    EvalDequeue: unary(async (req: P.EvalDequeueRequest__Output, callerGone) => {
      // A worker whose server died while it waited here must not be handed an eval: the eval
      // would sit unacked until the broker's nack timeout (a minute) before anyone else got it.
      const res = await api.evalDequeue(req.schedulers as SchedulerType[], req.timeoutMs, callerGone);
      if (res.eval !== undefined && callerGone.aborted) {
        await api.evalNack(res.eval.ID, res.token);
        throw new Error("the worker went away before the eval reached it");
      }
      return {
        eval: res.eval === undefined ? EMPTY : packValue(res.eval),
        token: res.token,
        waitIndex: res.waitIndex,
      };
    }),
    EvalAck: unary(async (req: P.EvalAckRequest__Output) => {
      await api.evalAck(req.evalId, req.token);
      return {};
    }),
    EvalNack: unary(async (req: P.EvalAckRequest__Output) => {
      await api.evalNack(req.evalId, req.token);
      return {};
    }),
    EvalUpsert: unary(async (req: P.EvalUpsertRequest__Output) => ({
      index: await api.evalUpsert(unpackValue<Evaluation[]>(req.evals), req.token, req.reblock),
    })),
    PlanSubmit: unary(async (req: P.PlanSubmitRequest__Output) => {
      const result = await api.planSubmit(unpackValue<Plan>(req.plan));
      return { result: packValue(result), index: result.AllocIndex };
    }),

    GcCommit: unary(async (req: P.GcCommitRequest__Output) => ({
      index: await api.gcCommit(unpackValue<GcRequest>(req.request), req.evalId, req.token),
    })),

    SchedulerGetConfig: get((_id, q) => api.schedulerGetConfig(q)),
    SchedulerSetConfig: unary(async (req: P.SchedulerSetConfigRequest__Output) => ({
      ...(await api.schedulerSetConfig(
        unpackValue<SchedulerConfiguration>(req.config),
        req.hasCas ? req.cas : undefined,
      )),
    })),
    SystemGc: unary(async () => {
      await api.systemGc();
      return {};
    }),

    StatusLeader: unary(async () => api.statusLeader()),
    StatusPeers: unary(async () => ({ peers: await api.statusPeers() })),

    VarGet: unary(async (req: P.VarGetRequest__Output) => {
      const res = await api.varGet(req.namespace, req.path, queryFromProto(req.query));
      return {
        ...res,
        variable: res.variable === undefined ? EMPTY : packValue(res.variable),
        meta: metaToProto(res.meta),
      };
    }),
    VarPut: unary(async (req: P.VarPutRequest__Output) => {
      const res = await api.varPut(req.namespace, req.path, req.items, req.hasCas ? req.casIndex : undefined);
      return {
        ...res,
        variable: res.variable === undefined ? EMPTY : packValue(res.variable),
        meta: metaToProto(res.meta),
      };
    }),
    VarDelete: unary(async (req: P.VarDeleteRequest__Output) => {
      const res = await api.varDelete(req.namespace, req.path, req.hasCas ? req.casIndex : undefined);
      return {
        ...res,
        variable: res.variable === undefined ? EMPTY : packValue(res.variable),
        meta: metaToProto(res.meta),
      };
    }),
    VarList: list((q) => api.varList(q)),

    NamespaceList: list((q) => api.namespaceList(q)),
    NamespaceGet: get((name, q) => api.namespaceGet(name, q)),
    NamespaceUpsert: unary(async (req: P.NamespaceUpsertRequest__Output) => ({
      index: await api.namespaceUpsert(unpackValue<NamespaceSpec[]>(req.namespaces)),
    })),
    NamespaceDelete: unary(async (req: P.NamespaceDeleteRequest__Output) => ({
      index: await api.namespaceDelete(req.name),
    })),

    AclRead: unary(async (req: P.AclRequest__Output) => {
      const res = await aclRead(api, req.op, aclBody(req.body), queryFromProto(req.query));
      return { body: packValue({ value: res.value ?? null }), meta: metaToProto(res.meta) };
    }),
    AclWrite: unary(async (req: P.AclRequest__Output) => {
      const value = await aclWrite(api, req.op, aclBody(req.body));
      return { body: packValue({ value }), meta: null };
    }),
  };
  return handlers;
}

type AnyHandler = (call: { metadata: Metadata; request?: unknown }, ...rest: unknown[]) => void;

/**
 * With ACLs on, every call is checked against the method table (grpc-acl.ts) before it is served:
 * a refusal is answered PERMISSION_DENIED without running the handler; an admitted call's answer
 * passes the table's filter. Unary handlers answer through their callback (rest[0]); the one
 * streaming method (the node's alloc watch) is authenticated by its node secret.
 */
function guarded(name: string, handler: AnyHandler, acl: GrpcAclOptions): AnyHandler {
  return (call, ...rest) => {
    const request = (call.request ?? {}) as Record<string, unknown>;
    const admission = admitCall(acl, name, request, call.metadata);
    // Asynchronous only for a token this server does not know yet (the leader resolves it).
    if (admission instanceof Promise) void admission.then((settled) => serveAdmitted(settled, call, rest));
    else serveAdmitted(admission, call, rest);
  };

  function serveAdmitted(
    admission: Admission,
    call: { metadata: Metadata; request?: unknown },
    rest: unknown[],
  ): void {
    const callback = rest[0] as ((error: unknown, value: unknown) => void) | undefined;
    if (!admission.ok) {
      const error = Object.assign(new Error(admission.error.message), toGrpcError(admission.error));
      if (typeof callback === "function") callback(error, null);
      else (call as unknown as { emit(event: string, error: Error): void }).emit("error", error);
      return;
    }
    const filter = admission.filter;
    if (filter === undefined || typeof callback !== "function") {
      handler(call, ...rest);
      return;
    }
    handler(call, (error: unknown, value: unknown) => {
      if (error !== null || value === null || value === undefined) {
        callback(error, value);
        return;
      }
      try {
        callback(null, filter(value as Record<string, unknown>));
      } catch (refused) {
        callback(Object.assign(new Error((refused as Error).message), toGrpcError(refused)), null);
      }
    });
  }
}

/**
 * Serves the endpoints on `server`. Calls that another server forwarded (FORWARDED_KEY) go to
 * `forwardedApi` — the endpoints' localOnly() view, which never forwards again. A call that
 * carries a request ID (`x-request-id`, sent by the agent that took the HTTP request) is served
 * on behalf of that request: the lines logged about it carry the ID, and a call forwarded on
 * sends it along.
 */
export function addServerService(
  server: Server,
  api: ServerApi,
  logger: Logger,
  forwardedApi: ServerApi = api,
  metrics?: AgentMetrics,
  /** With ACLs on: the state tokens resolve against (each call is checked, grpc-acl.ts). */
  acl?: GrpcAclOptions,
): void {
  const direct = serverHandlers(api, logger) as unknown as Record<string, AnyHandler>;
  const forwarded = serverHandlers(forwardedApi, logger) as unknown as Record<string, AnyHandler>;
  let handlers: Record<string, AnyHandler> = {};
  for (const [name, handler] of Object.entries(direct)) {
    const viaForward = forwarded[name] as AnyHandler;
    const served: AnyHandler = (call, ...rest) => {
      const isForwarded = call.metadata.get(FORWARDED_KEY).length > 0;
      const serve = isForwarded ? viaForward : handler;
      const requestId = callRequestId(call.metadata);
      // The caller's token goes along with whatever the call starts (a call forwarded on).
      const token = callToken(call.metadata);
      if (requestId === undefined) {
        withToken(token, () => serve(call, ...rest));
        return;
      }
      withRequestId(requestId, () =>
        withToken(token, () => {
          if (isForwarded) logger.debug({ method: name }, "rpc: serving a forwarded request");
          serve(call, ...rest);
        }),
      );
    };
    handlers[name] = acl === undefined ? served : guarded(name, served, acl);
  }
  const service = serverProto().drover.server.Server.service;
  if (metrics !== undefined) handlers = GrpcServerMetrics.of(metrics).instrument(service, handlers);
  server.addService(service, handlers as unknown as P.ServerHandlers);
}
