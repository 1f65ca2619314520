import { msToNs, nsToMs } from "../../common/duration.js";
import { NotFoundError } from "../../common/errors.js";
import type { Logger } from "../../common/log.js";
import type {
  Allocation,
  AllocDeploymentStatus,
  Job,
  Nanos,
  TaskGroup,
  UpdateStrategy,
} from "../../fsm/index.js";
import type { AllocClientFields } from "../../rpc/server-api.js";
import { readTaskLogs } from "../logs/log-reader.js";
import { LogRotator } from "../logs/log-rotator.js";
import { AllocDir } from "./alloc-dir.js";
import type { AllocRunnerDeps, AllocRunnerHandle, LogFrame, LogRequest } from "./alloc-runner-api.js";
import { allocClientStatus } from "./alloc-status.js";
import { evaluateHealth, healthStrategy } from "./health-tracker.js";
import {
  type CoordinatedTask,
  type KillCause,
  killOrder,
  killWaves,
  tasksToStart,
} from "./task-coordinator.js";
import { taskEvents } from "./task-events.js";
import { type TaskRole, taskRole } from "./task-roles.js";
import { type TaskRecord, TaskRunner } from "./task-runner.js";

interface TaskEntry {
  runner: TaskRunner;
  role: TaskRole;
  leader: boolean;
  rotator: LogRotator;
}

/** Deployment health being watched: since when, and the timer of the next look. */
interface HealthWatch {
  strategy: UpdateStrategy;
  since: Nanos;
  timer: NodeJS.Timeout | undefined;
}

/**
 * Runs one allocation on this client (Nomad's allocRunner): its directory, one TaskRunner and one
 * LogRotator per task, the lifecycle order between tasks, the alloc's ClientStatus and deployment
 * health, and what it reports to the servers.
 *
 * The agent creates it with `new AllocRunner(deps, alloc, job)` and then calls either `run()` (an
 * allocation new to this client) or `restore()` (one found in the state DB at agent start).
 *
 * Invariants:
 * - Every reaction to a task's state change happens synchronously in `reconcile()` (which tasks
 *   start, which are killed, health, the report): no await between seeing a change and acting.
 * - A task is started at most once by this runner (TaskRunner restarts itself by policy), and
 *   never after it was marked for killing.
 * - Reports to `deps.onUpdate` are coalesced: all changes of one event-loop turn make one report,
 *   and a report equal to the previous one is not sent.
 */
export class AllocRunner implements AllocRunnerHandle {
  readonly allocId: string;
  private alloc: Allocation;
  private job: Job;
  private readonly group: TaskGroup | undefined;
  private readonly allocDir: AllocDir;
  private readonly tasks = new Map<string, TaskEntry>();
  private readonly logger: Logger;
  /** run() or restore() was called. */
  private begun = false;
  /** The alloc dir exists and restored tasks were re-attached: tasks may start. */
  private ready = false;
  private stopping = false;
  private runPoststop = true;
  private destroyed = false;
  /** shutdown(): the agent is going away; the tasks keep running and nothing more is reported. */
  private detached = false;
  /** Tasks this runner decided to kill (their kill may still be waiting for an earlier wave). */
  private readonly doomed = new Set<string>();
  /** Set when the alloc failed outside its tasks (alloc dir, unknown group). */
  private forcedStatus: { ClientStatus: "failed"; ClientDescription: string } | undefined;
  private health: HealthWatch | undefined;
  private deploymentStatus: AllocDeploymentStatus | undefined;
  private reconciling = false;
  private reconcileAgain = false;
  private terminalHandled = false;
  private updateScheduled = false;
  private lastReport = "";
  private readonly allDone: Promise<void>;

