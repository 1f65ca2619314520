import type {
  AclPolicy,
  AclRules,
  AclTokenType,
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
import type { JobPlanResult } from "../scheduler/job-plan.js";

/**
 * The server RPC surface as TypeScript sees it: what proto/server.proto carries, with the
 * msgpackr `bytes` already decoded into Drover structs. Implemented by the local endpoints of a
 * server (endpoints.ts, which forward to the leader when needed) and by the gRPC client
 * (server-client.ts), so that the HTTP API, workers and the node simulator are written once
 * against either.
 */
export interface QueryOptions {
  /** Allow a follower to answer from its own state (no ReadIndex barrier, no forwarding). */
  stale?: boolean;
  /** Blocking query: wait until the relevant table's index exceeds this. */
  minIndex?: number;
  maxWaitMs?: number;
  namespace?: string;
  prefix?: string;
}

export interface QueryMeta {
  /** X-Nomad-Index: the index of the data served. */
  index: number;
  knownLeader: boolean;
  lastContactMs: number;
}

export interface QueryResult<T> {
  value: T;
  meta: QueryMeta;
}

export interface ServerAddress {
  id: string;
  rpcAddress: string;
}

export interface NodeUpdateResult {
  heartbeatTtlMs: number;
  evalIds: string[];
  evalCreateIndex: number;
  nodeModifyIndex: number;
  index: number;
  leaderRpcAddress: string;
  servers: ServerAddress[];
}

export interface JobRegisterResult {
  evalId: string;
  evalCreateIndex: number;
  jobModifyIndex: number;
  index: number;
  warnings: string;
}

/** What a dispatch of a parameterized job created (Nomad's JobDispatchResponse). */
export interface DispatchResult {
  DispatchedJobID: string;
  EvalID: string;
  EvalCreateIndex: number;
  JobCreateIndex: number;
}

export interface JobRegisterOptions {
  /** Register only if the job's JobModifyIndex equals `jobModifyIndex` (0: only if absent). */
  enforceIndex?: boolean;
  jobModifyIndex?: number;
}

/** One message of a node's alloc watch (see ClientAllocsUpdate in proto/server.proto). */
export interface ClientAllocsUpdate {
  index: number;
  full: boolean;
  allocs: Allocation[];
  jobs: Job[];
  removedAllocIds: string[];
}

/** A running watch; `closed` settles when the stream ends (rejects on error, resolves on cancel). */
export interface AllocWatch {
  cancel(): void;
  readonly closed: Promise<void>;
}

export interface DequeueResult {
  /** undefined when the timeout passed with nothing ready. */
  eval: Evaluation | undefined;
  token: string;
  waitIndex: number;
}

export interface VarResult {
  /** False when absent (get) or when a CAS check failed (put, delete). */
  ok: boolean;
  variable: Variable | undefined;
  conflict: boolean;
  meta: QueryMeta;
}

/** Client-owned fields of an allocation that the client reports (AllocClientUpdate). */
export type AllocClientFields = Pick<Allocation, "ID" | "NodeID" | "ClientStatus" | "ClientDescription"> &
  Partial<Pick<Allocation, "TaskStates" | "DeploymentStatus" | "ModifyTime">>;

export type JobRelated =
  | "allocations"
  | "evaluations"
  | "summary"
  | "versions"
  | "deployments"
  | "deployment"
  | "scale";

/** What a write that may create an evaluation answers (deployment updates, alloc stop). */
export interface EvalWriteResult {
  evalId: string;
  evalCreateIndex: number;
  /** The new ModifyIndex of the deployment (deployment updates) or allocation (alloc stop). */
  modifyIndex: number;
  index: number;
}

/** An operator's change to a deployment (Nomad's Deployment.Promote/Fail/Pause/SetAllocHealth). */
export type DeploymentAction =
  | { action: "promote"; all: boolean; groups: string[] }
  | { action: "fail" }
  | { action: "pause" }
  | { action: "resume" }
  | { action: "alloc-health"; healthy: string[]; unhealthy: string[] };

/** One task group of a job's scale status (Nomad's TaskGroupScaleStatus). */
export interface TaskGroupScaleStatus {
  Desired: number;
  Placed: number;
  Running: number;
  Healthy: number;
  Unhealthy: number;
  Events: unknown[];
}

/** Nomad's JobScaleStatus: desired and actual counts of each task group. */
export interface JobScaleStatus {
  JobID: string;
  Namespace: string;
  JobCreateIndex: number;
  JobModifyIndex: number;
  JobStopped: boolean;
  TaskGroups: Record<string, TaskGroupScaleStatus>;
}

export interface JobScaleRequest {
  namespace: string;
  jobId: string;
  group: string;
  count: number;
  /** Scale only if the job's JobModifyIndex still equals `jobModifyIndex`. */
  enforceIndex?: boolean;
  jobModifyIndex?: number;
}

/** What `job stability` answers (Nomad's JobStabilityResponse). */
export interface JobStabilityResult {
  /** The index at which the stability was written. */
  jobModifyIndex: number;
  index: number;
}

/** What setting the scheduler configuration answers; `updated` is false when the CAS failed. */
export interface SchedulerSetConfigResult {
  updated: boolean;
  index: number;
}

/** A list entry of `/v1/vars`: a variable without its items. */
export type VariableMetadata = Omit<Variable, "Items">;

/**
 * A token as the API shows it: never the stored hash; `SecretID` only in the answer that created
 * it (bootstrap, create), "" everywhere else, so that no list or read can leak a bearer secret.
 */
export interface AclTokenView {
  AccessorID: string;
  SecretID: string;
  Name: string;
  Type: AclTokenType;
  Policies: string[];
  Global: boolean;
  CreateTime: number;
  /** Nanoseconds since the epoch; 0 for never. */
  ExpirationTime: number;
  CreateIndex: number;
  ModifyIndex: number;
}

/** A token to create (no AccessorID) or update (its AccessorID; the secret never changes). */
export interface AclTokenInput {
  AccessorID?: string;
  Name: string;
  Type: AclTokenType;
  Policies: string[];
  Global: boolean;
  /** Nanoseconds since the epoch; 0 or absent for never. */
  ExpirationTime?: number;
  /** Nomad's ExpirationTTL in nanoseconds, counted from the creation. */
  ExpirationTTL?: number;
}

/** A policy as written: its text is parsed (and refused with a located error) by the server. */
export interface AclPolicyInput {
  Name: string;
  Description: string;
  Rules: string;
}

/** What a token resolves to, for an agent that checks requests without the state (a client). */
export interface ResolvedAcl {
  accessorId: string;
  management: boolean;
  rules: AclRules[];
  /**
   * When the token expires (ns since the epoch; 0 or absent: never), so that an agent reusing
   * this answer stops at the token's expiry.
   */
  expirationTime?: number;
}

export interface ServerApi {
  nodeRegister(node: Node): Promise<NodeUpdateResult>;
  nodeUpdateStatus(nodeId: string, secretId: string, status: NodeStatus): Promise<NodeUpdateResult>;
  nodeHeartbeat(nodeId: string, secretId: string): Promise<NodeUpdateResult>;
  nodeDeregister(nodeId: string): Promise<number>;
  nodeUpdateDrain(nodeId: string, drain: DrainStrategy | null, markEligible: boolean): Promise<number>;
  nodeUpdateEligibility(nodeId: string, eligibility: SchedulingEligibility): Promise<number>;
  /**
   * `onUpdate` gets every push. When it returns a promise (the server's transport: settled once
   * the message left), the server pushes nothing more on this stream until it settles, and what
   * changed meanwhile goes out together in the next push.
   */
  watchClientAllocs(
    request: { nodeId: string; secretId: string; minIndex: number; stale: boolean },
    onUpdate: (update: ClientAllocsUpdate) => void | Promise<void>,
  ): AllocWatch;
  nodeList(query: QueryOptions): Promise<QueryResult<Node[]>>;
  nodeGet(id: string, query: QueryOptions): Promise<QueryResult<Node | undefined>>;

  /** `nodeSecrets`: node ID → SecretID of every node whose allocations are reported. */
  allocClientUpdate(allocs: AllocClientFields[], nodeSecrets: Record<string, string>): Promise<number>;
  allocList(query: QueryOptions): Promise<QueryResult<Allocation[]>>;
  allocGet(id: string, query: QueryOptions): Promise<QueryResult<Allocation | undefined>>;
  /** Stops an allocation; an eval (alloc-stop) places its replacement. */
  allocStop(allocId: string): Promise<EvalWriteResult>;

  jobRegister(job: Job, options: JobRegisterOptions): Promise<JobRegisterResult>;
  jobDeregister(namespace: string, jobId: string, purge: boolean): Promise<JobRegisterResult>;
  /** Dispatches a parameterized job: a child job with the payload and meta, and its eval. */
  jobDispatch(
    namespace: string,
    jobId: string,
    payload: Uint8Array,
    meta: Record<string, string>,
  ): Promise<DispatchResult>;
  jobList(query: QueryOptions): Promise<QueryResult<Job[]>>;
  jobGet(id: string, query: QueryOptions): Promise<QueryResult<Job | undefined>>;
  jobAllocations(id: string, query: QueryOptions): Promise<QueryResult<Allocation[]>>;
  jobEvaluations(id: string, query: QueryOptions): Promise<QueryResult<Evaluation[]>>;
  jobSummary(id: string, query: QueryOptions): Promise<QueryResult<JobSummary | undefined>>;
  /** Every stored version of the job, newest first (empty when the job does not exist). */
  jobVersions(id: string, query: QueryOptions): Promise<QueryResult<Job[]>>;
  /** The job's deployments, newest first. */
  jobDeployments(id: string, query: QueryOptions): Promise<QueryResult<Deployment[]>>;
  /** The job's most recent deployment. */
  jobLatestDeployment(id: string, query: QueryOptions): Promise<QueryResult<Deployment | undefined>>;
  jobScaleStatus(id: string, query: QueryOptions): Promise<QueryResult<JobScaleStatus | undefined>>;
  /** Registers version `version`'s spec as a new version (only if the current one is `enforcePrior`). */
  jobRevert(
    namespace: string,
    jobId: string,
    version: number,
    enforcePrior: number | undefined,
  ): Promise<JobRegisterResult>;
  /** A new evaluation of the job. */
  jobEvaluate(namespace: string, jobId: string): Promise<JobRegisterResult>;
  /** Launches a periodic job's child now; evalId is the child's eval. */
  jobPeriodicForce(namespace: string, jobId: string): Promise<JobRegisterResult>;
  /** Sets one task group's count (a new job version with its eval). */
  jobScale(request: JobScaleRequest): Promise<JobRegisterResult>;
  /** A dry run of the scheduler for `job` on the leader's state; nothing is committed. */
  jobPlan(job: Job, options: { diff: boolean }): Promise<JobPlanResult>;
  /** Marks version `version` of the job stable or not (404 when the job has no such version). */
  jobStability(
    namespace: string,
    jobId: string,
    version: number,
    stable: boolean,
  ): Promise<JobStabilityResult>;

  deploymentList(query: QueryOptions): Promise<QueryResult<Deployment[]>>;
  deploymentGet(id: string, query: QueryOptions): Promise<QueryResult<Deployment | undefined>>;
  deploymentUpdate(deploymentId: string, change: DeploymentAction): Promise<EvalWriteResult>;

  evalList(query: QueryOptions): Promise<QueryResult<Evaluation[]>>;
  evalGet(id: string, query: QueryOptions): Promise<QueryResult<Evaluation | undefined>>;

  evalDequeue(
    schedulers: readonly SchedulerType[],
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<DequeueResult>;
  evalAck(evalId: string, token: string): Promise<void>;
  evalNack(evalId: string, token: string): Promise<void>;
  evalUpsert(evals: Evaluation[], token: string, reblock: boolean): Promise<number>;
  planSubmit(plan: Plan): Promise<PlanResult>;
  /** Commits a core eval's garbage collection for the worker holding `token` for `evalId`. */
  gcCommit(request: GcRequest, evalId: string, token: string): Promise<number>;

  schedulerGetConfig(query: QueryOptions): Promise<QueryResult<SchedulerConfiguration>>;
  /** Sets the configuration (its CreateIndex/ModifyIndex are ignored); only if still at `cas` when given. */
  schedulerSetConfig(
    config: SchedulerConfiguration,
    cas: number | undefined,
  ): Promise<SchedulerSetConfigResult>;
  /** Enqueues a forced garbage collection on the leader (a `_core` eval of kind force-gc). */
  systemGc(): Promise<void>;

  statusLeader(): Promise<{ leaderId: string; leaderRpcAddress: string }>;
  statusPeers(): Promise<ServerAddress[]>;

  varGet(namespace: string, path: string, query: QueryOptions): Promise<VarResult>;
  varPut(
    namespace: string,
    path: string,
    items: Record<string, string>,
    casIndex: number | undefined,
  ): Promise<VarResult>;
  varDelete(namespace: string, path: string, casIndex: number | undefined): Promise<VarResult>;
  varList(query: QueryOptions): Promise<QueryResult<VariableMetadata[]>>;

  /** Every namespace (`default` included) whose name starts with `query.prefix`, in name order. */
  namespaceList(query: QueryOptions): Promise<QueryResult<Namespace[]>>;
  namespaceGet(name: string, query: QueryOptions): Promise<QueryResult<Namespace | undefined>>;
  /** Creates or updates the namespaces in one write; answers its index. */
  namespaceUpsert(namespaces: NamespaceSpec[]): Promise<number>;
  /** Deletes a namespace (refused for `default` and while it holds live jobs or variables). */
  namespaceDelete(name: string): Promise<number>;

  /** The one-time bootstrap: a management token, with its SecretID (refused once done). */
  aclBootstrap(): Promise<AclTokenView>;
  aclPolicyUpsert(policies: AclPolicyInput[]): Promise<number>;
  aclPolicyDelete(names: string[]): Promise<number>;
  aclPolicyList(query: QueryOptions): Promise<QueryResult<AclPolicy[]>>;
  aclPolicyGet(name: string, query: QueryOptions): Promise<QueryResult<AclPolicy | undefined>>;
  /** Creates or updates tokens; created tokens come back with their SecretID. */
  aclTokenUpsert(tokens: AclTokenInput[]): Promise<AclTokenView[]>;
  aclTokenDelete(accessorIds: string[]): Promise<number>;
  aclTokenList(query: QueryOptions): Promise<QueryResult<AclTokenView[]>>;
  aclTokenGet(accessorId: string, query: QueryOptions): Promise<QueryResult<AclTokenView | undefined>>;
  /** The token of the request being served (its secret in the request context). */
  aclTokenSelf(): Promise<AclTokenView>;
  /** What the token of the request being served may do (anonymous when it carries none). */
  aclResolve(): Promise<ResolvedAcl>;
  /**
   * Refuses (PermissionDeniedError) unless the request's token holds the namespace `capability`
   * in the namespace of allocation `allocId`: how a client agent checks a log request a server
   * forwarded to it (the client has no ACL state of its own).
   */
  aclAuthorizeAlloc(allocId: string, capability: string): Promise<void>;
}
