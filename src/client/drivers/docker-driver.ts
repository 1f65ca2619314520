import Dockerode from "dockerode";
import { TaskStartError } from "../../common/errors.js";
import type { Logger } from "../../common/log.js";
import {
  ALLOC_ID_LABEL,
  containerCreateOptions,
  parseDockerConfig,
  TASK_NAME_LABEL,
} from "./docker-config.js";
import { followContainerLogs } from "./docker-logs.js";
import {
  type Driver,
  type DriverContext,
  type DriverFingerprint,
  type ExitResult,
  healthyFingerprint,
  type IntentRecovery,
  type LaunchIntent,
  type RecoverResult,
  type RunningTask,
  type TaskHandle,
  type TaskStartSpec,
} from "./driver.js";
import { exitResult, fromWaitStatus, signalName, unknownExit } from "./exit-result.js";

export interface DockerDriverOptions {
  /** The engine client; default: DOCKER_HOST, else /var/run/docker.sock. */
  docker?: Dockerode;
  /** How long a fingerprint waits for the engine's ping. */
  pingTimeoutMs?: number;
}

/** The engine's address as the operator configured it, for messages. */
export function dockerEndpoint(): string {
  return process.env["DOCKER_HOST"] ?? "unix:///var/run/docker.sock";
}

/**
 * docker: runs a task as a container. The handle keeps the container id; recover() re-attaches
 * by it. Containers are not removed when they exit (their state tells a restarted agent how they
 * ended); cleanup() removes them.
 */
export class DockerDriver implements Driver {
  readonly name = "docker";
  private readonly logger: Logger;
  private readonly docker: Dockerode;
  private readonly pinger: Dockerode;

  constructor(ctx: DriverContext, options: DockerDriverOptions = {}) {
    this.logger = ctx.logger.child({ driver: "docker" });
    this.docker = options.docker ?? new Dockerode();
    // A separate client with a short timeout, so that an engine that hangs fails the fingerprint
    // quickly, while pulls and waits on the main client may take as long as they take.
    this.pinger = options.docker ?? new Dockerode({ timeout: options.pingTimeoutMs ?? 2000 });
  }

  /** Healthy only when the engine answers a ping. */
  async fingerprint(): Promise<DriverFingerprint> {
    try {
      await this.pinger.ping();
      const version = (await this.pinger.version()) as { Version?: string };
      return healthyFingerprint(this.name, { "driver.docker.version": version.Version ?? "" });
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      return {
        detected: false,
        healthy: false,
        healthDescription: `docker engine not reachable at ${dockerEndpoint()}: ${reason}`,
        attributes: {},
      };
    }
  }

  validateConfig(config: Record<string, unknown>): void {
    parseDockerConfig(config);
  }

  async start(spec: TaskStartSpec): Promise<RunningTask> {
    const config = parseDockerConfig(spec.config);
    const options = containerCreateOptions(config, spec);
    await this.ensureImage(config.image);
    const container = await this.createContainer(options);
    const startedAtMs = Date.now();
    try {
      await container.start();
    } catch (err) {
      await this.removeQuietly(container);
      throw new TaskStartError(`starting container for ${config.image}: ${errorMessage(err)}`, true);
    }
    // Following from the start (since 0) after starting loses nothing: the engine keeps the logs.
    await this.followLogs(container, spec, 0);
    const handle: TaskHandle = {
      driver: this.name,
      taskName: spec.taskName,
      allocId: spec.allocId,
      startedAtMs,
      state: { containerId: container.id, stdoutPath: spec.stdoutPath, stderrPath: spec.stderrPath },
    };
    return new DockerRunningTask(handle, container, this.logger);
  }

  async recover(handle: TaskHandle): Promise<RecoverResult> {
    const id = handle.state["containerId"];
    if (typeof id !== "string") return { kind: "exited", exit: unknownExit("unreadable task handle") };
    const container = this.docker.getContainer(id);
    let info: Dockerode.ContainerInspectInfo;
    try {
      info = await container.inspect();
    } catch (err) {
      if (statusCode(err) === 404) return { kind: "exited", exit: unknownExit("the container is gone") };
      throw err;
    }
    if (!info.State.Running) return { kind: "exited", exit: exitFromState(info.State) };
    const paths = {
      stdoutPath: String(handle.state["stdoutPath"] ?? "/dev/null"),
      stderrPath: String(handle.state["stderrPath"] ?? "/dev/null"),
    };
    // Only what the container writes from now on: earlier output is already in the files.
    await this.followLogs(container, paths, Math.floor(Date.now() / 1000));
    return { kind: "running", task: new DockerRunningTask(handle, container, this.logger) };
  }

  async cleanup(handle: TaskHandle): Promise<void> {
    const id = handle.state["containerId"];
    if (typeof id !== "string") return;
    try {
      await this.docker.getContainer(id).remove({ force: true });
    } catch (err) {
      if (statusCode(err) !== 404) throw err;
    }
  }

  launchIntent(spec: TaskStartSpec): LaunchIntent {
    return {
      driver: this.name,
      taskName: spec.taskName,
      allocId: spec.allocId,
      atMs: Date.now(),
      state: { stdoutPath: spec.stdoutPath, stderrPath: spec.stderrPath },
    };
  }

