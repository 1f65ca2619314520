import type { StateReader } from "../fsm/state-reader.js";
import type { Evaluation } from "../fsm/structs.js";
import type { ScheduleOptions, ScheduleResult } from "../scheduler/schedule-types.js";
import type { ServerContext } from "./context.js";

/** The scheduler's entry point (src/scheduler `schedule`). */
export type ScheduleFn = (
  reader: StateReader,
  evaluation: Evaluation,
  options: ScheduleOptions,
) => ScheduleResult;

/** One schedule() run and the index of the state snapshot it ran against. */
export interface ScheduleRun {
  readonly result: ScheduleResult;
  readonly snapshotIndex: number;
}

/**
 * Where a worker's schedule() calls run. The agent runs them inline, on FSM snapshots of the main
 * thread (Raft keeps its timing on its own thread); tests may run them elsewhere.
 */
export interface SchedulerRunner {
  /** Runs schedule() against the local state once it has reached `minIndex`. */
  run(
    evaluation: Evaluation,
    minIndex: number,
    options: ScheduleOptions,
    signal?: AbortSignal,
  ): Promise<ScheduleRun>;
  close(): Promise<void>;
}

/** Runs schedule() on the calling thread, against the context's latest snapshot. */
export class InlineSchedulerRunner implements SchedulerRunner {
  constructor(
    private readonly ctx: ServerContext,
    private readonly schedule: ScheduleFn,
  ) {}

  async run(
    evaluation: Evaluation,
    minIndex: number,
    options: ScheduleOptions,
    signal?: AbortSignal,
  ): Promise<ScheduleRun> {
    await this.ctx.waitForIndex(minIndex, signal);
    const reader = this.ctx.state();
    return { result: this.schedule(reader, evaluation, options), snapshotIndex: reader.index };
  }

  async close(): Promise<void> {}
}
