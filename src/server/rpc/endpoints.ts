import type { AllocClientUpdate } from "../../fsm/commands.js";
import type {
  AclPolicy,
  Allocation,
  Deployment,
  DrainStrategy,
  Evaluation,
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
} from "../../fsm/index.js";
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
  QueryOptions,
  QueryResult,
  ResolvedAcl,
  SchedulerSetConfigResult,
  ServerAddress,
  ServerApi,
  VariableMetadata,
  VarResult,
} from "../../rpc/server-api.js";
import type { JobPlanResult } from "../../scheduler/job-plan.js";
import type { GcRequest } from "../../scheduler/schedule-types.js";
import { AclEndpoints } from "./acl-endpoints.js";
import { AllocEndpoints } from "./alloc-endpoints.js";
import { DeploymentEndpoints } from "./deployment-endpoints.js";
import { EndpointContext, type EndpointsOptions } from "./endpoint-context.js";
import { EvalEndpoints } from "./eval-endpoints.js";
import { JobEndpoints } from "./job-endpoints.js";
import { JobLifecycleEndpoints } from "./job-lifecycle-endpoints.js";
import { NamespaceEndpoints } from "./namespace-endpoints.js";
import { NodeEndpoints } from "./node-endpoints.js";
import { OperatorEndpoints } from "./operator-endpoints.js";
import { StatusEndpoints } from "./status-endpoints.js";
import { VarEndpoints } from "./var-endpoints.js";
import type { WriteBatcher } from "./write-batcher.js";

export type { ClusterView, EndpointsOptions, LeaderDuties } from "./endpoint-context.js";

/**
 * The server RPC endpoints: one implementation behind both the gRPC service and the local HTTP
 * API. Writes run on the leader (forwarded from followers by the Forwarder); reads are
 * linearizable by default (forwarded to the leader, which passes a ReadIndex barrier before
 * reading) and served from local state with `stale`; blocking queries wait on the local FSM.
 *
 * Each resource's logic lives in its own module (node-, alloc-, job-, job-lifecycle-, deployment-,
 * eval-, operator-, status-, var- and namespace-endpoints.ts); where a request runs is decided once, by their shared EndpointContext
 * (endpoint-context.ts). This class only composes them into the ServerApi.
 */
export class ServerEndpoints implements ServerApi {
  private readonly nodes: NodeEndpoints;
  private readonly allocs: AllocEndpoints;
  private readonly jobs: JobEndpoints;
  private readonly lifecycle: JobLifecycleEndpoints;
  private readonly deployments: DeploymentEndpoints;
  private readonly evals: EvalEndpoints;
  private readonly operator: OperatorEndpoints;
  private readonly status: StatusEndpoints;
  private readonly vars: VarEndpoints;
  private readonly namespaces: NamespaceEndpoints;
  private readonly acl: AclEndpoints;

  constructor(
    private readonly o: EndpointsOptions,
    shared?: { allocUpdates: WriteBatcher<AllocClientUpdate> },
    /** False for calls another server forwarded here: run locally or answer NotLeader. */
    forwarding = true,
  ) {
    const c = new EndpointContext(o, forwarding);
    this.nodes = new NodeEndpoints(c);
    this.allocs = new AllocEndpoints(c, shared?.allocUpdates);
    this.jobs = new JobEndpoints(c);
    this.lifecycle = new JobLifecycleEndpoints(c);
    this.deployments = new DeploymentEndpoints(c);
    this.evals = new EvalEndpoints(c);
    this.operator = new OperatorEndpoints(c);
    this.status = new StatusEndpoints(c);
    this.vars = new VarEndpoints(c);
    this.namespaces = new NamespaceEndpoints(c);
    this.acl = new AclEndpoints(c);
  }

  /**
   * The same endpoints for calls that were already forwarded once (see FORWARDED_KEY): they run
   * here if this server leads and fail with NotLeader otherwise, so the origin retries.
   */
  localOnly(): ServerEndpoints {
    return new ServerEndpoints(this.o, { allocUpdates: this.allocs.updates }, false);
  }