  /**
   * Finds the task's container by the labels start() sets (alloc id and task name): a running one
   * is re-attached as recover() would, an exited one reports its exit and is removed, one created
   * but never started is removed ("not-launched").
   */
  async recoverIntent(intent: LaunchIntent): Promise<IntentRecovery> {
    const containers = await this.docker.listContainers({
      all: true,
      filters: { label: [`${ALLOC_ID_LABEL}=${intent.allocId}`, `${TASK_NAME_LABEL}=${intent.taskName}`] },
    });
    let result: IntentRecovery = { kind: "not-launched" };
    for (const c of containers) {
      const handle: TaskHandle = {
        driver: this.name,
        taskName: intent.taskName,
        allocId: intent.allocId,
        startedAtMs: intent.atMs,
        state: { ...intent.state, containerId: c.Id },
      };
      if (c.State === "created") {
        await this.cleanup(handle);
        continue;
      }
      const recovered = await this.recover(handle);
      if (recovered.kind === "exited") await this.cleanup(handle);
      // One container per alloc and task (its name): running wins over an exited leftover.
      if (result.kind !== "running") result = recovered;
    }
    return result;
  }

  private async ensureImage(image: string): Promise<void> {
    try {
      await this.docker.getImage(image).inspect();
      return;
    } catch (err) {
      if (statusCode(err) !== 404)
        throw new TaskStartError(`inspecting image ${image}: ${errorMessage(err)}`, true);
    }
    try {
      const stream = await this.docker.pull(image);
      await new Promise<void>((resolve, reject) => {
        this.docker.modem.followProgress(stream, (err: Error | null) =>
          err === null ? resolve() : reject(err),
        );
      });
    } catch (err) {
      throw new TaskStartError(`pulling image ${image}: ${errorMessage(err)}`, true);
    }
  }

  /** Creates the container; one left by an earlier attempt under the same name is replaced. */
  private async createContainer(options: Dockerode.ContainerCreateOptions): Promise<Dockerode.Container> {
    try {
      return await this.docker.createContainer(options);
    } catch (err) {
      if (statusCode(err) !== 409 || options.name === undefined) {
        throw new TaskStartError(`creating container: ${errorMessage(err)}`, true);
      }
    }
    this.logger.warn({ name: options.name }, "replacing a container left by an earlier attempt");
    await this.docker.getContainer(options.name).remove({ force: true });
    try {
      return await this.docker.createContainer(options);
    } catch (err) {
      throw new TaskStartError(`creating container: ${errorMessage(err)}`, true);
    }
  }

  /** Logs are not the task: a failure to follow them is logged, and the task runs on. */
  private async followLogs(
    container: Dockerode.Container,
    paths: { stdoutPath: string; stderrPath: string },
    sinceSec: number,
  ): Promise<void> {
    try {
      await followContainerLogs(this.docker, container, paths, sinceSec, this.logger);
    } catch (err) {
      this.logger.warn({ err, container: container.id }, "following the container's logs failed");
    }
  }

  private async removeQuietly(container: Dockerode.Container): Promise<void> {
    try {
      await container.remove({ force: true });
    } catch (err) {
      this.logger.warn({ err, container: container.id }, "removing a container that failed to start failed");
    }
  }
}

/** One container. `wait()` settles when the engine reports it stopped (never rejects). */
class DockerRunningTask implements RunningTask {
  private readonly result: Promise<ExitResult>;
  private stopping: Promise<ExitResult> | undefined;

  constructor(
    readonly handle: TaskHandle,
    private readonly container: Dockerode.Container,
    private readonly logger: Logger,
  ) {
    this.result = this.waitForExit();
  }

  wait(): Promise<ExitResult> {
    return this.result;
  }

  signal(signal: string): void {
    const name = signalName(signal);
    this.container.kill({ signal: name }).catch((err: unknown) => {
      this.logger.error(
        { err, signal: name, container: this.container.id },
        "signalling the container failed",
      );
    });
  }

  /** killSignal, then SIGKILL when the container still runs after the timeout. */
  stop(killSignal: string, killTimeoutMs: number): Promise<ExitResult> {
    this.stopping ??= this.stopContainer(killSignal, killTimeoutMs);
    return this.stopping;
  }

  private async stopContainer(killSignal: string, killTimeoutMs: number): Promise<ExitResult> {
    let name: NodeJS.Signals;
    try {
      name = signalName(killSignal);
    } catch (err) {
      this.logger.warn({ err, killSignal }, "unknown kill signal; stopping the container with SIGTERM");
      name = "SIGTERM";
    }
    await this.kill(name);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), killTimeoutMs);
    });
    const first = await Promise.race([this.result.then(() => "exited" as const), timeout]);
    clearTimeout(timer);
    if (first === "timeout") await this.kill("SIGKILL");
    return this.result;
  }

  /** Kills, treating "not running" (409) and "no such container" (404) as done. */
  private async kill(signal: NodeJS.Signals): Promise<void> {
    try {
      await this.container.kill({ signal });
    } catch (err) {
      const code = statusCode(err);
      if (code !== 409 && code !== 404) throw err;
    }
  }

  private async waitForExit(): Promise<ExitResult> {
    try {
      await this.container.wait();
      return exitFromState((await this.container.inspect()).State);
    } catch (err) {
      this.logger.error({ err, container: this.container.id }, "waiting for the container failed");
      return unknownExit(`waiting for the container failed: ${errorMessage(err)}`);
    }
  }
}

/** Docker reports an exit code only; 128+n is taken as "killed by signal n", as for processes. */
function exitFromState(state: Dockerode.ContainerInspectInfo["State"]): ExitResult {
  const exit = fromWaitStatus(state.ExitCode, null);
  return exitResult({ ...exit, oomKilled: state.OOMKilled, error: state.Error ?? "" });
}

function statusCode(err: unknown): number | undefined {
  const code = (err as { statusCode?: unknown }).statusCode;
  return typeof code === "number" ? code : undefined;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