  constructor(
    private readonly deps: AllocRunnerDeps,
    alloc: Allocation,
    job: Job,
  ) {
    this.allocId = alloc.ID;
    this.alloc = alloc;
    this.job = job;
    this.logger = deps.logger.child({ alloc: alloc.ID });
    this.allocDir = new AllocDir(deps.allocRoot, alloc.ID);
    this.group = job.TaskGroups.find((g) => g.Name === alloc.TaskGroup);
    if (this.group === undefined) {
      this.forcedStatus = {
        ClientStatus: "failed",
        ClientDescription: `task group ${JSON.stringify(alloc.TaskGroup)} not found in job`,
      };
    }
    for (const task of this.group?.Tasks ?? [])
      this.tasks.set(task.Name, this.newTask(this.group as TaskGroup, task));
    this.allDone = Promise.all([...this.tasks.values()].map((t) => t.runner.done)).then(() => {});
  }

  get terminal(): boolean {
    return [...this.tasks.values()].every((t) => t.runner.dead);
  }

  run(): void {
    if (this.begun || this.stopping) return;
    this.begun = true;
    for (const { runner } of this.tasks.values()) runner.receive();
    this.persistAlloc();
    this.watchHealth();
    this.track(this.prepare(new Map()), "starting the allocation");
  }

  async restore(): Promise<void> {
    if (this.begun || this.stopping) return;
    this.begun = true;
    const records = await this.deps.state.tasks<TaskRecord>(this.allocId);
    // Nomad watches health again from the restore: the earlier run's progress is not kept.
    this.watchHealth();
    await this.prepare(records);
    if (this.alloc.DesiredStatus !== "run") this.beginStop(true);
  }

  update(alloc: Allocation, job: Job): void {
    if (this.destroyed) return;
    const newDeployment = alloc.DeploymentID !== this.alloc.DeploymentID;
    this.alloc = alloc;
    this.job = job;
    this.persistAlloc();
    if (newDeployment) {
      this.deploymentStatus = undefined;
      this.watchHealth();
    }
    if (alloc.DesiredStatus !== "run") {
      this.logger.info({ desired: alloc.DesiredStatus }, "the servers stopped the allocation");
      this.beginStop(true);
    }
    this.reconcile();
  }

  async stop(reason: string): Promise<void> {
    this.logger.info({ reason }, "stopping the allocation");
    this.beginStop(true);
    await this.allDone;
  }

  async destroy(): Promise<void> {
    this.beginStop(false);
    await this.allDone;
    this.destroyed = true;
    await Promise.all([...this.tasks.values()].map((t) => t.rotator.stop()));
    await Promise.all([...this.tasks.values()].map((t) => t.runner.cleanup()));
    await this.allocDir.destroy();
    await this.deps.state.deleteAlloc(this.allocId);
  }

  /**
   * The agent shuts down without stopping the tasks (they keep running and a later `restore()`
   * re-attaches to them): stops watching, rotating logs and reporting.
   */
  async shutdown(): Promise<void> {
    this.detached = true;
    this.cancelHealth();
    for (const { runner } of this.tasks.values()) runner.shutdown();
    await Promise.all([...this.tasks.values()].map((t) => t.rotator.stop()));
  }

  clientFields(): AllocClientFields {
    const entries = [...this.tasks.entries()];
    const status =
      this.forcedStatus ??
      allocClientStatus(entries.map(([, t]) => ({ role: t.role, state: t.runner.state })));
    const fields: AllocClientFields = {
      ID: this.allocId,
      NodeID: this.alloc.NodeID,
      ...status,
      TaskStates: Object.fromEntries(entries.map(([name, t]) => [name, t.runner.state])),
      ModifyTime: this.nowNs(),
    };
    const deployment = this.deploymentStatus ?? this.alloc.DeploymentStatus;
    if (deployment !== null) fields.DeploymentStatus = deployment;
    return fields;
  }

  logs(request: LogRequest): AsyncIterable<LogFrame> {
    const entry = this.tasks.get(request.task);
    if (entry === undefined)
      throw new NotFoundError(`task ${JSON.stringify(request.task)} not found in allocation ${this.allocId}`);
    return readTaskLogs({
      logDir: this.allocDir.logDir,
      task: request.task,
      type: request.type,
      origin: request.origin,
      offset: request.offset,
      follow: request.follow,
      signal: request.signal,
      taskDone: entry.runner.done,
    });
  }

  // ───────────────────────── setup ─────────────────────────

