import { TaskStartError } from "../../common/errors.js";
import type { Logger } from "../../common/log.js";
import {
  type CgroupSupport,
  createTaskCgroup,
  detectCgroups,
  TaskCgroup,
  taskCgroupName,
  taskCgroupRef,
} from "./cgroups.js";
import type {
  IntentRecovery,
  LaunchIntent,
  RecoverResult,
  RunningTask,
  TaskHandle,
  TaskStartSpec,
} from "./driver.js";
import { resolveExecutable } from "./executable.js";
import { lookupUser, type UserIds } from "./passwd.js";
import {
  cleanupProcessTask,
  processLaunchIntent,
  recoverProcessIntent,
  recoverProcessTask,
  startProcessTask,
} from "./process-task.js";

/**
 * What exec and java share: a process task run as the task's `user`, inside a cgroup with the
 * task's memory and cpu limits when the host offers cgroups. Without them tasks still run, without
 * limits; the reason is logged once, at warn, and shown in the fingerprint's health description.
 */
export class IsolatedProcessLauncher {
  private support: Promise<CgroupSupport> | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly detect: () => Promise<CgroupSupport> = () => detectCgroups(),
  ) {}

  /** Detected once per driver; the first caller logs a fallback. */
  cgroupSupport(): Promise<CgroupSupport> {
    this.support ??= this.detect().then((support) => {
      if (support.kind === "none") {
        this.logger.warn(
          { reason: support.reason },
          "cgroups unavailable: tasks run without resource limits",
        );
      }
      return support;
    });
    return this.support;
  }

  /** The health description that says when isolation is missing. */
  async healthDescription(): Promise<string> {
    const support = await this.cgroupSupport();
    return support.kind === "none" ? `healthy (no resource limits: ${support.reason})` : "healthy";
  }

  async start(
    driver: string,
    spec: TaskStartSpec,
    command: string,
    args: readonly string[],
  ): Promise<RunningTask> {
    const executable = await resolveExecutable(command, spec.env, spec.taskDir);
    const user = await this.taskUser(spec.user);
    const cgroup = await this.taskCgroup(spec);
    try {
      return await startProcessTask({ driver, spec, executable, args, user, cgroup, logger: this.logger });
    } catch (err) {
      await cgroup?.remove().catch((removeErr: unknown) => {
        this.logger.warn({ err: removeErr }, "removing the cgroup of a task that failed to start failed");
      });
      throw err;
    }
  }

  recover(handle: TaskHandle): Promise<RecoverResult> {
    return recoverProcessTask(handle, this.logger);
  }

  cleanup(handle: TaskHandle): Promise<void> {
    return cleanupProcessTask(handle);
  }

  launchIntent(driver: string, spec: TaskStartSpec): LaunchIntent {
    return processLaunchIntent(driver, spec);
  }

  /** The task's cgroup is where its start would have created it (the name is per alloc and task). */
  async recoverIntent(intent: LaunchIntent): Promise<IntentRecovery> {
    const support = await this.cgroupSupport();
    const cgroup =
      support.kind === "none"
        ? undefined
        : new TaskCgroup(taskCgroupRef(support, taskCgroupName(intent.allocId, intent.taskName)));
    return recoverProcessIntent(intent, cgroup, this.logger);
  }

  private async taskUser(user: string): Promise<UserIds | undefined> {
    if (user === "") return undefined;
    if (process.getuid?.() !== 0) {
      throw new TaskStartError(
        `running a task as user ${JSON.stringify(user)} needs an agent running as root`,
        false,
      );
    }
    return lookupUser(user);
  }

  private async taskCgroup(spec: TaskStartSpec): Promise<TaskCgroup | undefined> {
    const support = await this.cgroupSupport();
    if (support.kind === "none") return undefined;
    try {
      return await createTaskCgroup(support, taskCgroupName(spec.allocId, spec.taskName), spec.resources);
    } catch (err) {
      throw new TaskStartError(`could not create the task's cgroup: ${(err as Error).message}`, true);
    }
  }
}
