import cliProgress from "cli-progress";
import type { AllocStub, DroverClient, Evaluation, Job } from "../http-client.js";
import { formatTime, type GroupProgress, placementFailures, progressLine, shortId } from "../output.js";

/**
 * What `job run` (and `job dispatch`, `job stop`) show after submitting: the evaluation's status
 * changes, then the allocations of each task group until they run (service, system) or finish
 * (batch, sysbatch). A progress bar per group on a TTY; elsewhere a plain line each time a group's
 * counts change. Exit codes as Nomad's: 2 when placements failed, 1 when allocations of a
 * long-running job failed, 0 otherwise.
 */

export interface MonitorOptions {
  client: DroverClient;
  tty: boolean;
  /** Full IDs in messages. */
  verbose?: boolean;
  /** How long each blocking query waits (ms); 2 s by default. */
  pollWaitMs?: number;
  write?: (text: string) => void;
}

const TERMINAL_EVAL = new Set(["complete", "failed", "canceled"]);
const FINISHED = new Set(["complete", "failed", "lost"]);

/** A one-line, timestamped monitor message: `==> time: text` for headings, indented otherwise. */
function stamp(text: string, heading: boolean): string {
  return `${heading ? "==> " : "    "}${formatTime(Date.now() * 1e6)}: ${text}`;
}

class Display {
  private bars: cliProgress.MultiBar | undefined;
  private readonly barByGroup = new Map<string, cliProgress.SingleBar>();
  private readonly lastLine = new Map<string, string>();

  constructor(
    private readonly tty: boolean,
    private readonly write: (text: string) => void,
  ) {}

  line(text: string, heading = false): void {
    const line = stamp(text, heading);
    if (this.bars !== undefined) this.bars.log(`${line}\n`);
    else this.write(`${line}\n`);
  }

  progress(groups: GroupProgress[], batch: boolean): void {
    if (!this.tty) {
      for (const p of groups) {
        const text = progressLine(p, batch);
        if (this.lastLine.get(p.group) === text) continue;
        this.lastLine.set(p.group, text);
        this.line(text);
      }
      return;
    }
    if (this.bars === undefined) {
      this.bars = new cliProgress.MultiBar(
        {
          format: `{group} [{bar}] {value}/{total} ${batch ? "finished" : "running"} | placed {placed} | healthy {healthy} | failed {failed}`,
          hideCursor: true,
          clearOnComplete: false,
          stopOnComplete: false,
          stream: process.stdout,
          barsize: 30,
        },
        cliProgress.Presets.shades_classic,
      );
    }
    const width = Math.max(...groups.map((g) => g.group.length));
    for (const p of groups) {
      const value = batch ? p.complete + p.failed : p.running;
      const payload = {
        group: p.group.padEnd(width),
        placed: p.placed,
        healthy: p.healthy,
        failed: p.failed,
      };
      const bar = this.barByGroup.get(p.group);
      if (bar === undefined) this.barByGroup.set(p.group, this.bars.create(p.desired, value, payload));
      else {
        bar.setTotal(p.desired);
        bar.update(value, payload);
      }
    }
  }

  stop(): void {
    this.bars?.stop();
    this.bars = undefined;
  }
}

/** Follows an evaluation until it is complete, failed or canceled; prints its status changes. */
async function followEval(
  client: DroverClient,
  evalId: string,
  display: Display,
  waitMs: number,
  verbose: boolean,
): Promise<Evaluation> {
  let index = 0;
  let status = "";
  for (;;) {
    const { body: evaluation, index: next } = await client.evaluation(evalId, { index, waitMs });
    if (status === "") {
      display.line(`Evaluation triggered by job "${evaluation.JobID}"`);
    }
    if (evaluation.Status !== status && status !== "") {
      display.line(`Evaluation status changed: "${status}" -> "${evaluation.Status}"`);
    }
    status = evaluation.Status;
    if (TERMINAL_EVAL.has(status)) {
      display.line(`Evaluation "${shortId(evalId, verbose)}" finished with status "${status}"`, true);
      return evaluation;
    }
    index = next;
  }
}

/** The allocations of one job version that stand for its groups now (not replaced, not stopped). */
export function currentAllocs(allocs: readonly AllocStub[], version: number): AllocStub[] {
  return allocs.filter(
    (a) => a.JobVersion === version && a.DesiredStatus === "run" && a.NextAllocation === "",
  );
}

/** Per task group counts of a job's current allocations. */
export function groupProgress(
  job: Pick<Job, "Type" | "TaskGroups">,
  allocs: readonly AllocStub[],
): GroupProgress[] {
  const perNode = job.Type === "system" || job.Type === "sysbatch";
  return job.TaskGroups.map((group) => {
    const mine = allocs.filter((a) => a.TaskGroup === group.Name);
    const count = (status: string): number => mine.filter((a) => a.ClientStatus === status).length;
    return {
      group: group.Name,
      desired: perNode ? mine.length : group.Count,
      placed: mine.length,
      running: count("running"),
      healthy: mine.filter((a) => a.DeploymentStatus?.Healthy === true).length,
      failed: count("failed") + count("lost"),
      complete: count("complete"),
    };
  });
}

