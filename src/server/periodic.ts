import { Cron } from "croner";
import { ValidationError } from "../common/errors.js";
import type { JobRegisterCommand } from "../fsm/commands.js";
import type { Job, Nanos } from "../fsm/structs.js";
import type { CancelTimer } from "./clock.js";
import type { ServerContext } from "./context.js";
import { jobEvaluation } from "./new-evaluation.js";

/** Node timers cannot wait longer than ~24.8 days; longer waits re-arm in steps. */
const MAX_TIMER_MS = 24 * 60 * 60 * 1000;

interface Tracked {
  readonly job: Job;
  readonly cron: Cron;
  cancel: CancelTimer;
}

const jobKey = (namespace: string, id: string): string => `${namespace}\u0000${id}`;

const PERIODIC_CHILD_INFIX = "/periodic-";

/** The id of the child launched at `launchMs` (Nomad: `<parent>/periodic-<unix seconds>`). */
export function periodicChildId(parentId: string, launchMs: number): string {
  return `${parentId}${PERIODIC_CHILD_INFIX}${Math.floor(launchMs / 1000)}`;
}

/** The launch time (ms, whole seconds) a periodicChildId() names; undefined for other ids. */
function periodicChildLaunchMs(parentId: string, childId: string): number | undefined {
  const prefix = `${parentId}${PERIODIC_CHILD_INFIX}`;
  return childId.startsWith(prefix) ? Number(childId.slice(prefix.length)) * 1000 : undefined;
}

/** A parsed cron schedule for a periodic job; throws ValidationError when the spec is bad. */
export function periodicCron(job: Job): Cron {
  const periodic = job.Periodic;
  if (periodic === null) throw new ValidationError("job is not periodic", `job ${job.ID}`);
  try {
    return new Cron(periodic.Spec, {
      paused: true,
      ...(periodic.TimeZone !== "" ? { timezone: periodic.TimeZone } : {}),
    });
  } catch (error) {
    throw new ValidationError(
      `invalid cron spec ${JSON.stringify(periodic.Spec)}: ${String(error)}`,
      `job ${job.ID}.periodic`,
    );
  }
}

/**
 * The leader's periodic dispatcher (Nomad's periodic.go): for every periodic job it arms a timer
 * for the next cron time, and when it fires registers a child job `<parent>/periodic-<unix>`
 * with an eval. With prohibit_overlap, a launch is skipped while an earlier child still runs.
 * Tracked jobs come from state on gaining leadership and from job registrations afterwards.
 */
export class PeriodicDispatcher {
  private enabled = false;
  private readonly tracked = new Map<string, Tracked>();
  private launches = 0;

  constructor(private readonly ctx: ServerContext) {}

  /** On gaining leadership: track every periodic job in state. On losing it: forget them all. */
  setEnabled(enabled: boolean): void {
    this.enabled = enabled;
    for (const t of this.tracked.values()) t.cancel();
    this.tracked.clear();
    if (!enabled) return;
    for (const job of this.ctx.state().jobs()) {
      this.add(job);
      this.catchUp(job);
    }
  }

  /**
   * On gaining leadership (Nomad's periodic force-run): if the job's latest cron time passed while
   * no leader launched it (a leader change at the wrong moment), launch it now, once.
   */
  private catchUp(job: Job): void {
    const tracked = this.tracked.get(jobKey(job.Namespace, job.ID));
    if (tracked === undefined) return;
    const nowMs = this.ctx.clock.now() / 1e6;
    const previous = tracked.cron.previousRuns(1, new Date(nowMs))[0];
    if (previous === undefined) return;
    const launchMs = previous.getTime();
    // Only launches due after the job was submitted, and not already made.
    if (launchMs * 1e6 < job.SubmitTime) return;
    this.launch(job, launchMs);
  }

