import type { CgroupSupport } from "./cgroups.js";
import type {
  Driver,
  DriverContext,
  DriverFingerprint,
  IntentRecovery,
  LaunchIntent,
  RecoverResult,
  RunningTask,
  TaskHandle,
  TaskStartSpec,
} from "./driver.js";
import { IsolatedProcessLauncher } from "./isolated-launcher.js";
import { javaArgs, parseJavaConfig } from "./java-config.js";
import { type JavaVersion, probeJava } from "./java-version.js";

export interface JavaDriverOptions {
  /** How to probe java (tests); default runs `java -version` from the agent's PATH. */
  probe?: () => Promise<JavaVersion>;
  detectCgroups?: () => Promise<CgroupSupport>;
}

/**
 * java: runs `java` (found on the task env's PATH) like exec does — as the task's user, in a
 * cgroup with the task's limits — with the jar or main class of the task's config.
 */
export class JavaDriver implements Driver {
  readonly name = "java";
  private readonly launcher: IsolatedProcessLauncher;
  private readonly probe: () => Promise<JavaVersion>;
  /** `java -version` runs once; a failure is retried at the next fingerprint (java may appear). */
  private version: JavaVersion | undefined;

  constructor(ctx: DriverContext, options: JavaDriverOptions = {}) {
    this.launcher = new IsolatedProcessLauncher(ctx.logger.child({ driver: "java" }), options.detectCgroups);
    this.probe = options.probe ?? (() => probeJava());
  }

  async fingerprint(): Promise<DriverFingerprint> {
    if (process.platform !== "linux") {
      return { detected: false, healthy: false, healthDescription: "java needs Linux", attributes: {} };
    }
    try {
      this.version ??= await this.probe();
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      return {
        detected: false,
        healthy: false,
        healthDescription: `java not usable: ${reason}`,
        attributes: {},
      };
    }
    return {
      detected: true,
      healthy: true,
      healthDescription: await this.launcher.healthDescription(),
      attributes: {
        "driver.java": "1",
        "driver.java.version": this.version.version,
        "driver.java.runtime": this.version.runtime,
        "driver.java.vm": this.version.vm,
      },
    };
  }

  validateConfig(config: Record<string, unknown>): void {
    parseJavaConfig(config);
  }

  async start(spec: TaskStartSpec): Promise<RunningTask> {
    const config = parseJavaConfig(spec.config);
    return this.launcher.start(this.name, spec, "java", javaArgs(config));
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
