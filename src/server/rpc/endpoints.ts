import type { AllocClientUpdate, Command, ResultOf } from "../../fsm/commands.js";
import {
  type Allocation,
  type AllocClientStatus,
  DEFAULT_NAMESPACE,
  type DrainStrategy,
  type Evaluation,
  type Job,
  type JobSummary,
  type Node,
  type NodeStatus,
  type Plan,
  type PlanResult,
  type SchedulerType,
  type SchedulingEligibility,
  type StateReader,
  type Variable,
} from "../../fsm/index.js";
import type {
  AllocClientFields,
  AllocWatch,
  ClientAllocsUpdate,
  DequeueResult,
  DispatchResult,
  JobRegisterOptions,
  JobRegisterResult,
  NodeUpdateResult,
  QueryMeta,
  QueryOptions,
  QueryResult,
  ServerAddress,
  ServerApi,
  VariableMetadata,
  VarResult,
} from "../../rpc/server-api.js";
import type { ServerRpcClient } from "../../rpc/server-client.js";
import { computeNodeClass } from "../../scheduler/computed-class.js";
import type { GcRequest } from "../../scheduler/schedule-types.js";
import {
  NotFoundError,
  NotLeaderError,
  PreconditionError,
  StaleEvalTokenError,
  ValidationError,
} from "../../shared/errors.js";
import type { ServerContext } from "../context.js";
import { dispatchJob } from "../dispatch.js";
import type { Forwarder, LeaderView } from "../forward.js";
import { jobEvaluation } from "../new-evaluation.js";
import type { AllocWatchHub } from "./alloc-watch-hub.js";
import { jobFromInput } from "./job-input.js";
import { nodeEvals } from "./node-evals.js";
import { WriteBatcher } from "./write-batcher.js";

/**
 * The leader's duties as the endpoints use them (implemented by src/server/leader.ts Leader over
 * its eval broker, blocked evals, plan queue and heartbeat timers). Present only on the leader.
 */
export interface LeaderDuties {
  dequeue(
    schedulers: readonly string[],
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<{ eval: Evaluation; token: string } | null>;
  /** Throw when the token is not the eval's outstanding delivery. */
  ack(evalId: string, token: string): void;
  nack(evalId: string, token: string): void;
  /** True when `token` is the outstanding delivery of `evalId`. */
  holds(evalId: string, token: string): boolean;
  /** Puts an eval the worker re-blocked back into the blocked set. */
  reblock(evaluation: Evaluation, token: string): void;
  submitPlan(plan: Plan): Promise<PlanResult>;
  /** Commits a core eval's garbage collection (checks the token). */
  collectGarbage(request: GcRequest, evalId: string, token: string): Promise<number>;
  /** Resets the node's heartbeat timer; answers the TTL (ms) within which it must beat again. */
  heartbeat(nodeId: string): number;
}

/** What the endpoints know about the cluster (implemented by the agent). */
export interface ClusterView extends LeaderView {
  readonly self: ServerAddress;
  lastContactMs(): number;
  peers(): ServerAddress[];
}

export interface EndpointsOptions {
  ctx: ServerContext;
  cluster: ClusterView;
  forwarder: Forwarder;
  /** The leader's duties while this server leads, otherwise undefined. */
  duties: () => LeaderDuties | undefined;
  hub: AllocWatchHub;
  /** How long a request waits for a leader before it fails. */
  forwardDeadlineMs: number;
  /** Batch window of client alloc updates on the leader (Nomad: 50 ms). */
  allocUpdateWindowMs?: number;
}

const VAR_PATH_RE = /^[a-zA-Z0-9\-_~/]{1,128}$/;
const VAR_MAX_BYTES = 64 * 1024;
const NODE_STATUSES: readonly NodeStatus[] = ["initializing", "ready", "down", "disconnected"];
const CLIENT_STATUSES: readonly AllocClientStatus[] = [
  "pending",
  "running",
  "complete",
  "failed",
  "lost",
  "unknown",
];

function withoutSecret(node: Node): Node {
  return node.SecretID === "" ? node : { ...node, SecretID: "" };
}

function matchesQuery(namespace: string, id: string, query: QueryOptions): boolean {
  if (query.namespace !== undefined && query.namespace !== "*" && namespace !== query.namespace) return false;
  return query.prefix === undefined || id.startsWith(query.prefix);
}

function varMetadata(v: Variable): VariableMetadata {
  const { Items: _items, ...meta } = v;
  return meta;
}

/**
 * The server RPC endpoints: one implementation behind both the gRPC service and the local HTTP
 * API. Writes run on the leader (forwarded from followers by the Forwarder); reads are
 * linearizable by default (forwarded to the leader, which passes a ReadIndex barrier before
 * reading) and served from local state with `stale`; blocking queries wait on the local FSM.
 */
export class ServerEndpoints implements ServerApi {
  private readonly allocUpdates: WriteBatcher<AllocClientUpdate>;

