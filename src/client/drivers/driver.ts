import type { Logger } from "../../common/log.js";
import type { AllocatedPortMapping } from "../../fsm/index.js";

/**
 * The contract between a task runner and a task driver (exec, raw_exec, java, docker, mock).
 *
 * A driver turns a task's (already interpolated) config into something running, and gives back a
 * `TaskHandle`: a small, serializable record the client keeps in LevelDB so that, after the agent
 * is killed and restarted, `recover(handle)` re-attaches to the same task instead of starting it
 * again (invariant: a task never runs twice at once on one client). A handle must therefore carry
 * whatever proves identity (for processes: pid AND start time, so a reused pid is never taken for
 * the task).
 *
 * Errors: `validateConfig` and `start` throw the typed errors of src/common/errors.ts
 * (TaskConfigError naming the field, TaskStartError such as "executable not found"); the task
 * runner turns them into task events. Nothing here retries: restart policy is the runner's job.
 */
export interface Driver {
  /** `exec`, `raw_exec`, `java`, `docker`, `mock`: the `driver` of a task. */
  readonly name: string;
  /**
   * What the node advertises for this driver: `Detected`/`Healthy` and the attributes the
   * scheduler may constrain on (`driver.<name>` = "1" when healthy, `driver.java.version`, …).
   * Called at start and periodically; never throws (an error is an unhealthy driver).
   */
  fingerprint(): Promise<DriverFingerprint>;
  /** Checks a task's `config` block; throws TaskConfigError naming the field. No side effects. */
  validateConfig(config: Record<string, unknown>): void;
  /** Starts the task; resolves once it runs (the process is spawned / the container started). */
  start(spec: TaskStartSpec): Promise<RunningTask>;
  /**
   * Re-attaches to a task started by an earlier run of the agent. `running` when the very same
   * task still runs; `exited` when it ended meanwhile (with its exit result when the driver could
   * learn it, e.g. from an exit-code file; undefined when it cannot be known).
   */
  recover(handle: TaskHandle): Promise<RecoverResult>;
  /** Releases what the task held after it ended (cgroups, containers). Idempotent. */
  cleanup(handle: TaskHandle): Promise<void>;
  /**
   * Optional, together with `recoverIntent`: closes the crash window between `start()` launching
   * the task and the runner making its handle durable. The runner persists this intent (fsynced)
   * BEFORE it calls `start(spec)`; it must name what the launch will leave behind that a later run
   * of the agent can find without the handle (a wrapper's unique exit-file path in its argv,
   * container labels). Synchronous and side-effect free: it only describes.
   */
  launchIntent?(spec: TaskStartSpec): LaunchIntent;
  /**
   * Optional: after a restart, for a record with an intent but no handle. Finds the task that
   * `start()` may have launched for the intent: `running` (adopted: stop() and wait() work as for
   * a recovered handle), `exited` when it was launched and has already ended, `not-launched` when
   * nothing of it exists (the runner then starts it normally). It must never start anything, and
   * should release what a launch that never ran left behind (an empty cgroup, a created container).
   */
  recoverIntent?(intent: LaunchIntent): Promise<IntentRecovery>;
}

/** What the runner persists before a start; `state` is the driver's own (JSON/msgpack-safe). */
export interface LaunchIntent {
  driver: string;
  taskName: string;
  allocId: string;
  /** Unix time in ms at which the intent was made (just before the start). */
  atMs: number;
  state: Record<string, unknown>;
}

export type IntentRecovery = RecoverResult | { kind: "not-launched" };

export interface DriverFingerprint {
  detected: boolean;
  healthy: boolean;
  healthDescription: string;
  /** Node attributes this driver contributes, e.g. { "driver.exec": "1" }. */
  attributes: Record<string, string>;
}

/** A usable driver's fingerprint: `driver.<name>` = "1" plus whatever else it reports. */
export function healthyFingerprint(
  name: string,
  extra: Record<string, string> = {},
  healthDescription = "healthy",
): DriverFingerprint {
  return {
    detected: true,
    healthy: true,
    healthDescription,
    attributes: { [`driver.${name}`]: "1", ...extra },
  };
}

export interface TaskStartSpec {
  allocId: string;
  taskName: string;
  /** The task's `config` block with `${…}` already interpolated. */
  config: Record<string, unknown>;
  /** The complete environment of the task (NOMAD_* and `env {}`), nothing inherited. */
  env: Record<string, string>;
  /** Run as this user ("" = the agent's user). */
  user: string;
  /** The task's directory (alloc/<task>); the working directory of processes. */
  taskDir: string;
  /** Where stdout and stderr go (opened for append; the log rotator owns rotation). */
  stdoutPath: string;
  stderrPath: string;
  resources: { cpuMhz: number; memoryMB: number; memoryMaxMB: number };
  /** The alloc's ports (label, host port, port inside the task), for drivers that map them. */
  ports: AllocatedPortMapping[];
}

/** Persisted by the client; `state` is the driver's own and must survive JSON/msgpack. */
export interface TaskHandle {
  driver: string;
  taskName: string;
  allocId: string;
  /** Unix time in ms at which the task started. */
  startedAtMs: number;
  state: Record<string, unknown>;
}

export interface ExitResult {
  /** The process's exit code; 0 with `signal` set when killed by a signal. */
  exitCode: number;
  /** The signal number that ended the task, 0 if none. */
  signal: number;
  /** True when the kernel (cgroup memory limit) killed the task for using too much memory. */
  oomKilled: boolean;
  /** A driver-level failure description, "" if none. */
  error: string;
}

export type RecoverResult =
  | { kind: "running"; task: RunningTask }
  | { kind: "exited"; exit: ExitResult | undefined };

export interface RunningTask {
  readonly handle: TaskHandle;
  /** Settles once, when the task has ended (never rejects; a failure is in the result). */
  wait(): Promise<ExitResult>;
  /** Sends a signal (by name, e.g. "SIGHUP") to the task's whole process tree. */
  signal(signal: string): void;
  /**
   * Stops the task: `killSignal` ("" = SIGTERM) to the whole process tree, then SIGKILL to
   * whatever is left after `killTimeoutMs`. Resolves with the exit result once nothing of the
   * task remains.
   */
  stop(killSignal: string, killTimeoutMs: number): Promise<ExitResult>;
}

export interface DriverContext {
  logger: Logger;
  /** The client's data dir (drivers keep nothing there but may read their own state under it). */
  dataDir: string;
}
