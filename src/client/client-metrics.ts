import { type Counter, Gauge, type Histogram } from "prom-client";
import type { AgentMetrics } from "../common/metrics.js";
import type { AllocClientStatus } from "../fsm/index.js";
import type { ClientMetrics } from "./allocrunner/alloc-runner-api.js";

const STATES: readonly AllocClientStatus[] = ["pending", "running", "complete", "failed", "lost", "unknown"];

/** The client's series on its agent's registry: allocations by state, task restarts, start latency. */
export class ClientAgentMetrics implements ClientMetrics {
  private readonly restarts: Counter;
  private readonly startSeconds: Histogram;

  constructor(metrics: AgentMetrics, allocStates: () => Iterable<AllocClientStatus>) {
    this.restarts = metrics.counter(
      "drover_client_task_restarts_total",
      "Tasks restarted by their restart policy on this client",
    );
    this.startSeconds = metrics.histogram(
      "drover_client_task_start_seconds",
      "Seconds from a task runner starting a task to its driver reporting it running",
      [],
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    );
    // Counted from the runners on each scrape, so the gauge can never drift from them.
    new Gauge({
      name: "drover_client_allocs",
      help: "Allocations held by this client, by client status",
      labelNames: ["state"],
      registers: [metrics.registry],
      collect() {
        const counts = new Map<AllocClientStatus, number>(STATES.map((s) => [s, 0]));
        for (const state of allocStates()) counts.set(state, (counts.get(state) ?? 0) + 1);
        for (const [state, count] of counts) this.set({ state }, count);
      },
    });
  }

  taskRestarts(): void {
    this.restarts.inc();
  }

  taskStarted(seconds: number): void {
    this.startSeconds.observe(seconds);
  }
}