  private newTask(group: TaskGroup, task: TaskGroup["Tasks"][number]): TaskEntry {
    const rotator = new LogRotator({
      logDir: this.allocDir.logDir,
      task: task.Name,
      maxFiles: task.LogConfig.MaxFiles,
      maxFileSizeMB: task.LogConfig.MaxFileSizeMB,
      logger: this.logger,
    });
    const runner = new TaskRunner({
      deps: this.deps,
      alloc: this.alloc,
      job: this.job,
      group,
      task,
      driver: this.deps.drivers.get(task.Driver),
      allocDir: this.allocDir,
      logs: { stdoutPath: rotator.stdoutPath, stderrPath: rotator.stderrPath },
      onStateChange: () => this.reconcile(),
    });
    return { runner, role: taskRole(task), leader: task.Leader, rotator };
  }

  /** Builds the alloc dir, starts log rotation, re-attaches restored tasks, then lets tasks start. */
  private async prepare(records: ReadonlyMap<string, TaskRecord>): Promise<void> {
    try {
      await this.allocDir.build();
    } catch (error) {
      this.failSetup(
        `failed to build the allocation directory: ${error instanceof Error ? error.message : String(error)}`,
      );
      return;
    }
    for (const { rotator } of this.tasks.values()) rotator.start();
    const restoring: Array<Promise<void>> = [];
    for (const [name, { runner }] of this.tasks) {
      const record = records.get(name);
      if (record !== undefined) restoring.push(runner.restore(record));
      else runner.receive();
    }
    await Promise.all(restoring);
    this.ready = true;
    this.reconcile();
  }

  private failSetup(description: string): void {
    this.logger.error(description);
    this.forcedStatus = { ClientStatus: "failed", ClientDescription: description };
    const now = this.nowNs();
    for (const { runner } of this.tasks.values()) runner.emit(taskEvents.setupFailure(now, description));
    this.beginStop(false);
  }

  // ───────────────────────── reacting to task changes ─────────────────────────

  /** Everything that follows from the tasks' current states, synchronously; re-entrant calls are folded in. */
  private reconcile(): void {
    if (this.detached) return;
    if (this.reconciling) {
      this.reconcileAgain = true;
      return;
    }
    this.reconciling = true;
    try {
      do {
        this.reconcileAgain = false;
        this.reconcileOnce();
      } while (this.reconcileAgain);
    } finally {
      this.reconciling = false;
    }
  }

  private reconcileOnce(): void {
    const order = killOrder(this.coordinated());
    if (order !== undefined) this.killTasks(order.targets, order.cause);
    if (this.ready) {
      const options = { stopping: this.stopping, runPoststop: this.runPoststop };
      for (const name of tasksToStart(this.coordinated(), options)) {
        this.tasks.get(name)?.runner.run();
      }
    }
    this.checkHealth();
    this.scheduleUpdate();
    if (this.terminal) this.onTerminal();
  }

  private coordinated(): CoordinatedTask[] {
    return [...this.tasks.entries()].map(([name, t]) => ({
      name,
      role: t.role,
      leader: t.leader,
      state: t.runner.state,
      started: t.runner.started,
      killing: t.runner.killing || this.doomed.has(name),
    }));
  }

  private anyLaunched(): boolean {
    return [...this.tasks.values()].some((t) => t.role !== "poststop" && t.runner.launched);
  }

  /**
   * Stops the tasks and, when `runPoststop` and something of the alloc ran here, lets the poststop
   * tasks run after the rest (they clean up after it). Otherwise poststop tasks are stopped too.
   */
  private beginStop(runPoststop: boolean): void {
    this.stopping = true;
    if (!runPoststop || !this.anyLaunched()) this.runPoststop = false;
    this.cancelHealth();
    const targets = [...this.tasks.entries()]
      .filter(
        ([name, t]) =>
          !t.runner.dead && !this.doomed.has(name) && (t.role !== "poststop" || !this.runPoststop),
      )
      .map(([name]) => name);
    this.killTasks(targets, undefined);
    this.reconcile();
  }

