import type { Logger } from "../common/log.js";
import { type Allocation, allocTerminal, type Job } from "../fsm/index.js";
import type { AllocWatch, ClientAllocsUpdate } from "../rpc/server-api.js";
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
  /**
   * Sends a runner's client fields to the servers again: the servers marked the allocation
   * unknown while this node was disconnected, and learn from this that it is back.
   */
  report: (fields: ReturnType<AllocRunnerHandle["clientFields"]>) => void;
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
 *
 * A stream sends each job version once. The client keeps only the jobs some runner uses, so an
 * allocation may later arrive on the same stream without a job the client dropped (a batch job
 * run again after its allocations were garbage collected): the client then watches again, and
 * the new stream's first message carries every job its allocations need.
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

  /** Every allocation held, with its job (when held) and runner. */
  entries(): Array<{ alloc: Allocation; job: Job | undefined; runner: AllocRunnerHandle }> {
    return [...this.runners.values()].map(({ alloc, runner }) => ({
      alloc,
      job: this.jobs.get(jobKey(alloc.Namespace, alloc.JobID, alloc.JobVersion)),
      runner,
    }));
  }

  /** Job versions held (for tests and stats). */
  get cachedJobs(): number {
    return this.jobs.size;
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
    let watch: AllocWatch | undefined;
    try {
      watch = this.o.servers
        .current()
        .watchClientAllocs(
          { nodeId: this.o.nodeId, secretId: this.o.secretId, minIndex: 0, stale: true },
          (update) => {
            // A message gRPC delivers after the watch was replaced or stopped is not ours to apply.
            if (this.stopped || (watch !== undefined && this.watch !== watch)) return;
            this.failures = 0;
            this.apply(update);
          },
        );
    } catch (error) {
      this.retry(address, error);
      return;
    }
    this.watch = watch;
    const current = watch;
    current.closed.then(
      () => {
        // The server ended the stream (it is shutting down): watch again, through another.
        if (this.watch === current) this.retry(address, new Error("alloc watch ended by the server"));
      },
      (error: unknown) => {
        if (this.watch === current) this.retry(address, error);
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
    const withoutJob = update.allocs.filter((alloc) => !this.upsert(alloc)).map((a) => a.ID);
    for (const id of update.removedAllocIds) this.remove(id, update.index);
    if (present !== undefined) {
      for (const id of [...this.runners.keys()]) if (!present.has(id)) this.remove(id, update.index);
    }
    this.forgetUnusedJobs();
    if (withoutJob.length === 0) return;
    if (update.full) {
      // A stream's first message carries every job it has: this server has none for these.
      this.o.logger.error({ allocs: withoutJob }, "allocations without their job; not started");
      return;
    }
    this.o.logger.info({ allocs: withoutJob }, "allocations whose job was dropped here; watching again");
    this.watchAgain();
  }

  /** Hands the allocation to its runner, or makes one; false when its job is not held. */
  private upsert(alloc: Allocation): boolean {
    const held = this.runners.get(alloc.ID);
    const job = this.jobs.get(jobKey(alloc.Namespace, alloc.JobID, alloc.JobVersion));
    if (held !== undefined) {
      if (alloc.ModifyIndex < held.alloc.ModifyIndex) return true;
      // The servers think the allocation unknown (this node was disconnected): say how it is.
      // Once that lands the servers' copy is no longer unknown, so this does not repeat.
      if (alloc.ClientStatus === "unknown") this.o.report(held.runner.clientFields());
      held.alloc = alloc;
      if (job === undefined) return false;
      held.runner.update(alloc, job);
      return true;
    }
    // An allocation already over before this client ever ran it needs no runner.
    if (allocTerminal(alloc)) return true;
    if (job === undefined) return false;
    const runner = this.o.createRunner(alloc, job);
    this.runners.set(alloc.ID, { runner, alloc });
    runner.run();
    return true;
  }

  /** A new stream from the same server (nothing went wrong with it, so no failover). */
  private watchAgain(): void {
    const watch = this.watch;
    this.watch = undefined;
    watch?.cancel();
    this.startWatch();
  }

  private remove(allocId: string, updateIndex: number): void {
    const held = this.runners.get(allocId);
    if (held === undefined || updateIndex < held.alloc.ModifyIndex) return;
    this.runners.delete(allocId);
    held.runner
      .destroy()
      .catch((error: unknown) =>
        this.o.logger.error({ err: error, alloc: allocId }, "destroying an allocation failed"),
      );
  }

  /** Keeps the job cache to the versions some runner still runs (see the class comment). */
  private forgetUnusedJobs(): void {
    const used = new Set<string>();
    for (const { alloc } of this.runners.values())
      used.add(jobKey(alloc.Namespace, alloc.JobID, alloc.JobVersion));
    for (const key of this.jobs.keys()) if (!used.has(key)) this.jobs.delete(key);
  }

  private rememberJob(job: Job): void {
    this.jobs.set(jobKey(job.Namespace, job.ID, job.Version), job);
  }
}

function jobKey(namespace: string, id: string, version: number): string {
  return `${namespace}\u0000${id}\u0000${version}`;
}