  constructor(
    private readonly o: EndpointsOptions,
    shared?: { allocUpdates: WriteBatcher<AllocClientUpdate> },
    /** False for calls another server forwarded here: run locally or answer NotLeader. */
    private readonly forwarding = true,
  ) {
    this.allocUpdates =
      shared?.allocUpdates ??
      new WriteBatcher((items) => this.flushAllocUpdates(items), o.allocUpdateWindowMs ?? 50, 2000);
  }

  /**
   * The same endpoints for calls that were already forwarded once (see FORWARDED_KEY): they run
   * here if this server leads and fail with NotLeader otherwise, so the origin retries.
   */
  localOnly(): ServerEndpoints {
    return new ServerEndpoints(this.o, { allocUpdates: this.allocUpdates }, false);
  }

  close(): void {
    this.allocUpdates.close();
  }

  // ───────────────────────── plumbing ─────────────────────────

  private now(): number {
    return this.o.ctx.clock.now();
  }

  private meta(index: number): QueryMeta {
    return {
      index,
      knownLeader: this.o.cluster.leader() !== undefined,
      lastContactMs: this.o.cluster.lastContactMs(),
    };
  }

  private leaderDuties(): LeaderDuties {
    const duties = this.o.duties();
    if (duties === undefined) throw new NotLeaderError(this.o.cluster.leader()?.id);
    return duties;
  }

  private async propose<C extends Command>(command: C): Promise<{ index: number; result: ResultOf<C> }> {
    const { index, result } = await this.o.ctx.propose(command);
    return { index, result: result as ResultOf<C> };
  }

  /** Runs a write on the leader (here, or forwarded). */
  private write<T>(
    local: () => Promise<T>,
    remote: (c: ServerRpcClient) => Promise<T>,
    idempotent = false,
  ): Promise<T> {
    // Off the leader every local path fails with NotLeaderError (no duties, Raft refuses the
    // proposal or the ReadIndex), which is the answer a forwarded call must get.
    if (!this.forwarding) return local();
    return this.o.forwarder.run({ deadlineMs: this.o.forwardDeadlineMs, idempotent }, local, remote);
  }

  /**
   * A read: linearizable unless `stale` (the leader confirms it still leads and that its state
   * includes everything committed before the request — Raft §8 ReadIndex — before answering);
   * blocking when `minIndex` is set.
   */
  private read<T>(
    query: QueryOptions,
    tables: readonly string[],
    compute: (state: StateReader) => T,
    remote: (c: ServerRpcClient) => Promise<QueryResult<T>>,
  ): Promise<QueryResult<T>> {
    if (query.stale === true) return this.blockingRead(query, tables, compute);
    return this.write(
      async () => {
        await this.o.ctx.barrier();
        return this.blockingRead(query, tables, compute);
      },
      remote,
      true,
    );
  }

  private async blockingRead<T>(
    query: QueryOptions,
    tables: readonly string[],
    compute: (state: StateReader) => T,
  ): Promise<QueryResult<T>> {
    const minIndex = query.minIndex ?? 0;
    const deadline = performance.now() + (query.maxWaitMs ?? 0);
    for (;;) {
      const state = this.o.ctx.state();
      // A table never written reports the state's index: any later write passes it. (Nomad floors
      // it at 1 instead, which would hide a first write at index 1 from a blocked reader.)
      const index = Math.max(0, ...tables.map((t) => state.tableIndex(t))) || state.index;
      const remaining = deadline - performance.now();
      if (minIndex === 0 || index > minIndex || remaining <= 0) {
        return { value: compute(state), meta: this.meta(index) };
      }
      await this.waitApplied(state.index + 1, remaining);
    }
  }

