import { performance } from "node:perf_hooks";
import type { Histogram } from "prom-client";
import type { AgentMetrics } from "../common/metrics.js";
import { COMMAND_TYPES, type CommandType } from "../fsm/commands.js";
import type { ApplyTimer } from "../fsm/drover-fsm.js";

/** An entry applies in microseconds (a heartbeat) up to a large fraction of a second (a 1,000-alloc plan). */
const BUCKETS = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
];

/**
 * drover_fsm_apply_seconds{command}: the time the FSM took to apply one entry, by command type,
 * measured around each entry of the apply loop (the clock is read here, never inside the FSM).
 * One histogram child per command type, made up front: the apply loop only looks one up.
 */
export class FsmApplyTimer implements ApplyTimer {
  private readonly children = new Map<string, Histogram.Internal<string>>();

  constructor(metrics: AgentMetrics) {
    const histogram = metrics.histogram(
      "drover_fsm_apply_seconds",
      "Seconds the FSM took to apply one Raft entry, by command type (rejected: commands the FSM refused)",
      ["command"],
      BUCKETS,
    );
    for (const type of [...COMMAND_TYPES, "rejected"]) this.children.set(type, histogram.labels(type));
  }

  start(): number {
    return performance.now();
  }

  stop(started: number, command: CommandType | "rejected"): void {
    this.children.get(command)?.observe((performance.now() - started) / 1000);
  }
}
