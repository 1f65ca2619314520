import { type Allocation, allocTerminal, type Job } from "../fsm/index.js";
import type { AllocWatch, ClientAllocsUpdate } from "../rpc/server-api.js";
import type { Logger } from "../shared/log.js";
import type { AllocRunnerHandle } from "./allocrunner/alloc-runner-api.js";
import type { ServerList } from "./servers/server-list.js";
import type { StoredAlloc } from "./state/client-state-db.js";

export interface AllocSyncOptions {
  servers: ServerList;
  nodeId: string;
  secretId: string;
  logger: Logger;
  /** Makes the runner of an allocation this client has not seen before. */
  createRunner: (alloc: Allocation, job: Job) => AllocRunnerHandle;
}

/**
 * Follows the node's allocations (the NodeGetClientAllocs stream of any server) and keeps one
 * alloc runner per allocation: new allocations get a runner that starts their tasks, changed
 * ones are handed to their runner (which stops tasks the servers want stopped), and allocations
 * the servers garbage collected are destroyed here too. It owns the map of runners.
 *
 * A client may be switched to a server whose state lags the one it watched before. So an
 * allocation missing from a full update is removed only when that update's index is at least
 * the allocation's own ModifyIndex (the server had the allocation's latest version, and no longer
 * has the allocation), and an older version of an allocation never replaces a newer one.
 */
export class AllocSync {
  private readonly runners = new Map<string, { runner: AllocRunnerHandle; alloc: Allocation }>();
  /** Jobs by namespace/id/version, as the watch sends each once. */
  private readonly jobs = new Map<string, Job>();
  private watch: AllocWatch | undefined;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private failures = 0;

  constructor(private readonly o: AllocSyncOptions) {}

  /** Adopts the runners restored from the state DB (before the first watch message). */
  adopt(stored: StoredAlloc, runner: AllocRunnerHandle): void {
    this.rememberJob(stored.job);
    this.runners.set(stored.alloc.ID, { runner, alloc: stored.alloc });
  }

  start(): void {
    this.startWatch();
  }

  runner(allocId: string): AllocRunnerHandle | undefined {
    return this.runners.get(allocId)?.runner;
  }

  allRunners(): AllocRunnerHandle[] {
    return [...this.runners.values()].map((r) => r.runner);
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    const watch = this.watch;
    this.watch = undefined;
    watch?.cancel();
  }

  private startWatch(): void {
    if (this.stopped) return;
    const address = this.o.servers.currentAddress();
    let watch: AllocWatch;
    try {
      watch = this.o.servers
        .current()
        .watchClientAllocs(
          { nodeId: this.o.nodeId, secretId: this.o.secretId, minIndex: 0, stale: true },
          (update) => {
            this.failures = 0;
            this.apply(update);
          },
        );
    } catch (error) {
      this.retry(address, error);
      return;
    }
    this.watch = watch;
    watch.closed.then(
      () => {
        // The server ended the stream (it is shutting down): watch again, through another.
        if (this.watch === watch) this.retry(address, new Error("alloc watch ended by the server"));
      },
      (error: unknown) => {
        if (this.watch === watch) this.retry(address, error);
      },
    );
  }

  private retry(address: string, error: unknown): void {
    this.watch = undefined;
    if (this.stopped) return;
    this.o.servers.failover(address, error);
    this.failures++;
    const delay = Math.min(100 * 2 ** Math.min(this.failures, 6), 5000);
    if (this.failures % 10 === 1) this.o.logger.warn({ err: error }, "alloc watch failed; watching again");
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.startWatch();
    }, delay);
  }

  private apply(update: ClientAllocsUpdate): void {
    for (const job of update.jobs) this.rememberJob(job);
    const present = update.full ? new Set(update.allocs.map((a) => a.ID)) : undefined;
    for (const alloc of update.allocs) this.upsert(alloc);
    for (const id of update.removedAllocIds) this.remove(id, update.index);
    if (present !== undefined) {
      for (const id of [...this.runners.keys()]) if (!present.has(id)) this.remove(id, update.index);
    }
  }

  private upsert(alloc: Allocation): void {
    const held = this.runners.get(alloc.ID);
    const job = this.jobs.get(jobKey(alloc.Namespace, alloc.JobID, alloc.JobVersion));
    if (held !== undefined) {
      if (alloc.ModifyIndex < held.alloc.ModifyIndex) return;
      held.alloc = alloc;
      if (job !== undefined) held.runner.update(alloc, job);
      return;
    }
    // An allocation already over before this client ever ran it needs no runner.
    if (allocTerminal(alloc)) return;
    if (job === undefined) {
      this.o.logger.error({ alloc: alloc.ID, job: alloc.JobID }, "allocation without its job; not started");
      return;
    }
    const runner = this.o.createRunner(alloc, job);
    this.runners.set(alloc.ID, { runner, alloc });
    runner.run();
  }

  private remove(allocId: string, updateIndex: number): void {
    const held = this.runners.get(allocId);
    if (held === undefined || updateIndex < held.alloc.ModifyIndex) return;
    this.runners.delete(allocId);
    this.forgetJobUnlessUsed(held.alloc);
    held.runner
      .destroy()
      .catch((error: unknown) =>
        this.o.logger.error({ err: error, alloc: allocId }, "destroying an allocation failed"),
      );
  }

  /** Keeps the job cache to the versions some runner still runs. */
  private forgetJobUnlessUsed(gone: Allocation): void {
    for (const { alloc } of this.runners.values()) {
      if (
        alloc.Namespace === gone.Namespace &&
        alloc.JobID === gone.JobID &&
        alloc.JobVersion === gone.JobVersion
      )
        return;
    }
    this.jobs.delete(jobKey(gone.Namespace, gone.JobID, gone.JobVersion));
  }

  private rememberJob(job: Job): void {
    this.jobs.set(jobKey(job.Namespace, job.ID, job.Version), job);
  }
}

function jobKey(namespace: string, id: string, version: number): string {
  return `${namespace}\u0000${id}\u0000${version}`;
}
