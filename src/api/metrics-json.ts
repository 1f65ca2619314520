import type { MetricObjectWithValues, MetricValue, MetricValueWithName } from "prom-client";

/**
 * `/v1/metrics` without `?format=prometheus`: Nomad answers its in-memory metrics as JSON
 * (go-metrics' summary: Gauges, Counters, Samples), and scripts written for Nomad read that shape.
 * Drover keeps one Prometheus registry per agent; this renders it in Nomad's shape: a gauge is a
 * Gauge, a counter a Counter (Count = Sum = its value), a histogram or summary a Sample with its
 * count, sum and mean. Names keep Drover's spelling (`drover_raft_term`).
 */
export interface NomadMetricsJson {
  Timestamp: string;
  Gauges: Array<{ Name: string; Value: number; Labels: Record<string, string> }>;
  Counters: Array<{ Name: string; Count: number; Sum: number; Labels: Record<string, string> }>;
  Samples: Array<{ Name: string; Count: number; Sum: number; Mean: number; Labels: Record<string, string> }>;
  Points: never[];
}

type Metric = MetricObjectWithValues<MetricValue<string> | MetricValueWithName<string>>;

export function nomadMetricsJson(metrics: readonly Metric[], now: Date): NomadMetricsJson {
  const out: NomadMetricsJson = {
    Timestamp: now.toISOString(),
    Gauges: [],
    Counters: [],
    Samples: [],
    Points: [],
  };
  for (const metric of metrics) {
    const type = String(metric.type);
    if (type === "gauge") {
      for (const v of metric.values)
        out.Gauges.push({ Name: metric.name, Value: v.value, Labels: labels(v.labels) });
    } else if (type === "counter") {
      for (const v of metric.values)
        out.Counters.push({ Name: metric.name, Count: v.value, Sum: v.value, Labels: labels(v.labels) });
    } else {
      out.Samples.push(...samples(metric));
    }
  }
  return out;
}

/** One Sample per label set of a histogram or summary, from its `_count` and `_sum` series. */
function samples(metric: Metric): NomadMetricsJson["Samples"] {
  const bySet = new Map<string, { Labels: Record<string, string>; Count: number; Sum: number }>();
  for (const v of metric.values) {
    const name = "metricName" in v ? v.metricName : metric.name;
    const isCount = name.endsWith("_count");
    if (!isCount && !name.endsWith("_sum")) continue;
    const own = labels(v.labels);
    const key = JSON.stringify(own);
    const entry = bySet.get(key) ?? { Labels: own, Count: 0, Sum: 0 };
    if (isCount) entry.Count = v.value;
    else entry.Sum = v.value;
    bySet.set(key, entry);
  }
  return [...bySet.values()].map((e) => ({
    Name: metric.name,
    Count: e.Count,
    Sum: e.Sum,
    Mean: e.Count === 0 ? 0 : e.Sum / e.Count,
    Labels: e.Labels,
  }));
}

function labels(raw: Partial<Record<string, string | number>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) if (value !== undefined) out[key] = String(value);
  return out;
}