  /** Stops taking batched writes; resolves once the batch being written (if any) has settled. */
  close(): Promise<void> {
    return this.allocs.updates.close();
  }

  // ── nodes (node-endpoints.ts) ──

  nodeRegister(node: Node): Promise<NodeUpdateResult> {
    return this.nodes.nodeRegister(node);
  }
  nodeUpdateStatus(nodeId: string, secretId: string, status: NodeStatus): Promise<NodeUpdateResult> {
    return this.nodes.nodeUpdateStatus(nodeId, secretId, status);
  }
  nodeHeartbeat(nodeId: string, secretId: string): Promise<NodeUpdateResult> {
    return this.nodes.nodeHeartbeat(nodeId, secretId);
  }
  nodeDeregister(nodeId: string): Promise<number> {
    return this.nodes.nodeDeregister(nodeId);
  }
  nodeUpdateDrain(nodeId: string, drain: DrainStrategy | null, markEligible: boolean): Promise<number> {
    return this.nodes.nodeUpdateDrain(nodeId, drain, markEligible);
  }
  nodeUpdateEligibility(nodeId: string, eligibility: SchedulingEligibility): Promise<number> {
    return this.nodes.nodeUpdateEligibility(nodeId, eligibility);
  }
  nodeList(query: QueryOptions): Promise<QueryResult<Node[]>> {
    return this.nodes.nodeList(query);
  }
  nodeGet(id: string, query: QueryOptions): Promise<QueryResult<Node | undefined>> {
    return this.nodes.nodeGet(id, query);
  }

  // ── allocations (alloc-endpoints.ts) ──

  watchClientAllocs(
    request: { nodeId: string; secretId: string; minIndex: number; stale: boolean },
    onUpdate: (update: ClientAllocsUpdate) => void | Promise<void>,
  ): AllocWatch {
    return this.allocs.watchClientAllocs(request, onUpdate);
  }
  allocClientUpdate(allocs: AllocClientFields[], nodeSecrets: Record<string, string>): Promise<number> {
    return this.allocs.allocClientUpdate(allocs, nodeSecrets);
  }
  allocList(query: QueryOptions): Promise<QueryResult<Allocation[]>> {
    return this.allocs.allocList(query);
  }
  allocGet(id: string, query: QueryOptions): Promise<QueryResult<Allocation | undefined>> {
    return this.allocs.allocGet(id, query);
  }
  allocStop(allocId: string): Promise<EvalWriteResult> {
    return this.lifecycle.allocStop(allocId);
  }

  // ── jobs (job-endpoints.ts) ──

  jobRegister(job: Job, options: JobRegisterOptions): Promise<JobRegisterResult> {
    return this.jobs.jobRegister(job, options);
  }
  jobDeregister(namespace: string, jobId: string, purge: boolean): Promise<JobRegisterResult> {
    return this.jobs.jobDeregister(namespace, jobId, purge);
  }
  jobDispatch(
    namespace: string,
    jobId: string,
    payload: Uint8Array,
    meta: Record<string, string>,
  ): Promise<DispatchResult> {
    return this.jobs.jobDispatch(namespace, jobId, payload, meta);
  }
  jobList(query: QueryOptions): Promise<QueryResult<Job[]>> {
    return this.jobs.jobList(query);
  }
  jobGet(id: string, query: QueryOptions): Promise<QueryResult<Job | undefined>> {
    return this.jobs.jobGet(id, query);
  }
  jobAllocations(id: string, query: QueryOptions): Promise<QueryResult<Allocation[]>> {
    return this.jobs.jobAllocations(id, query);
  }
  jobEvaluations(id: string, query: QueryOptions): Promise<QueryResult<Evaluation[]>> {
    return this.jobs.jobEvaluations(id, query);
  }
  jobSummary(id: string, query: QueryOptions): Promise<QueryResult<JobSummary | undefined>> {
    return this.jobs.jobSummary(id, query);
  }

