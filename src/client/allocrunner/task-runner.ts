import { msToNs, nsToMs } from "../../common/duration.js";
import { TaskConfigError, TaskStartError } from "../../common/errors.js";
import type { Logger } from "../../common/log.js";
import type { Allocation, Job, Nanos, Node, Task, TaskEvent, TaskGroup, TaskState } from "../../fsm/index.js";
import type {
  Driver,
  ExitResult,
  LaunchIntent,
  RunningTask,
  TaskHandle,
  TaskStartSpec,
} from "../drivers/driver.js";
import { unknownExit } from "../drivers/exit-result.js";
import type { ClientStateDb } from "../state/client-state-db.js";
import type { AllocDir } from "./alloc-dir.js";
import type { ClientMetrics } from "./alloc-runner-api.js";
import { interpolateConfig } from "./interpolate.js";
import {
  decideRestart,
  newRestartWindow,
  type RestartWindow,
  restartsOnSuccess,
  type TaskOutcome,
} from "./restart-tracker.js";
import { buildTaskEnv, taskPorts, taskResources } from "./task-env.js";
import { taskEvents } from "./task-events.js";
import { newTaskState, toDead, toPending, toRunning, withEvent } from "./task-state.js";

/** What a task runner needs of the agent (a subset of AllocRunnerDeps). */
export interface TaskRunnerDeps {
  logger: Logger;
  node: () => Node;
  region: string;
  state: ClientStateDb;
  nowMs: () => number;
  metrics: ClientMetrics;
}

export interface TaskRunnerOptions {
  deps: TaskRunnerDeps;
  alloc: Allocation;
  job: Job;
  group: TaskGroup;
  task: Task;
  /** undefined: the node has no such driver (the task fails with a Driver Failure). */
  driver: Driver | undefined;
  allocDir: AllocDir;
  /** The active log files the driver appends to (the log rotator's). */
  logs: { stdoutPath: string; stderrPath: string };
  /** Called synchronously after every committed change of the task's state. */
  onStateChange: (task: string, state: TaskState) => void;
  /** The PATH of tasks that set none; the agent's own by default. */
  agentPath?: string | undefined;
}

/**
 * What the runner keeps in the state DB (`task/<alloc>/<task>`). `handle` is the running
 * attempt's driver handle, null whenever nothing runs (before the first start, between restarts,
 * once dead): a restored record with a handle is re-attached, one without is started afresh.
 * `launching` is the driver's launch intent, durable from just before a start until the handle
 * is (drivers with `launchIntent`): a restored record with an intent and no handle asks the
 * driver to find what that start may have launched before it starts anything.
 */
export interface TaskRecord {
  handle: TaskHandle | null;
  state: TaskState;
  launching?: LaunchIntent | null | undefined;
}

/** A setup step (task dir) failed: Nomad's "Setup Failure"; the policy may retry it. */
class TaskSetupError extends Error {
  override name = "TaskSetupError";
}

/** How the lifecycle resumes: a fresh start, a task re-attached after a restart, or one that ended meanwhile. */
type Resume =
  | { kind: "start" }
  | { kind: "running"; task: RunningTask }
  /** Found by a launch intent: started by the earlier agent, which died before recording it. */
  | { kind: "adopted"; task: RunningTask }
  | { kind: "exited"; exit: ExitResult };

/**
 * One task's lifecycle on this client: set up, start with the driver, wait, restart by policy,
 * stop on request (Nomad's TaskRunner).
 *
 * Invariants:
 * - State changes are committed synchronously (`commit`): the new TaskState is set, written to the
 *   state DB and reported in the same turn; awaits happen only between commits.
 * - A running attempt's handle is durable in the state DB before the task is reported running, so
 *   a crash of the agent after that point never loses it (and the task is never started twice).
 *   For a crash between the driver's start and that write, the driver's launch intent is durable
 *   BEFORE the start (drivers that offer one): a restore finds and adopts what was launched.
 * - Once dead, nothing more runs; `done` resolves then, exactly once.
 */