  /** Marks the targets doomed at once (so nothing starts or re-kills them), then kills in Nomad's waves. */
  private killTasks(targets: readonly string[], cause: KillCause | undefined): void {
    const now = this.nowNs();
    const entries = targets.flatMap((name) => {
      const entry = this.tasks.get(name);
      return entry === undefined ? [] : [{ name, ...entry }];
    });
    for (const { name, runner } of entries) {
      this.doomed.add(name);
      if (cause !== undefined) runner.emit(causeEvent(cause, now));
    }
    this.track(this.killInWaves(entries), "killing tasks");
  }

  private async killInWaves(entries: ReadonlyArray<{ name: string } & TaskEntry>): Promise<void> {
    for (const wave of killWaves(entries)) {
      await Promise.all(wave.map((name) => this.tasks.get(name)?.runner.kill()));
    }
  }

  private onTerminal(): void {
    if (this.terminalHandled) return;
    this.terminalHandled = true;
    this.cancelHealth();
    for (const { rotator } of this.tasks.values()) this.track(rotator.stop(), "stopping log rotation");
  }

  // ───────────────────────── deployment health ─────────────────────────

  /** Starts (or restarts, for a new deployment) watching health when this alloc's is the client's to set. */
  private watchHealth(): void {
    this.cancelHealth();
    const strategy = this.group === undefined ? undefined : healthStrategy(this.alloc, this.group);
    if (strategy === undefined || this.stopping) return;
    this.health = { strategy, since: this.nowNs(), timer: undefined };
  }

  private checkHealth(): void {
    const health = this.health;
    if (health === undefined || this.stopping) return;
    const now = this.nowNs();
    const verdict = evaluateHealth({
      strategy: health.strategy,
      tasks: [...this.tasks.entries()].map(([name, t]) => ({ name, role: t.role, state: t.runner.state })),
      allocFailed: this.forcedStatus !== undefined,
      since: health.since,
      now,
    });
    if (verdict.kind === "wait") {
      if (health.timer !== undefined) clearTimeout(health.timer);
      health.timer = setTimeout(() => this.reconcile(), Math.max(0, nsToMs(verdict.until - now)));
      health.timer.unref();
      return;
    }
    this.cancelHealth();
    this.deploymentStatus = {
      Healthy: verdict.kind === "healthy",
      Timestamp: now,
      Canary: this.alloc.DeploymentStatus?.Canary ?? false,
      ModifyIndex: 0,
    };
    this.logger.info({ healthy: verdict.kind === "healthy" }, "allocation deployment health set");
    if (verdict.kind === "unhealthy") {
      for (const [name, text] of Object.entries(verdict.taskMessages)) {
        this.tasks.get(name)?.runner.emit(taskEvents.allocUnhealthy(now, text));
      }
    }
  }

  private cancelHealth(): void {
    if (this.health?.timer !== undefined) clearTimeout(this.health.timer);
    this.health = undefined;
  }

  // ───────────────────────── edges ─────────────────────────

  private scheduleUpdate(): void {
    if (this.updateScheduled) return;
    this.updateScheduled = true;
    setImmediate(() => {
      this.updateScheduled = false;
      if (this.detached) return;
      const fields = this.clientFields();
      const key = JSON.stringify({ ...fields, ModifyTime: 0 });
      if (key === this.lastReport) return;
      this.lastReport = key;
      this.deps.onUpdate(fields);
    });
  }

  private persistAlloc(): void {
    this.deps.state.putAlloc(this.alloc, this.job).catch((error: unknown) => {
      this.logger.error({ err: error }, "could not persist the allocation");
    });
  }

  private track(work: Promise<unknown>, what: string): void {
    work.catch((error: unknown) => this.logger.error({ err: error }, `${what} failed`));
  }

  private nowNs(): Nanos {
    return msToNs(this.deps.nowMs());
  }
}

function causeEvent(cause: KillCause, now: Nanos) {
  switch (cause.kind) {
    case "sibling-failed":
      return taskEvents.siblingFailed(now, cause.sibling);
    case "leader-dead":
      return taskEvents.leaderDead(now);
    case "main-dead":
      return taskEvents.mainDead(now);
  }
}
