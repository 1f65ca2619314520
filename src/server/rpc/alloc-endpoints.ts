import { NotFoundError, PreconditionError, ValidationError } from "../../common/errors.js";
import type { AllocClientUpdate } from "../../fsm/commands.js";
import {
  type Allocation,
  type AllocClientStatus,
  type Evaluation,
  type Job,
  needsReconnect,
  type StateReader,
} from "../../fsm/index.js";
import type {
  AllocClientFields,
  AllocWatch,
  ClientAllocsUpdate,
  QueryOptions,
  QueryResult,
  ServerApi,
} from "../../rpc/server-api.js";
import { jobEvaluation } from "../new-evaluation.js";
import type { AllocChanges } from "./alloc-watch-hub.js";
import { type EndpointContext, matchesQuery } from "./endpoint-context.js";
import { WriteBatcher } from "./write-batcher.js";

/** The fields of an allocation whose change a client must be told about. */
interface SentAlloc {
  allocModifyIndex: number;
  desiredStatus: Allocation["DesiredStatus"];
  migrate: Allocation["DesiredTransition"]["Migrate"];
}

const CLIENT_STATUSES: readonly AllocClientStatus[] = [
  "pending",
  "running",
  "complete",
  "failed",
  "lost",
  "unknown",
];

type AllocApi = Pick<ServerApi, "watchClientAllocs" | "allocClientUpdate" | "allocList" | "allocGet">;

/**
 * The allocation endpoints: what a client is told about its node's allocations (the alloc watch),
 * what it reports back (client updates, batched into one Raft entry per window on the leader),
 * and the alloc list for operators.
 */
export class AllocEndpoints implements AllocApi {
  /** Client updates waiting for the next batch; shared with the localOnly() view (one batcher). */
  readonly updates: WriteBatcher<AllocClientUpdate>;

  constructor(
    private readonly c: EndpointContext,
    updates?: WriteBatcher<AllocClientUpdate>,
  ) {
    this.updates =
      updates ??
      new WriteBatcher((items) => this.flushAllocUpdates(items), c.options.allocUpdateWindowMs ?? 50, 2000);
  }

