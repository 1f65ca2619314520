import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { nomadMetricsJson } from "./metrics-json.js";

describe("nomadMetricsJson", () => {
  it("renders gauges, counters and histograms in Nomad's JSON shape", async () => {
    const registry = new Registry();
    new Gauge({ name: "drover_raft_term", help: "t", registers: [registry] }).set(3);
    new Counter({
      name: "drover_restarts_total",
      help: "r",
      labelNames: ["kind"],
      registers: [registry],
    }).inc({ kind: "task" }, 2);
    const h = new Histogram({ name: "drover_apply_seconds", help: "a", registers: [registry] });
    h.observe(0.1);
    h.observe(0.3);
    const json = nomadMetricsJson(await registry.getMetricsAsJSON(), new Date(Date.UTC(2026, 0, 2)));
    expect(json.Timestamp).toBe("2026-01-02T00:00:00.000Z");
    expect(json.Gauges).toEqual([{ Name: "drover_raft_term", Value: 3, Labels: {} }]);
    expect(json.Counters).toEqual([
      { Name: "drover_restarts_total", Count: 2, Sum: 2, Labels: { kind: "task" } },
    ]);
    expect(json.Samples).toHaveLength(1);
    expect(json.Samples[0]).toMatchObject({ Name: "drover_apply_seconds", Count: 2, Labels: {} });
    expect(json.Samples[0]?.Mean).toBeCloseTo(0.2);
  });
});
