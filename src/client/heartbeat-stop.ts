import type { Logger } from "../common/log.js";
import type { Allocation, Job } from "../fsm/index.js";
import type { AllocRunnerHandle } from "./allocrunner/alloc-runner-api.js";

export interface HeartbeatStopOptions {
  /** Unix time in ms (the real clock on the agent; tests pass their own). */
  nowMs: () => number;
  logger: Logger;
  /** The allocations this client runs now, each with its job and runner. */
  allocs: () => Iterable<{ alloc: Allocation; job: Job | undefined; runner: AllocRunnerHandle }>;
}

/** The reason the tasks were stopped, as the task events and logs show it. */
export const HEARTBEAT_STOP_REASON = "no server reachable for longer than the group's stop_on_client_after";

/**
 * Nomad's heartbeatStop: a client that cannot reach any server stops the allocations whose group
 * says so (`disconnect.stop_on_client_after`, or the older `stop_after_client_disconnect`) once
 * that long has passed since a server last answered — the servers will have replaced them by
 * then, and two copies must not run (invariant 8). What stopped is reported as usual: the status
 * reporter keeps the updates until a server answers again.
 *
 * Time comes from `nowMs` and checks run when `check()` is called, so tests drive both.
 */
export class HeartbeatStop {
  private lastContactMs: number;
  private readonly stopped = new Set<string>();

  constructor(private readonly o: HeartbeatStopOptions) {
    this.lastContactMs = o.nowMs();
  }

  /** A server answered (a registration or a heartbeat). */
  contact(): void {
    this.lastContactMs = this.o.nowMs();
  }

  /** Milliseconds since a server last answered. */
  get silentMs(): number {
    return this.o.nowMs() - this.lastContactMs;
  }

  /** Stops every allocation whose stop_on_client_after has passed; answers the ones stopped now. */
  check(): string[] {
    const silentNs = this.silentMs * 1e6;
    const stoppedNow: string[] = [];
    for (const { alloc, job, runner } of this.o.allocs()) {
      if (this.stopped.has(alloc.ID) || runner.terminal || alloc.DesiredStatus !== "run") continue;
      const group = job?.TaskGroups.find((g) => g.Name === alloc.TaskGroup);
      const stopAfter = group?.Disconnect?.StopOnClientAfter ?? null;
      if (stopAfter === null || silentNs < stopAfter) continue;
      this.stopped.add(alloc.ID);
      stoppedNow.push(alloc.ID);
      this.o.logger.warn(
        { alloc: alloc.ID, silentMs: this.silentMs, stopAfterMs: stopAfter / 1e6 },
        "no server reachable for too long; stopping the allocation's tasks",
      );
      runner
        .stop(HEARTBEAT_STOP_REASON)
        .catch((error: unknown) =>
          this.o.logger.error({ err: error, alloc: alloc.ID }, "heartbeat stop failed"),
        );
    }
    return stoppedNow;
  }
}
