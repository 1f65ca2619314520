import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/**
 * One registry per agent, so that several agents in one test process never collide on metric
 * names. Components register their metrics on the registry they are handed; nothing uses
 * prom-client's global registry.
 */
export class AgentMetrics {
  readonly registry = new Registry();

  constructor(agentName: string, options: { processMetrics?: boolean } = {}) {
    this.registry.setDefaultLabels({ agent: agentName });
    if (options.processMetrics ?? true) {
      // Node.js process metrics, event-loop lag included (nodejs_eventloop_lag_*).
      collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 10 });
    }
  }

  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return new Gauge({ name, help, labelNames: [...labelNames], registers: [this.registry] });
  }

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return new Counter({ name, help, labelNames: [...labelNames], registers: [this.registry] });
  }

  histogram(
    name: string,
    help: string,
    labelNames: readonly string[] = [],
    buckets: readonly number[] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  ): Histogram {
    return new Histogram({
      name,
      help,
      labelNames: [...labelNames],
      buckets: [...buckets],
      registers: [this.registry],
    });
  }

  /** Prometheus text exposition format. */
  async text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