  /** Tracks (or re-tracks after an update) a job; ignores jobs that are not periodic or are stopped. */
  add(job: Job): void {
    if (!this.enabled) return;
    this.remove(job.Namespace, job.ID);
    if (job.Periodic === null || !job.Periodic.Enabled || job.Stop || job.ParentID !== "") return;
    let cron: Cron;
    try {
      cron = periodicCron(job);
    } catch (error) {
      this.ctx.logger.error(
        { jobId: job.ID, err: error },
        "periodic job has an invalid schedule; not tracked",
      );
      return;
    }
    const tracked: Tracked = { job, cron, cancel: () => {} };
    this.tracked.set(jobKey(job.Namespace, job.ID), tracked);
    this.armNext(tracked);
  }

  remove(namespace: string, id: string): void {
    const key = jobKey(namespace, id);
    this.tracked.get(key)?.cancel();
    this.tracked.delete(key);
  }

  /** Jobs tracked and launches proposed so far (for tests and status). */
  stats(): { tracked: number; launches: number } {
    return { tracked: this.tracked.size, launches: this.launches };
  }

  /** When the job launches next (Unix ms), or null when its schedule has no future time. */
  nextLaunchMs(job: Job, afterMs: number): number | null {
    return periodicCron(job).nextRun(new Date(afterMs))?.getTime() ?? null;
  }

  private armNext(tracked: Tracked): void {
    const nowMs = this.ctx.clock.now() / 1e6;
    const next = tracked.cron.nextRun(new Date(nowMs));
    if (next === null) return;
    const launchMs = next.getTime();
    const waitMs = launchMs - nowMs;
    if (waitMs > MAX_TIMER_MS) {
      tracked.cancel = this.ctx.clock.setTimeout(() => this.armNext(tracked), MAX_TIMER_MS);
      return;
    }
    tracked.cancel = this.ctx.clock.setTimeout(() => {
      if (this.tracked.get(jobKey(tracked.job.Namespace, tracked.job.ID)) !== tracked) return;
      this.launch(tracked.job, launchMs);
      this.armNext(tracked);
    }, waitMs);
  }

  private launch(parent: Job, launchMs: number): void {
    const state = this.ctx.state();
    if (parent.Periodic?.ProhibitOverlap === true) {
      for (const child of state.jobsByParent(parent.Namespace, parent.ID)) {
        if (child.Status !== "dead") {
          this.ctx.logger.info(
            { jobId: parent.ID, running: child.ID },
            "periodic launch skipped: overlap prohibited",
          );
          return;
        }
      }
    }
    const childId = periodicChildId(parent.ID, launchMs);
    if (state.jobByID(parent.Namespace, childId) !== undefined) return;
    // A child launched at this time or later means this launch was made (or superseded).
    for (const child of state.jobsByParent(parent.Namespace, parent.ID)) {
      const launchedMs = periodicChildLaunchMs(parent.ID, child.ID);
      if (launchedMs !== undefined && launchedMs >= launchMs) return;
    }
    const now = this.ctx.clock.now();
    const command = childJobCommand(parent, childId, now, "periodic-job", {});
    this.launches++;
    this.ctx.propose(command).then(
      () => {},
      (error: unknown) =>
        this.ctx.logger.error({ jobId: parent.ID, childId, err: error }, "periodic launch failed"),
    );
  }
}

/**
 * The registration of a child of a periodic or parameterized job: the parent's spec under a new
 * id, no longer periodic or parameterized, with an eval to schedule it.
 */
export function childJobCommand(
  parent: Job,
  childId: string,
  now: Nanos,
  trigger: "periodic-job" | "job-register",
  fields: Partial<Job>,
): JobRegisterCommand {
  const child: Job = {
    ...parent,
    ID: childId,
    Name: childId,
    ParentID: parent.ID,
    Periodic: null,
    ParameterizedJob: null,
    Dispatched: false,
    Payload: "",
    Stop: false,
    Status: "pending",
    StatusDescription: "",
    Stable: false,
    Version: 0,
    SubmitTime: now,
    CreateIndex: 0,
    ModifyIndex: 0,
    JobModifyIndex: 0,
    ...fields,
  };
  const evaluation = jobEvaluation(child, trigger, now);
  return { type: "job-register", Job: child, Eval: evaluation };
}
