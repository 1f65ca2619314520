import type { Logger } from "../../common/log.js";
import type { Allocation, Job, Node } from "../../fsm/index.js";
import type { AllocClientFields } from "../../rpc/server-api.js";
import type { Driver } from "../drivers/driver.js";
import type { ClientStateDb } from "../state/client-state-db.js";

/**
 * What the client agent needs of an alloc runner, and what an alloc runner needs of the agent.
 * The agent's alloc sync creates one runner per allocation it is given, feeds it every later
 * version of that allocation, and forwards what the runner reports (its client-owned fields) to
 * the servers in batches.
 */
export interface AllocRunnerDeps {
  logger: Logger;
  /** `<data_dir>/alloc`: each allocation gets `<allocDir>/<alloc id>/`. */
  allocRoot: string;
  /** The node as fingerprinted (attributes, meta, datacenter…) for `${attr.*}`, `${node.*}`. */
  node: () => Node;
  region: string;
  drivers: ReadonlyMap<string, Driver>;
  state: ClientStateDb;
  /** Called whenever the allocation's client-owned fields change (status, task states, health). */
  onUpdate: (fields: AllocClientFields) => void;
  /** Unix time in ms (real clock on the agent; tests may pass their own). */
  nowMs: () => number;
  metrics: ClientMetrics;
}

/** The client's Prometheus series, owned by the agent and updated by the runners. */
export interface ClientMetrics {
  taskRestarts(): void;
  /** Seconds from the runner being asked to start the task to the driver reporting it running. */
  taskStarted(seconds: number): void;
}

export interface LogRequest {
  task: string;
  type: "stdout" | "stderr";
  /** "start" (offset from the beginning) or "end" (offset back from the end). */
  origin: "start" | "end";
  offset: number;
  /** Keep streaming new output until the task ends (or the signal aborts). */
  follow: boolean;
  signal: AbortSignal;
}

/** One chunk of a task's log, with where it came from (Nomad's StreamFrame). */
export interface LogFrame {
  file: string;
  offset: number;
  data: Buffer;
}

export interface AllocRunnerHandle {
  readonly allocId: string;
  /** Starts the tasks (a new allocation) in lifecycle order. */
  run(): void;
  /**
   * Re-attaches to tasks recorded in the state DB by an earlier run of the agent (restart
   * survival), then carries on as `run()` would for what did not survive.
   */
  restore(): Promise<void>;
  /** A newer version of the allocation (and its job) from the servers: desired status changes. */
  update(alloc: Allocation, job: Job): void;
  /** Stops every task (kill signal, then SIGKILL after kill_timeout) and resolves once all ended. */
  stop(reason: string): Promise<void>;
  /** Stops the tasks if needed, deletes the alloc dir and the alloc's state records. */
  destroy(): Promise<void>;
  /**
   * The agent shuts down and leaves the tasks running: the runner stops watching, rotating logs
   * and reporting; the state DB keeps what `restore()` needs. Optional so that test doubles of
   * this interface need not implement it.
   */
  shutdown(): Promise<void>;
  /** The client-owned fields as of now (what `onUpdate` last reported). */
  clientFields(): AllocClientFields;
  /** A task's log: everything asked for, then (with `follow`) new output until the task ends. */
  logs(request: LogRequest): AsyncIterable<LogFrame>;
  /** True once every task has ended and nothing more will run (the alloc is terminal here). */
  readonly terminal: boolean;
}