  // ── versions, revert, evaluate, scale, periodic force (job-lifecycle-endpoints.ts) ──

  jobPlan(job: Job, options: { diff: boolean }): Promise<JobPlanResult> {
    return this.jobs.jobPlan(job, options);
  }

  jobVersions(id: string, query: QueryOptions): Promise<QueryResult<Job[]>> {
    return this.lifecycle.jobVersions(id, query);
  }
  jobDeployments(id: string, query: QueryOptions): Promise<QueryResult<Deployment[]>> {
    return this.lifecycle.jobDeployments(id, query);
  }
  jobLatestDeployment(id: string, query: QueryOptions): Promise<QueryResult<Deployment | undefined>> {
    return this.lifecycle.jobLatestDeployment(id, query);
  }
  jobScaleStatus(id: string, query: QueryOptions): Promise<QueryResult<JobScaleStatus | undefined>> {
    return this.lifecycle.jobScaleStatus(id, query);
  }
  jobRevert(
    namespace: string,
    jobId: string,
    version: number,
    enforcePrior: number | undefined,
  ): Promise<JobRegisterResult> {
    return this.lifecycle.jobRevert(namespace, jobId, version, enforcePrior);
  }
  jobEvaluate(namespace: string, jobId: string): Promise<JobRegisterResult> {
    return this.lifecycle.jobEvaluate(namespace, jobId);
  }
  jobPeriodicForce(namespace: string, jobId: string): Promise<JobRegisterResult> {
    return this.lifecycle.jobPeriodicForce(namespace, jobId);
  }
  jobScale(request: JobScaleRequest): Promise<JobRegisterResult> {
    return this.lifecycle.jobScale(request);
  }
  jobStability(
    namespace: string,
    jobId: string,
    version: number,
    stable: boolean,
  ): Promise<JobStabilityResult> {
    return this.lifecycle.jobStability(namespace, jobId, version, stable);
  }

  // ── deployments (deployment-endpoints.ts) ──

  deploymentList(query: QueryOptions): Promise<QueryResult<Deployment[]>> {
    return this.deployments.deploymentList(query);
  }
  deploymentGet(id: string, query: QueryOptions): Promise<QueryResult<Deployment | undefined>> {
    return this.deployments.deploymentGet(id, query);
  }
  deploymentUpdate(deploymentId: string, change: DeploymentAction): Promise<EvalWriteResult> {
    return this.deployments.deploymentUpdate(deploymentId, change);
  }

  // ── evaluations and the scheduler workers' RPCs (eval-endpoints.ts) ──