export class TaskRunner {
  readonly name: string;
  /** Resolves once the task is dead for good (never rejects). */
  readonly done: Promise<void>;
  private resolveDone!: () => void;
  private current: TaskState = newTaskState();
  private handle: TaskHandle | null = null;
  /** The launch intent of a start in progress (persisted with every write until the handle is). */
  private launching: LaunchIntent | null = null;
  private running: RunningTask | undefined;
  private phase: "idle" | "active" | "dead" = "idle";
  private killRequested = false;
  /** run() or restore() was called: the task was given its chance to run here. */
  private begun = false;
  /** shutdown() was called: the agent is going away and leaves the task running. */
  private detached = false;
  private wakeFromDelay: (() => void) | undefined;
  private window: RestartWindow;
  private setupEmitted = false;
  private cleaning: Promise<void> = Promise.resolve();
  private readonly logger: Logger;

  constructor(private readonly o: TaskRunnerOptions) {
    this.name = o.task.Name;
    this.logger = o.deps.logger.child({ alloc: o.alloc.ID, task: this.name });
    this.window = newRestartWindow(this.now());
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve;
    });
  }

  get state(): TaskState {
    return this.current;
  }

  get dead(): boolean {
    return this.phase === "dead";
  }

  /** Was asked to run or restored: the coordinator must not start it again. */
  get started(): boolean {
    return this.phase !== "idle";
  }

  get killing(): boolean {
    return this.killRequested;
  }

  /** run() or restore() was called (a task killed before either never ran). */
  get launched(): boolean {
    return this.begun;
  }

  /** A new task for this client: "Received" (before the lifecycle lets it start). */
  receive(): void {
    if (this.phase === "idle" && this.current.Events.length === 0) this.emit(taskEvents.received(this.now()));
  }

  /** Starts the lifecycle of a task that has not run on this client. */
  run(): void {
    if (this.phase !== "idle" || this.killRequested) return;
    this.phase = "active";
    this.begun = true;
    this.track(this.lifecycle({ kind: "start" }));
  }

  /**
   * Resumes from the record of an earlier run of the agent. Resolves once re-attached to the
   * running task (or once it is known to have ended); the lifecycle then carries on as `run()`'s.
   * A dead record stays dead; a record without a handle starts afresh (keeping its events).
   */
  async restore(record: TaskRecord): Promise<void> {
    if (this.phase !== "idle") return;
    this.phase = "active";
    this.begun = true;
    this.current = record.state;
    this.handle = record.handle;
    if (record.state.State === "dead") {
      this.handle = null;
      this.becomeDead();
      return;
    }
    const intent = record.launching ?? null;
    const resume =
      record.handle === null && intent !== null
        ? await this.recoverIntent(intent)
        : await this.recover(record.handle);
    this.track(this.lifecycle(resume));
  }

  /** Adds an event (e.g. why the alloc kills the task, or "Alloc Unhealthy"). */
  emit(event: TaskEvent): void {
    this.commit(withEvent(this.current, event));
  }

  /**
   * Stops the task (its kill signal, then SIGKILL after its kill timeout) and resolves once it is
   * dead. A task that never started just becomes dead; one waiting to restart stops waiting.
   */
  kill(): Promise<void> {
    if (this.phase === "dead" || this.killRequested) return this.done;
    this.killRequested = true;
    if (this.phase === "idle") {
      this.commit(toDead(this.current, this.now(), false));
      this.becomeDead();
    } else if (this.running !== undefined) {
      this.sendStop(this.running);
    } else {
      this.wakeFromDelay?.();
    }
    return this.done;
  }

  /**
   * The agent shuts down but leaves the task running: stop watching it, write and report nothing
   * more. The durable record (handle included) is what a restore re-attaches from. `done` stays
   * pending: the task did not end.
   */
  shutdown(): void {
    this.detached = true;
    this.wakeFromDelay?.();
  }

  /**
   * Releases what the driver holds for the task once it is dead (idempotent). The runner already
   * does it after every exit; this is the alloc's last word before its directory goes away.
   */
  async cleanup(): Promise<void> {
    await this.cleaning;
  }

  // ───────────────────────── the lifecycle ─────────────────────────

  private async lifecycle(resume: Resume): Promise<void> {
    let outcome: TaskOutcome | undefined = await this.first(resume);
    for (;;) {
      if (this.detached) return;
      if (outcome === undefined || this.killRequested) return this.finishKilled();
      const delay = this.decide(outcome);
      if (delay === undefined) return;
      await this.sleep(delay);
      if (this.detached) return;
      if (this.killRequested) return this.finishKilled();
      outcome = await this.attempt();
    }
  }

  private first(resume: Resume): Promise<TaskOutcome | undefined> {
    if (resume.kind === "start") return this.attempt();
    if (resume.kind === "running" || resume.kind === "adopted") {
      this.handle = resume.task.handle;
      this.running = resume.task;
      const now = this.now();
      this.commit(
        resume.kind === "adopted"
          ? withEvent(toRunning(this.current, now), taskEvents.started(now))
          : toRunning(this.current, this.current.StartedAt || now),
      );
      if (this.killRequested) this.sendStop(resume.task);
      return this.waitFor(resume.task);
    }
    return Promise.resolve(this.exited(resume.exit));
  }

  /** One attempt: prepare, start, record the handle durably, then wait for the exit. undefined: killed before starting. */
  private async attempt(): Promise<TaskOutcome | undefined> {
    // The previous attempt's cleanup (its cgroup, its exit file) must not race this start.
    await this.cleaning;
    const askedAtMs = this.o.deps.nowMs();
    let task: RunningTask;
    try {
      const spec = await this.prepare();
      if (this.killRequested || this.detached) return undefined;
      const driver = this.o.driver as Driver;
      await this.recordIntent(driver, spec);
      if (this.killRequested || this.detached) {
        this.launching = null;
        return undefined;
      }
      task = await driver.start(spec);
    } catch (error) {
      this.launching = null;
      return { kind: "start-error", error };
    }
    const now = this.now();
    const next = withEvent(toRunning(this.current, now), taskEvents.started(now));
    // The handle replaces the intent in every write from here on, including writes of other
    // changes made while this one is in flight (a later write of the record must not drop it).
    this.handle = task.handle;
    this.launching = null;
    try {
      await this.o.deps.state.putTask(this.o.alloc.ID, this.name, this.record(next));
    } catch (error) {
      this.handle = null;
      await this.stopQuietly(task);
      return {
        kind: "start-error",
        error: new TaskStartError(`could not record the task handle: ${message(error)}`, true),
      };
    }
    this.running = task;
    this.o.deps.metrics.taskStarted((this.o.deps.nowMs() - askedAtMs) / 1000);
    this.commit(withEvent(toRunning(this.current, now), taskEvents.started(now)));
    if (this.killRequested) this.sendStop(task);
    return this.waitFor(task);
  }

  /**
   * Makes the driver's launch intent durable before the start (drivers without one: nothing).
   * Failing to, the start does not happen: a launch that a crash could hide must not run.
   */
  private async recordIntent(driver: Driver, spec: TaskStartSpec): Promise<void> {
    if (driver.launchIntent === undefined || driver.recoverIntent === undefined) return;
    this.launching = driver.launchIntent(spec);
    try {
      await this.o.deps.state.putTask(this.o.alloc.ID, this.name, this.record(this.current));
    } catch (error) {
      this.launching = null;
      throw new TaskStartError(`could not record the launch intent: ${message(error)}`, true);
    }
  }

  /**
   * Builds what the driver needs. The config is validated after interpolation: a field such as a
   * port number is only valid once `${NOMAD_PORT_…}` has been replaced.
   */
  private async prepare(): Promise<TaskStartSpec> {
    const { driver, task, alloc, job, group, allocDir, deps } = this.o;
    if (driver === undefined) {
      throw new TaskStartError(
        `driver ${JSON.stringify(task.Driver)} is not available on this client`,
        false,
      );
    }
    if (!this.setupEmitted) {
      this.setupEmitted = true;
      this.emit(taskEvents.setup(this.now()));
    }
    const taskDir = await allocDir.buildTask(task.Name).catch((error: unknown) => {
      throw new TaskSetupError(
        `failed to build task directory for ${JSON.stringify(task.Name)}: ${message(error)}`,
      );
    });
    if (task.DispatchPayload !== null && job.Payload !== "") {
      await allocDir
        .writeDispatchPayload(taskDir, task.DispatchPayload.File, Buffer.from(job.Payload, "base64"))
        .catch((error: unknown) => {
          throw new TaskSetupError(`failed to write the dispatch payload: ${message(error)}`);
        });
    }
    const node = deps.node();
    const env = buildTaskEnv({
      alloc,
      job,
      group,
      task,
      node,
      region: deps.region,
      sharedDir: allocDir.sharedDir,
      taskDir,
      agentPath: this.o.agentPath ?? process.env["PATH"],
    });
    const config = interpolateConfig(task.Config, { env, node, region: deps.region });
    driver.validateConfig(config);
    return {
      allocId: alloc.ID,
      taskName: task.Name,
      config,
      env,
      user: task.User,
      taskDir: taskDir.dir,
      stdoutPath: this.o.logs.stdoutPath,
      stderrPath: this.o.logs.stderrPath,
      resources: taskResources(alloc, task),
      ports: taskPorts(alloc, group, task, node),
    };
  }

  private async waitFor(task: RunningTask): Promise<TaskOutcome> {
    const exit = await task.wait();
    return this.exited(exit);
  }

  /** The attempt ended: "Terminated", the handle is released and cleared (nothing runs now). */
  private exited(exit: ExitResult): TaskOutcome {
    if (this.detached) return { kind: "exit", exit };
    const handle = this.handle;
    this.running = undefined;
    this.handle = null;
    this.commit(withEvent(this.current, taskEvents.terminated(this.now(), exit)));
    if (handle !== null) this.cleanupHandle(handle);
    return { kind: "exit", exit };
  }

  /** Applies the restart policy to an outcome; returns the delay before the next attempt, or undefined when dead. */
  private decide(outcome: TaskOutcome): Nanos | undefined {
    const now = this.now();
    let state = this.current;
    if (outcome.kind === "start-error") state = withEvent(state, failureEvent(outcome.error, now));
    if (outcome.kind === "start-error" && outcome.error instanceof TaskConfigError) {
      // Nomad fails a task with an invalid config at once, with no "Not Restarting" event.
      this.commit(toDead(state, now, true));
      this.becomeDead();
      return undefined;
    }
    const policy = this.o.task.RestartPolicy ?? this.o.group.RestartPolicy;
    const onSuccess = restartsOnSuccess(this.o.job.Type, this.o.task.Lifecycle);
    const { decision, window } = decideRestart(policy, onSuccess, outcome, this.window, now);
    this.window = window;
    if (decision.kind === "restart") {
      this.commit(withEvent(toPending(state), taskEvents.restarting(now, decision.delay, decision.reason)));
      this.o.deps.metrics.taskRestarts();
      return decision.delay;
    }
    if (decision.failed) state = withEvent(state, taskEvents.notRestarting(now, decision.reason));
    this.commit(toDead(state, now, decision.failed));
    this.becomeDead();
    return undefined;
  }

  private finishKilled(): void {
    const now = this.now();
    this.commit(withEvent(toDead(this.current, now, false), taskEvents.killed(now)));
    this.becomeDead();
  }

  // ───────────────────────── edges ─────────────────────────

  private async recover(handle: TaskHandle | null): Promise<Resume> {
    if (handle === null || this.o.driver === undefined) return { kind: "start" };
    try {
      const result = await this.o.driver.recover(handle);
      if (result.kind === "running") return { kind: "running", task: result.task };
      return { kind: "exited", exit: result.exit ?? unknownExit("the task ended while the agent was down") };
    } catch (error) {
      this.logger.warn({ err: error }, "could not recover the task; treating it as ended");
      return { kind: "exited", exit: unknownExit(`could not recover the task: ${message(error)}`) };
    }
  }

  /** A record with an intent but no handle: did the earlier agent launch the task before it died? */
  private async recoverIntent(intent: LaunchIntent): Promise<Resume> {
    const driver = this.o.driver;
    if (driver?.recoverIntent === undefined) return { kind: "start" };
    try {
      const result = await driver.recoverIntent(intent);
      if (result.kind === "not-launched") return { kind: "start" };
      if (result.kind === "running") return { kind: "adopted", task: result.task };
      return { kind: "exited", exit: result.exit ?? unknownExit("the task ended while the agent was down") };
    } catch (error) {
      this.logger.warn(
        { err: error },
        "could not look for the task of a launch intent; treating it as ended",
      );
      return { kind: "exited", exit: unknownExit(`could not recover the task: ${message(error)}`) };
    }
  }

  /** "Killing", then the driver's stop; the attempt's wait() settles when the task is gone. */
  private sendStop(task: RunningTask): void {
    const { KillSignal: signal, KillTimeout: timeout } = this.o.task;
    this.emit(taskEvents.killing(this.now(), timeout));
    this.stopQuietly(task, signal, nsToMs(timeout)).catch(() => {});
  }

  private async stopQuietly(task: RunningTask, signal = "SIGKILL", timeoutMs = 0): Promise<void> {
    try {
      await task.stop(signal, timeoutMs);
    } catch (error) {
      this.logger.error({ err: error, signal }, "stopping the task failed; sending SIGKILL");
      await task.stop("SIGKILL", 0).catch((err: unknown) => this.logger.error({ err }, "SIGKILL failed"));
    }
  }

  /** Cleans up after an attempt; `cleaning` lets cleanup() wait for the last one. */
  private cleanupHandle(handle: TaskHandle): void {
    const driver = this.o.driver;
    if (driver === undefined) return;
    this.cleaning = this.cleaning.then(() =>
      driver.cleanup(handle).catch((error: unknown) => {
        this.logger.warn({ err: error }, "driver cleanup failed");
      }),
    );
  }

  /** Waits `delay` ns, or less when a kill wakes it. */
  private sleep(delay: Nanos): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.wakeFromDelay?.(), nsToMs(delay));
      this.wakeFromDelay = () => {
        clearTimeout(timer);
        this.wakeFromDelay = undefined;
        resolve();
      };
    });
  }

  /** Sets, persists and reports the new state, all in this turn. */
  private commit(next: TaskState): void {
    if (this.detached) return;
    this.current = next;
    this.o.deps.state.putTask(this.o.alloc.ID, this.name, this.record(next)).catch((error: unknown) => {
      this.logger.error({ err: error }, "could not persist the task state");
    });
    this.o.onStateChange(this.name, next);
  }

  /** The durable record for a state: the handle, and the launch intent while a start is in flight. */
  private record(state: TaskState): TaskRecord {
    return { handle: this.handle, state, ...(this.launching === null ? {} : { launching: this.launching }) };
  }

  private becomeDead(): void {
    if (this.phase === "dead") return;
    this.phase = "dead";
    this.resolveDone();
  }

  /** A lifecycle that throws is a bug; the task must still end up dead rather than hang. */
  private track(lifecycle: Promise<void>): void {
    lifecycle.catch((error: unknown) => {
      this.logger.error({ err: error }, "task runner failed");
      if (this.phase === "dead") return;
      const now = this.now();
      this.commit(toDead(withEvent(this.current, taskEvents.driverFailure(now, message(error))), now, true));
      this.becomeDead();
    });
  }

  private now(): Nanos {
    return msToNs(this.o.deps.nowMs());
  }
}

function failureEvent(error: unknown, now: Nanos): TaskEvent {
  if (error instanceof TaskConfigError) return taskEvents.failedValidation(now, error.message);
  if (error instanceof TaskSetupError) return taskEvents.setupFailure(now, error.message);
  return taskEvents.driverFailure(now, message(error));
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