  /** Waits until the local FSM applied `index`, or `timeoutMs` passed (no error either way). */
  private async waitApplied(index: number, timeoutMs: number): Promise<void> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      await this.o.ctx.waitForIndex(index, controller.signal);
    } catch (error) {
      if (!controller.signal.aborted) throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  private nodeUpdateResult(index: number, ttlMs: number, evals: readonly Evaluation[]): NodeUpdateResult {
    return {
      heartbeatTtlMs: ttlMs,
      evalIds: evals.map((e) => e.ID),
      evalCreateIndex: evals.length > 0 ? index : 0,
      nodeModifyIndex: index,
      index,
      leaderRpcAddress: this.o.cluster.leader()?.rpcAddress ?? "",
      servers: this.o.cluster.peers(),
    };
  }

  private authNode(nodeId: string, secretId: string): Node {
    const node = this.o.ctx.state().nodeByID(nodeId);
    if (node === undefined) throw new NotFoundError(`node ${nodeId} not found`);
    if (node.SecretID !== secretId) throw new PreconditionError(`node ${nodeId}: wrong SecretID`);
    return node;
  }

  // ───────────────────────── nodes ─────────────────────────

  nodeRegister(input: Node): Promise<NodeUpdateResult> {
    const node = validateNode(input);
    return this.write(
      async () => {
        const duties = this.leaderDuties();
        const state = this.o.ctx.state();
        const existing = state.nodeByID(node.ID);
        if (existing !== undefined && existing.SecretID !== node.SecretID) {
          throw new PreconditionError(`node ${node.ID} is registered with another SecretID`);
        }
        const now = this.now();
        const becomesReady = node.Status === "ready" && existing?.Status !== "ready";
        const evals = becomesReady
          ? nodeEvals(state, node.ID, existing?.ModifyIndex ?? 0, "node-update", now)
          : [];
        const stored: Node = {
          ...node,
          ComputedClass: node.ComputedClass === "" ? computeNodeClass(node) : node.ComputedClass,
          StatusUpdatedAt: now,
          // Eligibility and drain belong to operators once the node exists.
          SchedulingEligibility: existing?.SchedulingEligibility ?? node.SchedulingEligibility,
          DrainStrategy: existing?.DrainStrategy ?? node.DrainStrategy,
        };
        const { index } = await this.propose({ type: "node-register", Nodes: [stored], Evals: evals });
        return this.nodeUpdateResult(index, duties.heartbeat(node.ID), evals);
      },
      (c) => c.nodeRegister(node),
      true,
    );
  }

  nodeUpdateStatus(nodeId: string, secretId: string, status: NodeStatus): Promise<NodeUpdateResult> {
    if (!NODE_STATUSES.includes(status)) {
      throw new ValidationError(`status must be one of ${NODE_STATUSES.join(", ")}`, "NodeUpdateStatus");
    }
    return this.write(
      () => this.changeNodeStatus(nodeId, secretId, status),
      (c) => c.nodeUpdateStatus(nodeId, secretId, status),
      true,
    );
  }

  nodeHeartbeat(nodeId: string, secretId: string): Promise<NodeUpdateResult> {
    return this.write(
      () => this.changeNodeStatus(nodeId, secretId, undefined),
      (c) => c.nodeHeartbeat(nodeId, secretId),
      true,
    );
  }

  /**
   * A heartbeat (status undefined) or status update on the leader: resets the node's TTL and
   * writes to Raft only when the status changes (a heartbeat from a node marked down brings it
   * back to ready), so that steady-state heartbeats cost no log entries.
   */
  private async changeNodeStatus(
    nodeId: string,
    secretId: string,
    status: NodeStatus | undefined,
  ): Promise<NodeUpdateResult> {
    const duties = this.leaderDuties();
    const node = this.authNode(nodeId, secretId);
    const target =
      status ?? (node.Status === "down" || node.Status === "disconnected" ? "ready" : node.Status);
    let index = this.o.ctx.state().tableIndex("nodes");
    let evals: Evaluation[] = [];
    if (target !== node.Status) {
      const now = this.now();
      const transition = target === "ready" || target === "down";
      evals = transition ? nodeEvals(this.o.ctx.state(), nodeId, node.ModifyIndex, "node-update", now) : [];
      const description = status === undefined ? "node heartbeat resumed" : `node reported ${target}`;
      ({ index } = await this.propose({
        type: "node-status",
        Updates: [{ NodeID: nodeId, Status: target, StatusDescription: description, UpdatedAt: now }],
        Evals: evals,
      }));
    }
    const ttl = target === "down" ? 0 : duties.heartbeat(nodeId);
    return this.nodeUpdateResult(index, ttl, evals);
  }

  nodeDeregister(nodeId: string): Promise<number> {
    return this.write(
      async () => {
        this.leaderDuties();
        const state = this.o.ctx.state();
        const node = state.nodeByID(nodeId);
        if (node === undefined) throw new NotFoundError(`node ${nodeId} not found`);
        const evals = nodeEvals(state, nodeId, node.ModifyIndex, "node-update", this.now());
        return (await this.propose({ type: "node-deregister", NodeIDs: [nodeId], Evals: evals })).index;
      },
      (c) => c.nodeDeregister(nodeId),
    );
  }

  nodeUpdateDrain(nodeId: string, drain: DrainStrategy | null, markEligible: boolean): Promise<number> {
    return this.write(
      async () => {
        this.leaderDuties();
        const state = this.o.ctx.state();
        const node = state.nodeByID(nodeId);
        if (node === undefined) throw new NotFoundError(`node ${nodeId} not found`);
        const now = this.now();
        const evals = drain === null ? [] : nodeEvals(state, nodeId, node.ModifyIndex, "node-drain", now);
        const strategy = drain === null ? null : { ...drain, StartedAt: drain.StartedAt || now };
        const update = {
          NodeID: nodeId,
          DrainStrategy: strategy,
          MarkEligible: markEligible,
          UpdatedAt: now,
        };
        return (await this.propose({ type: "node-drain", Updates: [update], Evals: evals })).index;
      },
      (c) => c.nodeUpdateDrain(nodeId, drain, markEligible),
    );
  }

  nodeUpdateEligibility(nodeId: string, eligibility: SchedulingEligibility): Promise<number> {
    if (eligibility !== "eligible" && eligibility !== "ineligible") {
      throw new ValidationError("eligibility must be eligible or ineligible", "NodeUpdateEligibility");
    }
    return this.write(
      async () => {
        this.leaderDuties();
        const state = this.o.ctx.state();
        const node = state.nodeByID(nodeId);
        if (node === undefined) throw new NotFoundError(`node ${nodeId} not found`);
        const now = this.now();
        const evals =
          eligibility === "eligible" ? nodeEvals(state, nodeId, node.ModifyIndex, "node-update", now) : [];
        const update = { NodeID: nodeId, Eligibility: eligibility, UpdatedAt: now };
        return (await this.propose({ type: "node-eligibility", Updates: [update], Evals: evals })).index;
      },
      (c) => c.nodeUpdateEligibility(nodeId, eligibility),
    );
  }

  /**
   * Streams a node's allocations from this server's local state (any server may serve a client;
   * a lagging follower catches up and pushes). Sends the full set first, then on every write that
   * touches the node (AllocWatchHub) the allocations whose server-side fields changed and the ids
   * that disappeared. A client's own status reports are not echoed back.
   */
  watchClientAllocs(
    request: { nodeId: string; secretId: string; minIndex: number; stale: boolean },
    onUpdate: (update: ClientAllocsUpdate) => void,
  ): AllocWatch {
    const node = this.o.ctx.state().nodeByID(request.nodeId);
    if (node === undefined) throw new NotFoundError(`node ${request.nodeId} not found`);
    if (node.SecretID !== request.secretId)
      throw new PreconditionError(`node ${request.nodeId}: wrong SecretID`);
    /** The alloc objects last seen for this client (stored objects are immutable: identity = unchanged). */
    const sent = new Map<string, Allocation>();
    const sentJobs = new Set<string>();
    let first = true;
    let scheduled = false;
    let cancelled = false;
    let resolveClosed: () => void = () => {};
    const closed = new Promise<void>((resolve) => {
      resolveClosed = resolve;
    });
    const push = (): void => {
      scheduled = false;
      if (cancelled) return;
      const state = this.o.ctx.state();
      const allocs = state.allocsByNode(request.nodeId);
      const changed: Allocation[] = [];
      for (const alloc of allocs) {
        const prev = sent.get(alloc.ID);
        if (prev === alloc) continue;
        sent.set(alloc.ID, alloc);
        // Only server-side changes matter to the client, not its own status reports coming back.
        if (
          prev !== undefined &&
          prev.AllocModifyIndex === alloc.AllocModifyIndex &&
          prev.DesiredStatus === alloc.DesiredStatus &&
          prev.DesiredTransition.Migrate === alloc.DesiredTransition.Migrate
        ) {
          continue;
        }
        if (first && request.minIndex > 0 && alloc.ModifyIndex <= request.minIndex) continue;
        // Placement metrics (scores of every node considered) are for operators, not clients.
        changed.push(alloc.Metrics === null ? alloc : { ...alloc, Metrics: null });
      }
      const removed: string[] = [];
      if (sent.size > allocs.length) {
        const present = new Set(allocs.map((a) => a.ID));
        for (const id of sent.keys()) if (!present.has(id)) removed.push(id);
        for (const id of removed) sent.delete(id);
      }
      if (!first && changed.length === 0 && removed.length === 0) return;
      const jobs: Job[] = [];
      for (const alloc of changed) {
        const key = `${alloc.Namespace}\u0000${alloc.JobID}\u0000${alloc.JobVersion}`;
        if (sentJobs.has(key)) continue;
        const job = state.jobByVersion(alloc.Namespace, alloc.JobID, alloc.JobVersion);
        if (job === undefined) continue;
        sentJobs.add(key);
        jobs.push(job);
      }
      onUpdate({ index: state.index, full: first, allocs: changed, jobs, removedAllocIds: removed });
      first = false;
    };
    const wake = (): void => {
      if (scheduled || cancelled) return;
      scheduled = true;
      // Coalesce the wake-ups of one burst of applied entries into one message.
      setImmediate(push);
    };
    const unsubscribe = this.o.hub.watch(request.nodeId, wake);
    wake();
    return {
      cancel: () => {
        if (cancelled) return;
        cancelled = true;
        unsubscribe();
        resolveClosed();
      },
      closed,
    };
  }

  nodeList(query: QueryOptions): Promise<QueryResult<Node[]>> {
    return this.read(
      query,
      ["nodes"],
      (s) =>
        [...s.nodes()]
          .filter((n) => query.prefix === undefined || n.ID.startsWith(query.prefix))
          .map(withoutSecret),
      (c) => c.nodeList(query),
    );
  }

  nodeGet(id: string, query: QueryOptions): Promise<QueryResult<Node | undefined>> {
    return this.read(
      query,
      ["nodes"],
      (s) => {
        const node = s.nodeByID(id);
        return node === undefined ? undefined : withoutSecret(node);
      },
      (c) => c.nodeGet(id, query),
    );
  }

  // ───────────────────────── allocations ─────────────────────────

  allocClientUpdate(allocs: AllocClientFields[], nodeSecrets: Record<string, string>): Promise<number> {
    if (!Array.isArray(allocs)) throw new ValidationError("allocs must be a list", "AllocClientUpdate");
    for (const [i, a] of allocs.entries()) {
      if (typeof a?.ID !== "string") throw new ValidationError("ID must be a string", `allocs[${i}]`);
      if (!CLIENT_STATUSES.includes(a.ClientStatus)) {
        throw new ValidationError(
          `ClientStatus must be one of ${CLIENT_STATUSES.join(", ")}`,
          `allocs[${i}]`,
        );
      }
    }
    return this.write(
      async () => {
        this.leaderDuties();
        let built = this.clientUpdates(allocs, nodeSecrets, this.o.ctx.state());
        if (built.missing > 0) {
          // The client may have learned of an alloc from a follower that applied its plan before
          // this leader's (asynchronous) apply did: catch up to everything committed, then look
          // again. What is still missing was garbage collected: nothing to update.
          await this.o.ctx.barrier();
          built = this.clientUpdates(allocs, nodeSecrets, this.o.ctx.state());
        }
        return built.updates.length === 0 ? this.o.ctx.state().index : this.allocUpdates.add(built.updates);
      },
      (c) => c.allocClientUpdate(allocs, nodeSecrets),
      true,
    );
  }

  private clientUpdates(
    allocs: readonly AllocClientFields[],
    nodeSecrets: Record<string, string>,
    state: StateReader,
  ): { updates: AllocClientUpdate[]; missing: number } {
    const now = this.now();
    const updates: AllocClientUpdate[] = [];
    let missing = 0;
    for (const [i, a] of allocs.entries()) {
      const stored = state.allocByID(a.ID);
      if (stored === undefined) {
        missing++;
        continue;
      }
      const node = state.nodeByID(stored.NodeID);
      if (node === undefined || node.SecretID !== nodeSecrets[node.ID]) {
        throw new PreconditionError(`allocs[${i}]: alloc ${a.ID} does not belong to the calling node`);
      }
      updates.push({
        ID: a.ID,
        ClientStatus: a.ClientStatus,
        ClientDescription: a.ClientDescription ?? "",
        TaskStates: a.TaskStates ?? stored.TaskStates,
        DeploymentStatus: a.DeploymentStatus ?? null,
        ModifyTime: a.ModifyTime ?? now,
      });
    }
    return { updates, missing };
  }

  /** One Raft entry for a window of client updates, with evals for jobs whose allocs failed. */
  private async flushAllocUpdates(updates: AllocClientUpdate[]): Promise<number> {
    const state = this.o.ctx.state();
    const now = this.now();
    const evals: Evaluation[] = [];
    const jobs = new Set<string>();
    for (const update of updates) {
      if (update.ClientStatus !== "failed") continue;
      const alloc = state.allocByID(update.ID);
      if (alloc === undefined || alloc.DesiredStatus !== "run") continue;
      const key = `${alloc.Namespace}\u0000${alloc.JobID}`;
      const job = state.jobByID(alloc.Namespace, alloc.JobID);
      if (jobs.has(key) || job === undefined || job.Stop) continue;
      jobs.add(key);
      evals.push(jobEvaluation(job, "alloc-failure", now));
    }
    return (await this.propose({ type: "alloc-client-update", Allocs: updates, Evals: evals })).index;
  }

  allocList(query: QueryOptions): Promise<QueryResult<Allocation[]>> {
    return this.read(
      query,
      ["allocs"],
      (s) => [...s.allocs()].filter((a) => matchesQuery(a.Namespace, a.ID, query)),
      (c) => c.allocList(query),
    );
  }

  allocGet(id: string, query: QueryOptions): Promise<QueryResult<Allocation | undefined>> {
    return this.read(
      query,
      ["allocs"],
      (s) => s.allocByID(id),
      (c) => c.allocGet(id, query),
    );
  }

  // ───────────────────────── jobs ─────────────────────────

  jobRegister(input: Job, options: JobRegisterOptions): Promise<JobRegisterResult> {
    const job = jobFromInput(
      input,
      typeof input?.SubmitTime === "number" && input.SubmitTime > 0 ? input.SubmitTime : this.now(),
    );
    return this.write(
      async () => {
        this.leaderDuties();
        const existing = this.o.ctx.state().jobByID(job.Namespace, job.ID);
        if (options.enforceIndex === true) {
          const expected = options.jobModifyIndex ?? 0;
          const actual = existing?.JobModifyIndex ?? 0;
          if (expected !== actual) {
            throw new PreconditionError(
              `job ${job.ID}: enforce index ${expected} does not match JobModifyIndex ${actual}`,
            );
          }
        }
        // Periodic and parameterized parents are launched by the leader, not scheduled directly.
        const evaluation =
          job.Periodic !== null || job.ParameterizedJob !== null
            ? null
            : jobEvaluation(job, "job-register", this.now());
        const { index, result } = await this.propose({ type: "job-register", Job: job, Eval: evaluation });
        return {
          evalId: result.EvalID,
          evalCreateIndex: result.EvalCreateIndex,
          jobModifyIndex: result.JobModifyIndex,
          index,
          warnings: "",
        };
      },
      (c) => c.jobRegister(job, options),
    );
  }

  jobDeregister(namespace: string, jobId: string, purge: boolean): Promise<JobRegisterResult> {
    const ns = namespace || DEFAULT_NAMESPACE;
    return this.write(
      async () => {
        this.leaderDuties();
        const job = this.o.ctx.state().jobByID(ns, jobId);
        if (job === undefined) throw new NotFoundError(`job ${jobId} not found`);
        const now = this.now();
        const evaluation =
          job.Periodic !== null || job.ParameterizedJob !== null
            ? null
            : jobEvaluation(job, "job-deregister", now);
        const { index, result } = await this.propose({
          type: "job-deregister",
          Namespace: ns,
          JobID: jobId,
          Purge: purge,
          SubmitTime: now,
          Eval: evaluation,
        });
        return {
          evalId: result.EvalID,
          evalCreateIndex: result.EvalCreateIndex,
          jobModifyIndex: result.JobModifyIndex,
          index,
          warnings: "",
        };
      },
      (c) => c.jobDeregister(ns, jobId, purge),
    );
  }

  jobDispatch(
    namespace: string,
    jobId: string,
    payload: Uint8Array,
    meta: Record<string, string>,
  ): Promise<DispatchResult> {
    const ns = namespace || DEFAULT_NAMESPACE;
    return this.write(
      async () => {
        this.leaderDuties();
        return dispatchJob(this.o.ctx, ns, jobId, payload, meta);
      },
      (c) => c.jobDispatch(ns, jobId, payload, meta),
    );
  }

  jobList(query: QueryOptions): Promise<QueryResult<Job[]>> {
    return this.read(
      query,
      ["jobs"],
      (s) => [...s.jobs()].filter((j) => matchesQuery(j.Namespace, j.ID, query)),
      (c) => c.jobList(query),
    );
  }

  jobGet(id: string, query: QueryOptions): Promise<QueryResult<Job | undefined>> {
    const ns = query.namespace ?? DEFAULT_NAMESPACE;
    return this.read(
      query,
      ["jobs"],
      (s) => s.jobByID(ns, id),
      (c) => c.jobGet(id, query),
    );
  }

  jobAllocations(id: string, query: QueryOptions): Promise<QueryResult<Allocation[]>> {
    const ns = query.namespace ?? DEFAULT_NAMESPACE;
    return this.read(
      query,
      ["allocs"],
      (s) => [...s.allocsByJob(ns, id)],
      (c) => c.jobAllocations(id, query),
    );
  }

  jobEvaluations(id: string, query: QueryOptions): Promise<QueryResult<Evaluation[]>> {
    const ns = query.namespace ?? DEFAULT_NAMESPACE;
    return this.read(
      query,
      ["evals"],
      (s) => [...s.evalsByJob(ns, id)],
      (c) => c.jobEvaluations(id, query),
    );
  }

  jobSummary(id: string, query: QueryOptions): Promise<QueryResult<JobSummary | undefined>> {
    const ns = query.namespace ?? DEFAULT_NAMESPACE;
    return this.read(
      query,
      ["job_summary"],
      (s) => s.jobSummary(ns, id),
      (c) => c.jobSummary(id, query),
    );
  }

  // ───────────────────────── evaluations ─────────────────────────

  evalList(query: QueryOptions): Promise<QueryResult<Evaluation[]>> {
    return this.read(
      query,
      ["evals"],
      (s) => [...s.evals()].filter((e) => matchesQuery(e.Namespace, e.ID, query)),
      (c) => c.evalList(query),
    );
  }

  evalGet(id: string, query: QueryOptions): Promise<QueryResult<Evaluation | undefined>> {
    return this.read(
      query,
      ["evals"],
      (s) => s.evalByID(id),
      (c) => c.evalGet(id, query),
    );
  }

  // ───────────────────────── scheduler workers ─────────────────────────

  evalDequeue(
    schedulers: readonly SchedulerType[],
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<DequeueResult> {
    return this.write(
      async () => {
        const got = await this.leaderDuties().dequeue(schedulers, timeoutMs, signal);
        if (got === null) return { eval: undefined, token: "", waitIndex: 0 };
        // The worker must see everything the leader has applied: the eval itself, its job, and
        // the plans of the job's earlier evals (acked only after their plans were applied here).
        const waitIndex = Math.max(got.eval.ModifyIndex, this.o.ctx.state().index);
        return { eval: got.eval, token: got.token, waitIndex };
      },
      (c) => c.evalDequeue(schedulers, timeoutMs, signal),
      true,
    );
  }

  evalAck(evalId: string, token: string): Promise<void> {
    return this.write(
      async () => this.leaderDuties().ack(evalId, token),
      (c) => c.evalAck(evalId, token),
    );
  }

  evalNack(evalId: string, token: string): Promise<void> {
    return this.write(
      async () => this.leaderDuties().nack(evalId, token),
      (c) => c.evalNack(evalId, token),
    );
  }

  evalUpsert(evals: Evaluation[], token: string, reblock: boolean): Promise<number> {
    if (!Array.isArray(evals) || evals.length === 0)
      throw new ValidationError("evals must be a non-empty list", "EvalUpsert");
    return this.write(
      async () => {
        const duties = this.leaderDuties();
        // A worker may update the eval it holds and create evals that follow from it.
        if (!evals.some((e) => duties.holds(e.ID, token))) {
          throw new StaleEvalTokenError(evals[0]?.ID ?? "", "eval upsert without an outstanding token");
        }
        const { index } = await this.propose({ type: "eval-upsert", Evals: evals });
        if (reblock) {
          for (const e of evals) duties.reblock(e, token);
        }
        return index;
      },
      (c) => c.evalUpsert(evals, token, reblock),
    );
  }

  planSubmit(plan: Plan): Promise<PlanResult> {
    return this.write(
      () => this.leaderDuties().submitPlan(plan),
      (c) => c.planSubmit(plan),
    );
  }

  gcCommit(request: GcRequest, evalId: string, token: string): Promise<number> {
    return this.write(
      () => this.leaderDuties().collectGarbage(request, evalId, token),
      (c) => c.gcCommit(request, evalId, token),
    );
  }

  // ───────────────────────── status ─────────────────────────

  async statusLeader(): Promise<{ leaderId: string; leaderRpcAddress: string }> {
    const leader = this.o.cluster.leader();
    return { leaderId: leader?.id ?? "", leaderRpcAddress: leader?.rpcAddress ?? "" };
  }

  async statusPeers(): Promise<ServerAddress[]> {
    return this.o.cluster.peers();
  }

  // ───────────────────────── variables ─────────────────────────

  varGet(namespace: string, path: string, query: QueryOptions): Promise<VarResult> {
    const ns = namespace || DEFAULT_NAMESPACE;
    return this.read(
      query,
      ["variables"],
      (s) => s.variable(ns, path),
      (c) => c.varGet(ns, path, query).then(toQueryResult),
    ).then((res) => ({ ok: res.value !== undefined, variable: res.value, conflict: false, meta: res.meta }));
  }

  varPut(
    namespace: string,
    path: string,
    items: Record<string, string>,
    casIndex: number | undefined,
  ): Promise<VarResult> {
    const ns = namespace || DEFAULT_NAMESPACE;
    validateVariable(path, items);
    return this.write(
      async () => {
        const { index, result } = await this.propose({
          type: "var-put",
          Var: { Namespace: ns, Path: path, Items: items },
          CAS: casIndex ?? null,
          Now: this.now(),
        });
        return result.ok
          ? { ok: true, variable: result.Var, conflict: false, meta: this.meta(index) }
          : { ok: false, variable: result.Current ?? undefined, conflict: true, meta: this.meta(index) };
      },
      (c) => c.varPut(ns, path, items, casIndex),
    );
  }

  varDelete(namespace: string, path: string, casIndex: number | undefined): Promise<VarResult> {
    const ns = namespace || DEFAULT_NAMESPACE;
    return this.write(
      async () => {
        const { index, result } = await this.propose({
          type: "var-delete",
          Namespace: ns,
          Path: path,
          CAS: casIndex ?? null,
        });
        return result.ok
          ? { ok: true, variable: undefined, conflict: false, meta: this.meta(index) }
          : { ok: false, variable: result.Current ?? undefined, conflict: true, meta: this.meta(index) };
      },
      (c) => c.varDelete(ns, path, casIndex),
    );
  }

  varList(query: QueryOptions): Promise<QueryResult<VariableMetadata[]>> {
    const ns = query.namespace ?? DEFAULT_NAMESPACE;
    return this.read(
      query,
      ["variables"],
      (s) => [...s.variablesByPrefix(ns, query.prefix ?? "")].map(varMetadata),
      (c) => c.varList(query),
    );
  }
}

function toQueryResult(res: VarResult): QueryResult<Variable | undefined> {
  return { value: res.variable, meta: res.meta };
}

function validateVariable(path: string, items: Record<string, string>): void {
  if (typeof path !== "string" || !VAR_PATH_RE.test(path)) {
    throw new ValidationError(`path ${JSON.stringify(path)} must match ${VAR_PATH_RE.source}`, "variable");
  }
  if (typeof items !== "object" || items === null || Object.keys(items).length === 0) {
    throw new ValidationError("Items must hold at least one key", "variable");
  }
  let size = 0;
  for (const [key, value] of Object.entries(items)) {
    if (typeof value !== "string") throw new ValidationError(`Items.${key} must be a string`, "variable");
    size += key.length + value.length;
  }
  if (size > VAR_MAX_BYTES) throw new ValidationError(`Items exceed ${VAR_MAX_BYTES} bytes`, "variable");
}

function validateNode(node: Node): Node {
  const where = "Node";
  if (typeof node !== "object" || node === null) throw new ValidationError("must be an object", where);
  for (const key of ["ID", "SecretID", "Name"] as const) {
    if (typeof node[key] !== "string" || node[key] === "")
      throw new ValidationError(`${key} must be a non-empty string`, where);
  }
  if (!NODE_STATUSES.includes(node.Status))
    throw new ValidationError(`Status must be one of ${NODE_STATUSES.join(", ")}`, where);
  const res = node.NodeResources;
  if (typeof res?.Cpu?.CpuShares !== "number" || typeof res?.Memory?.MemoryMB !== "number") {
    throw new ValidationError(
      "NodeResources.Cpu.CpuShares and NodeResources.Memory.MemoryMB are required",
      where,
    );
  }
  return node;
}