  /**
   * Streams a node's allocations from this server's local state (any server may serve a client;
   * a lagging follower catches up and pushes). Sends the full set first, then on every write that
   * touches the node (AllocWatchHub) the allocations whose server-side fields changed and the ids
   * that disappeared. A client's own status reports are not echoed back.
   */
  watchClientAllocs(
    request: { nodeId: string; secretId: string; minIndex: number; stale: boolean },
    onUpdate: (update: ClientAllocsUpdate) => void | Promise<void>,
  ): AllocWatch {
    const node = this.c.state().nodeByID(request.nodeId);
    if (node === undefined) throw new NotFoundError(`node ${request.nodeId} not found`);
    if (node.SecretID !== request.secretId)
      throw new PreconditionError(`node ${request.nodeId}: wrong SecretID`);
    /**
     * What this client was last sent of each allocation of its node, by ID: only the fields whose
     * change it must hear about (not the allocation object, which would hold every allocation of
     * every watched node in memory twice).
     */
    const sent = new Map<string, SentAlloc>();
    const sentJobs = new Set<string>();
    let first = true;
    let cancelled = false;
    let resolveClosed: () => void = () => {};
    const closed = new Promise<void>((resolve) => {
      resolveClosed = resolve;
    });
    const look = (alloc: Allocation, changed: Allocation[]): void => {
      const prev = sent.get(alloc.ID);
      // Only server-side changes matter to the client, not its own status reports coming back.
      if (
        prev !== undefined &&
        prev.allocModifyIndex === alloc.AllocModifyIndex &&
        prev.desiredStatus === alloc.DesiredStatus &&
        prev.migrate === alloc.DesiredTransition.Migrate
      ) {
        return;
      }
      sent.set(alloc.ID, {
        allocModifyIndex: alloc.AllocModifyIndex,
        desiredStatus: alloc.DesiredStatus,
        migrate: alloc.DesiredTransition.Migrate,
      });
      if (first && request.minIndex > 0 && alloc.ModifyIndex <= request.minIndex) return;
      // Placement metrics (scores of every node considered) are for operators, not clients.
      changed.push(alloc.Metrics === null ? alloc : { ...alloc, Metrics: null });
    };
    /**
     * A push is still being sent (its promise is pending): wake-ups meanwhile only collect what
     * to look at, which goes back to the hub when the push settles. So a client that reads
     * slowly costs at most one message in the server's buffers, not one per wake-up: a leader
     * buffered over a gigabyte of pushes for the watch streams of simulated clients at C1M scale.
     */
    let sending = false;
    let held: Set<string> | "all" | undefined;
    const push = (changes: AllocChanges): void => {
      if (cancelled) return;
      if (sending) {
        if (changes === "all" || held === "all") held = "all";
        else {
          held ??= new Set();
          for (const id of changes) held.add(id);
        }
        return;
      }
      const state = this.c.state();
      const changed: Allocation[] = [];
      const removed: string[] = [];
      if (first || changes === "all") {
        const allocs = state.allocsByNode(request.nodeId);
        for (const alloc of allocs) look(alloc, changed);
        if (sent.size > allocs.length) {
          const present = new Set(allocs.map((a) => a.ID));
          for (const id of sent.keys()) if (!present.has(id)) removed.push(id);
          for (const id of removed) sent.delete(id);
        }
      } else {
        // Only what the applied entries wrote on this node (the hub's hints).
        for (const id of changes) {
          const alloc = state.allocByID(id);
          if (alloc !== undefined && alloc.NodeID === request.nodeId) look(alloc, changed);
          else if (sent.delete(id)) removed.push(id);
        }
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
      const leaving = onUpdate({
        index: state.index,
        full: first,
        allocs: changed,
        jobs,
        removedAllocIds: removed,
      });
      first = false;
      if (leaving === undefined) return;
      sending = true;
      const settled = (): void => {
        sending = false;
        const again = held;
        held = undefined;
        if (again !== undefined && !cancelled) this.c.hub.requeue(request.nodeId, again);
      };
      leaving.then(settled, settled);
    };
    // The hub coalesces the wake-ups of a burst of applied entries and spreads the streams it
    // wakes over turns; it also makes the first (full) push.
    const unsubscribe = this.c.hub.watch(request.nodeId, push);
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
    return this.c.write(
      async () => {
        this.c.leaderDuties();
        let built = this.clientUpdates(allocs, nodeSecrets, this.c.state());
        if (built.missing > 0) {
          // The client may have learned of an alloc from a follower that applied its plan before
          // this leader's (asynchronous) apply did: catch up to everything committed, then look
          // again. What is still missing was garbage collected: nothing to update.
          await this.c.server.barrier();
          built = this.clientUpdates(allocs, nodeSecrets, this.c.state());
        }
        return built.updates.length === 0 ? this.c.state().index : this.updates.add(built.updates);
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
    const now = this.c.now();
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

  /**
   * One Raft entry for a window of client updates, with evals for jobs whose allocs failed, and
   * for jobs whose unknown allocs were reported again (a disconnected client is back: Nomad's
   * reconnect eval, so the reconciler picks between the original and its replacement).
   */
  private async flushAllocUpdates(updates: AllocClientUpdate[]): Promise<number> {
    const state = this.c.state();
    const now = this.c.now();
    const evals: Evaluation[] = [];
    const jobs = new Set<string>();
    for (const update of updates) {
      const alloc = state.allocByID(update.ID);
      if (alloc === undefined || alloc.DesiredStatus !== "run") continue;
      const reconnected = needsReconnect(alloc) && update.ClientStatus !== "unknown";
      if (update.ClientStatus !== "failed" && !reconnected) continue;
      const key = `${alloc.Namespace}\u0000${alloc.JobID}`;
      const job = state.jobByID(alloc.Namespace, alloc.JobID);
      if (jobs.has(key) || job === undefined || job.Stop) continue;
      jobs.add(key);
      evals.push(jobEvaluation(job, update.ClientStatus === "failed" ? "alloc-failure" : "reconnect", now));
    }
    return (await this.c.propose({ type: "alloc-client-update", Allocs: updates, Evals: evals })).index;
  }

  allocList(query: QueryOptions): Promise<QueryResult<Allocation[]>> {
    return this.c.read(
      query,
      ["allocs"],
      (s) => [...s.allocs()].filter((a) => matchesQuery(a.Namespace, a.ID, query)),
      (c) => c.allocList(query),
    );
  }

  allocGet(id: string, query: QueryOptions): Promise<QueryResult<Allocation | undefined>> {
    return this.c.read(
      query,
      ["allocs"],
      (s) => s.allocByID(id),
      (c) => c.allocGet(id, query),
    );
  }
}
