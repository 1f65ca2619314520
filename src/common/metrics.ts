import {
  AggregatorRegistry,
  Counter,
  collectDefaultMetrics,
  Gauge,
  Histogram,
  type MetricObjectWithValues,
  type MetricValue,
  Registry,
} from "prom-client";

/** Metrics in prom-client's JSON form (Registry.getMetricsAsJSON). */
export type MetricsJson = MetricObjectWithValues<MetricValue<string>>[];

/**
 * One registry per agent, so that several agents in one test process never collide on metric
 * names. Components register their metrics on the registry they are handed; nothing uses
 * prom-client's global registry.
 */
export class AgentMetrics {
  readonly registry = new Registry();
  /** Registries kept elsewhere (another thread's), merged into every scrape. */
  private readonly sources: Array<() => Promise<MetricsJson>> = [];

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

  /**
   * Adds a registry kept elsewhere (the Raft thread's, asked over its port): its metrics appear
   * in text() and json() beside this registry's. A source that fails is left out of that scrape.
   */
  addSource(source: () => Promise<MetricsJson>): void {
    this.sources.push(source);
  }

  /** Prometheus text exposition format. */
  async text(): Promise<string> {
    if (this.sources.length === 0) return this.registry.metrics();
    return (await this.merged()).metrics();
  }

  /** Every metric in prom-client's JSON form (this registry and the added sources). */
  async json(): Promise<MetricsJson> {
    if (this.sources.length === 0) return this.registry.getMetricsAsJSON();
    return (await this.merged()).getMetricsAsJSON();
  }

  /**
   * One registry with this one's metrics and the sources'. Each metric is aggregated as a sum:
   * a name appears in one registry only, or (drover_grpc_server_*) with other label values, so
   * the sum passes every value through; the metric's own aggregator would drop some ('omit').
   */
  private async merged(): Promise<Registry> {
    const extra = await Promise.all(this.sources.map((source) => source().catch(() => [] as MetricsJson)));
    const all = [await this.registry.getMetricsAsJSON(), ...extra].map((metrics) =>
      metrics.map((metric) => ({ ...metric, aggregator: "sum" as const })),
    );
    return AggregatorRegistry.aggregate(all);
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
