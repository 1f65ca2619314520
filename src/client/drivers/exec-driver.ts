import type { CgroupSupport } from "./cgroups.js";
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
import { IsolatedProcessLauncher } from "./isolated-launcher.js";

/** exec: command/args as the task's user, with cgroup resource limits (Linux only). */
export class ExecDriver implements Driver {
  readonly name = "exec";
  private readonly launcher: IsolatedProcessLauncher;

  constructor(ctx: DriverContext, detect?: () => Promise<CgroupSupport>) {
    this.launcher = new IsolatedProcessLauncher(ctx.logger.child({ driver: "exec" }), detect);
  }

  async fingerprint(): Promise<DriverFingerprint> {
    if (process.platform !== "linux") {
      return { detected: false, healthy: false, healthDescription: "exec needs Linux", attributes: {} };
    }
    return healthyFingerprint(this.name, {}, await this.launcher.healthDescription());
  }

  validateConfig(config: Record<string, unknown>): void {
    parseCommandConfig(config);
  }

  async start(spec: TaskStartSpec): Promise<RunningTask> {
    const config = parseCommandConfig(spec.config);
    return this.launcher.start(this.name, spec, config.command, config.args);
  }

  recover(handle: TaskHandle): Promise<RecoverResult> {
    return this.launcher.recover(handle);
  }

  cleanup(handle: TaskHandle): Promise<void> {
    return this.launcher.cleanup(handle);
  }

  launchIntent(spec: TaskStartSpec): LaunchIntent {
    return this.launcher.launchIntent(this.name, spec);
  }

  recoverIntent(intent: LaunchIntent): Promise<IntentRecovery> {
    return this.launcher.recoverIntent(intent);
  }
}