/**
 * Whether every group has reached its end: all running (service, system), all finished (batch),
 * or a long-running group has failed allocations and nothing still pending.
 */
export function settled(
  job: Pick<Job, "Type">,
  groups: readonly GroupProgress[],
  allocs: readonly AllocStub[],
): boolean {
  const batch = job.Type === "batch" || job.Type === "sysbatch";
  return groups.every((g) => {
    if (g.placed < g.desired) return false;
    const mine = allocs.filter((a) => a.TaskGroup === g.group);
    if (batch) return mine.every((a) => FINISHED.has(a.ClientStatus));
    if (g.running >= g.desired) return true;
    return g.failed > 0 && mine.every((a) => a.ClientStatus !== "pending");
  });
}

/**
 * Follows a job's evaluation, then its allocations. Returns the exit code: 2 when the eval could
 * not place everything (explained from FailedTGAllocs), 1 when the eval failed or allocations of
 * a service or system job failed, 0 otherwise.
 */
export async function monitorJob(
  options: MonitorOptions & { jobId: string; evalId: string; jobModifyIndex?: number },
): Promise<number> {
  const { client } = options;
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  const verbose = options.verbose ?? false;
  const waitMs = options.pollWaitMs ?? 2_000;
  const display = new Display(options.tty, write);
  // Ctrl-C ends the monitor, not the job: put the cursor back and say where to look next.
  const interrupted = (): void => {
    display.stop();
    write(`\n==> Monitoring stopped; the job goes on (drover job status ${options.jobId})\n`);
    process.exit(130);
  };
  process.once("SIGINT", interrupted);
  try {
    display.line(`Monitoring evaluation "${shortId(options.evalId, verbose)}"`, true);
    const evaluation = await followEval(client, options.evalId, display, waitMs, verbose);
    if (evaluation.Status !== "complete") {
      display.line(
        `Evaluation ${evaluation.Status}${evaluation.StatusDescription === "" ? "" : `: ${evaluation.StatusDescription}`}`,
      );
      return 1;
    }
    const failures = placementFailures(evaluation.FailedTGAllocs);
    const job = await client.job(options.jobId);
    if (job.Stop) return 0;
    const batch = job.Type === "batch" || job.Type === "sysbatch";
    let { body: allocs, index } = await client.jobAllocations(options.jobId);
    let current = currentAllocs(allocs, job.Version);
    let groups = groupProgress(job, current);
    if (failures.length > 0) {
      display.progress(groups, batch);
      display.stop();
      display.line(`Evaluation "${shortId(evaluation.ID, verbose)}" failed to place all allocations:`, true);
      for (const line of failures) display.line(line);
      if (evaluation.BlockedEval !== "") {
        display.line(
          `Evaluation "${shortId(evaluation.BlockedEval, verbose)}" waiting for additional capacity to place remainder`,
        );
      }
      return 2;
    }
    display.line("Monitoring allocations", true);
    for (;;) {
      display.progress(groups, batch);
      if (settled(job, groups, current)) break;
      const answer = await client.jobAllocations(options.jobId, { index, waitMs });
      allocs = answer.body;
      index = answer.index;
      current = currentAllocs(allocs, job.Version);
      groups = groupProgress(job, current);
    }
    display.stop();
    const failed = groups.reduce((n, g) => n + g.failed, 0);
    const total = groups.reduce((n, g) => n + g.desired, 0);
    if (batch) {
      const complete = groups.reduce((n, g) => n + g.complete, 0);
      display.line(
        `Job "${job.ID}" finished: ${complete} of ${total} allocations complete` +
          (failed > 0 ? `, ${failed} failed` : ""),
        true,
      );
      return 0;
    }
    if (failed > 0) {
      const ids = current
        .filter((a) => a.ClientStatus === "failed" || a.ClientStatus === "lost")
        .map((a) => a.ID);
      display.line(`Job "${job.ID}" has ${failed} failed allocation(s) of ${total}`, true);
      for (const id of ids) display.line(`see: drover alloc status ${shortId(id, verbose)}`);
      return 1;
    }
    const running = groups.reduce((n, g) => n + g.running, 0);
    display.line(`Job "${job.ID}" is running: ${running} of ${total} allocations running`, true);
    return 0;
  } finally {
    process.off("SIGINT", interrupted);
    display.stop();
  }
}

/** Follows only the evaluation (job stop): 1 when it failed. */
export async function monitorEvalOnly(options: MonitorOptions & { evalId: string }): Promise<number> {
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  const display = new Display(false, write);
  const verbose = options.verbose ?? false;
  display.line(`Monitoring evaluation "${shortId(options.evalId, verbose)}"`, true);
  const evaluation = await followEval(
    options.client,
    options.evalId,
    display,
    options.pollWaitMs ?? 2_000,
    verbose,
  );
  return evaluation.Status === "complete" ? 0 : 1;
}
