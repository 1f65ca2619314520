import { describe, expect, it } from "vitest";
import { binpackScore, spreadFitScore } from "./fit-score.js";
import type { GroupAsk } from "./group-ask.js";
import { CountKeys, NodeUsage } from "./node-usage.js";
import { mockNode } from "./test-fixtures.js";

// The mock node offers 3900 MHz and 7936 MB after reservations.
const usage = new NodeUsage(mockNode("n"), new CountKeys());
const ask = (cpu: number, memoryMB: number): GroupAsk => ({
  cpu,
  memoryMB,
  diskMB: 0,
  staticPorts: [],
  dynamicPorts: 0,
});

describe("fit scores (Nomad's ScoreFitBinPack / ScoreFitSpread, normalized by 18)", () => {
  it.each([
    ["a placement that fills the node", ask(3900, 7936), 1, 0],
    ["a tiny placement on an empty node", ask(0, 0), 0, 1],
    ["half the node", ask(1950, 3968), (20 - 2 * 10 ** 0.5) / 18, (2 * 10 ** 0.5 - 2) / 18],
  ])("%s", (_name, a, binpack, spread) => {
    expect(binpackScore(usage, a)).toBeCloseTo(binpack, 12);
    expect(spreadFitScore(usage, a)).toBeCloseTo(spread, 12);
  });
});
