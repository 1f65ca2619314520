import type { Logger } from "../../common/log.js";
import { parseCommandConfig } from "./command-config.js";
import {
  type Driver,
  type DriverContext,
  type DriverFingerprint,
  healthyFingerprint,
  type IntentRecovery,
  type LaunchIntent,
  type RecoverResult,
  type RunningTask,
  type TaskHandle,
  type TaskStartSpec,
} from "./driver.js";
import { resolveExecutable } from "./executable.js";
import {
  cleanupProcessTask,
  processLaunchIntent,
  recoverProcessIntent,
  recoverProcessTask,
  startProcessTask,
} from "./process-task.js";

/**
 * raw_exec: runs a command as the agent's own user, with no isolation and no resource limits
 * (the task's `user` is ignored, as in Nomad). Disabled unless the operator enables it.
 */
export class RawExecDriver implements Driver {
  readonly name = "raw_exec";
  private readonly logger: Logger;

  constructor(ctx: DriverContext) {
    this.logger = ctx.logger.child({ driver: "raw_exec" });
  }

  async fingerprint(): Promise<DriverFingerprint> {
    return healthyFingerprint(this.name);
  }

  validateConfig(config: Record<string, unknown>): void {
    parseCommandConfig(config);
  }

  async start(spec: TaskStartSpec): Promise<RunningTask> {
    const config = parseCommandConfig(spec.config);
    const executable = await resolveExecutable(config.command, spec.env, spec.taskDir);
    return startProcessTask({
      driver: this.name,
      spec,
      executable,
      args: config.args,
      user: undefined,
      cgroup: undefined,
      logger: this.logger,
    });
  }

  recover(handle: TaskHandle): Promise<RecoverResult> {
    return recoverProcessTask(handle, this.logger);
  }

  cleanup(handle: TaskHandle): Promise<void> {
    return cleanupProcessTask(handle);
  }

  launchIntent(spec: TaskStartSpec): LaunchIntent {
    return processLaunchIntent(this.name, spec);
  }

  recoverIntent(intent: LaunchIntent): Promise<IntentRecovery> {
    return recoverProcessIntent(intent, undefined, this.logger);
  }
}
