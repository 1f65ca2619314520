import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SeededRandom } from "../common/rand.js";
import { mockId } from "./mock.js";
import { compareAllocIds } from "./node-allocs-store.js";
import {
  EMPTY_NODE_USAGE,
  type NodeUsageSummary,
  plainNodeUsage,
  summarizeAllocs,
} from "./node-usage-summary.js";
import { StateSnapshot } from "./state-snapshot.js";
import { StateTxn } from "./state-txn.js";
import type { Allocation } from "./structs.js";
import { emptyTables, type Tables } from "./tables.js";
import { randomAllocFactory } from "./test-random-alloc.js";

const NODE = mockId(1, 1);
const OTHER = mockId(2, 1);

/** The plain form of `summary` against the one summed from `allocs` (the node's, in one version). */
function expectSummaryOf(summary: NodeUsageSummary, allocs: readonly Allocation[], what: string): void {
  const expected = summarizeAllocs(allocs);
  expect(plainNodeUsage(summary, allocs), what).toEqual(plainNodeUsage(expected, allocs));
  if (expected.allocs === 0) expect(summary, what).toBe(EMPTY_NODE_USAGE);
}

/** Every version's summaries of both nodes, read now, against that version's allocations. */
function expectVersions(versions: readonly Tables[]): void {
  for (const tables of versions) {
    const snap = new StateSnapshot(tables);
    for (const nodeId of [NODE, OTHER]) {
      const expected = [...tables.allocs.values()]
        .filter((alloc) => alloc.NodeID === nodeId)
        .sort(compareAllocIds);
      expect(snap.allocsByNode(nodeId), `allocs of ${nodeId} at ${tables.index}`).toEqual(expected);
      // Read twice: a view answers count lookups from the log as it is at the time of the read.
      const summary = snap.nodeUsage(nodeId);
      expectSummaryOf(summary, snap.allocsByNode(nodeId), `node ${nodeId} at ${tables.index}`);
      expectSummaryOf(snap.nodeUsage(nodeId), snap.allocsByNode(nodeId), `again at ${tables.index}`);
    }
  }
}

describe("node usage and allocations-by-node stores", () => {
  it("read every kept version exactly, through aborted, abandoned and branching writes", () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const rand = new SeededRandom(seed);
        const make = randomAllocFactory(rand, {
          node: NODE,
          otherNode: OTHER,
          jobs: ["a", "b", "c"],
          groups: ["web", "db"],
          statuses: ["pending", "running", "complete", "failed"],
          cpu: [100, 500],
          memoryMB: [128, 1024],
          diskMB: [0, 150],
          port: (r) => [22, 8080, 8081, 0, 70_000][r.int(5)] as number,
        });
        const versions: Tables[] = [emptyTables()];
        // Summaries held across later writes, each with the allocations it was read against.
        const held: Array<[NodeUsageSummary, readonly Allocation[], number]> = [];
        let ids = 0;
        for (let index = 1; index <= 160; index++) {
          const roll = rand.next();
          // Mostly the newest version; sometimes an older one (a branch: the store is copied).
          const base =
            roll < 0.08 ? (versions[rand.int(versions.length)] as Tables) : (versions.at(-1) as Tables);
          const txn = new StateTxn(base, Math.max(index, base.index));
          const writes = 1 + rand.int(4);
          for (let w = 0; w < writes; w++) {
            const existing = base.allocs.size > 0 && rand.next() < 0.5 ? [...base.allocs.values()] : [];
            if (existing.length > 0 && rand.next() < 0.2) {
              txn.deleteAlloc((existing[rand.int(existing.length)] as Allocation).ID);
            } else if (existing.length > 0) {
              const old = existing[rand.int(existing.length)] as Allocation;
              txn.putAlloc(make(0, { ID: old.ID }));
            } else {
              txn.putAlloc(make(++ids));
            }
          }
          const fate = rand.next();
          if (fate < 0.1) {
            txn.abort();
          } else if (fate < 0.13) {
            // Abandoned without commit or abort: the next write must take it back.
          } else {
            const next = txn.commit();
            versions.push(next);
            if (rand.next() < 0.2) {
              const snap = new StateSnapshot(next);
              held.push([snap.nodeUsage(NODE), snap.allocsByNode(NODE), next.index]);
            }
          }
        }
        expectVersions(versions);
        for (const [summary, allocs, index] of held) expectSummaryOf(summary, allocs, `held from ${index}`);
      }),
      { numRuns: 300 },
    );
  });

  it("takes an aborted write back and keeps reading the version before it", () => {
    const rand = new SeededRandom(7);
    const make = randomAllocFactory(rand, {
      node: NODE,
      otherNode: NODE,
      jobs: ["a"],
      statuses: ["running"],
      cpu: [500],
      memoryMB: [256],
      diskMB: [150],
      port: () => 8080,
    });
    const first = new StateTxn(emptyTables(), 1);
    for (let i = 1; i <= 3; i++) first.putAlloc(make(i, { DesiredStatus: "run" }));
    const one = first.commit();
    const before = new StateSnapshot(one).nodeUsage(NODE);
    expect(before.allocs).toBe(3);
    expect(before.portCount(8080)).toBeGreaterThan(0);

    const rejected = new StateTxn(one, 2);
    for (let i = 4; i <= 40; i++) rejected.putAlloc(make(i, { DesiredStatus: "run" }));
    rejected.abort();
    const again = new StateSnapshot(one).nodeUsage(NODE);
    expect(plainNodeUsage(again)).toEqual(plainNodeUsage(before));

    const next = new StateTxn(one, 2);
    next.putAlloc(make(4, { DesiredStatus: "run" }));
    const two = next.commit();
    expect(new StateSnapshot(two).nodeUsage(NODE).allocs).toBe(4);
    expect(new StateSnapshot(one).nodeUsage(NODE).allocs).toBe(3);
  });
});