  evalList(query: QueryOptions): Promise<QueryResult<Evaluation[]>> {
    return this.evals.evalList(query);
  }
  evalGet(id: string, query: QueryOptions): Promise<QueryResult<Evaluation | undefined>> {
    return this.evals.evalGet(id, query);
  }
  evalDequeue(
    schedulers: readonly SchedulerType[],
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<DequeueResult> {
    return this.evals.evalDequeue(schedulers, timeoutMs, signal);
  }
  evalAck(evalId: string, token: string): Promise<void> {
    return this.evals.evalAck(evalId, token);
  }
  evalNack(evalId: string, token: string): Promise<void> {
    return this.evals.evalNack(evalId, token);
  }
  evalUpsert(evals: Evaluation[], token: string, reblock: boolean): Promise<number> {
    return this.evals.evalUpsert(evals, token, reblock);
  }
  planSubmit(plan: Plan): Promise<PlanResult> {
    return this.evals.planSubmit(plan);
  }
  gcCommit(request: GcRequest, evalId: string, token: string): Promise<number> {
    return this.evals.gcCommit(request, evalId, token);
  }

  // ── operator: scheduler configuration, forced GC (operator-endpoints.ts) ──

  schedulerGetConfig(query: QueryOptions): Promise<QueryResult<SchedulerConfiguration>> {
    return this.operator.schedulerGetConfig(query);
  }
  schedulerSetConfig(
    config: SchedulerConfiguration,
    cas: number | undefined,
  ): Promise<SchedulerSetConfigResult> {
    return this.operator.schedulerSetConfig(config, cas);
  }
  systemGc(): Promise<void> {
    return this.operator.systemGc();
  }

  // ── status (status-endpoints.ts) ──

  statusLeader(): Promise<{ leaderId: string; leaderRpcAddress: string }> {
    return this.status.statusLeader();
  }
  statusPeers(): Promise<ServerAddress[]> {
    return this.status.statusPeers();
  }

  // ── variables (var-endpoints.ts) ──

  varGet(namespace: string, path: string, query: QueryOptions): Promise<VarResult> {
    return this.vars.varGet(namespace, path, query);
  }
  varPut(
    namespace: string,
    path: string,
    items: Record<string, string>,
    casIndex: number | undefined,
  ): Promise<VarResult> {
    return this.vars.varPut(namespace, path, items, casIndex);
  }
  varDelete(namespace: string, path: string, casIndex: number | undefined): Promise<VarResult> {
    return this.vars.varDelete(namespace, path, casIndex);
  }
  varList(query: QueryOptions): Promise<QueryResult<VariableMetadata[]>> {
    return this.vars.varList(query);
  }

  // ── namespaces (namespace-endpoints.ts) ──

  namespaceList(query: QueryOptions): Promise<QueryResult<Namespace[]>> {
    return this.namespaces.namespaceList(query);
  }
  namespaceGet(name: string, query: QueryOptions): Promise<QueryResult<Namespace | undefined>> {
    return this.namespaces.namespaceGet(name, query);
  }
  namespaceUpsert(namespaces: NamespaceSpec[]): Promise<number> {
    return this.namespaces.namespaceUpsert(namespaces);
  }
  namespaceDelete(name: string): Promise<number> {
    return this.namespaces.namespaceDelete(name);
  }

  // ── ACLs (acl-endpoints.ts) ──

  aclBootstrap(): Promise<AclTokenView> {
    return this.acl.aclBootstrap();
  }
  aclPolicyUpsert(policies: AclPolicyInput[]): Promise<number> {
    return this.acl.aclPolicyUpsert(policies);
  }
  aclPolicyDelete(names: string[]): Promise<number> {
    return this.acl.aclPolicyDelete(names);
  }
  aclPolicyList(query: QueryOptions): Promise<QueryResult<AclPolicy[]>> {
    return this.acl.aclPolicyList(query);
  }
  aclPolicyGet(name: string, query: QueryOptions): Promise<QueryResult<AclPolicy | undefined>> {
    return this.acl.aclPolicyGet(name, query);
  }
  aclTokenUpsert(tokens: AclTokenInput[]): Promise<AclTokenView[]> {
    return this.acl.aclTokenUpsert(tokens);
  }
  aclTokenDelete(accessorIds: string[]): Promise<number> {
    return this.acl.aclTokenDelete(accessorIds);
  }
  aclTokenList(query: QueryOptions): Promise<QueryResult<AclTokenView[]>> {
    return this.acl.aclTokenList(query);
  }
  aclTokenGet(accessorId: string, query: QueryOptions): Promise<QueryResult<AclTokenView | undefined>> {
    return this.acl.aclTokenGet(accessorId, query);
  }
  aclTokenSelf(): Promise<AclTokenView> {
    return this.acl.aclTokenSelf();
  }
  aclResolve(): Promise<ResolvedAcl> {
    return this.acl.aclResolve();
  }
  aclAuthorizeAlloc(allocId: string, capability: string): Promise<void> {
    return this.acl.aclAuthorizeAlloc(allocId, capability);
  }
}
