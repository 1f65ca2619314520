import { describe, expect, it } from "vitest";
import { type ChaosOptions, formatSummary, runChaos } from "./chaos-run.js";
import { FAULT_KINDS } from "./nemesis.js";
import { NetnsNetwork } from "./netns-network.js";

// The bounded chaos suite `npm test` runs: fixed seeds, every fault, real processes. Each run
// fails with its summary, which names the seed and the command that replays it.
const unavailable = NetnsNetwork.unavailable();
if (unavailable !== undefined) console.log(`chaos: skipped: ${unavailable}`);

async function expectClean(options: ChaosOptions): Promise<void> {
  const lines: string[] = [];
  const summary = await runChaos({ ...options, log: (line) => lines.push(line) });
  const report = `${lines.join("\n")}\n${formatSummary(summary, options)}`;
  expect(summary.violations, report).toEqual([]);
  expect(summary.linearizability.anomalies, report).toEqual([]);
  expect(summary.linearizability.timedOut, report).toEqual([]);
  // The run did what it is for: faults went in and the workload made progress through them.
  expect(summary.injected.length, report).toBeGreaterThan(0);
  expect(summary.varOps.ok, report).toBeGreaterThan(0);
  expect(summary.jobOps.ok, report).toBeGreaterThan(0);
  expect(summary.linearizability.keys, report).toBeGreaterThan(0);
  // Servers compacted their logs under the faults (whether a snapshot had to be installed
  // depends on timing, so the summary reports it without a bound).
  expect(summary.raftSnapshots.compactions, report).toBeGreaterThan(0);
}

describe.skipIf(unavailable !== undefined)("chaos on real clusters", () => {
  it("3 servers, 2 clients, every fault (seed 7)", async () => {
    await expectClean({ seed: 7, durationMs: 120_000, faults: FAULT_KINDS, servers: 3, clients: 2 });
  });

  it("5 servers, 2 clients, every fault (seed 11)", async () => {
    await expectClean({ seed: 11, durationMs: 75_000, faults: FAULT_KINDS, servers: 5, clients: 2 });
  });
});
