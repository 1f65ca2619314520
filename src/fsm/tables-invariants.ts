import { assert } from "../common/assert.js";
import { compareAllocIds, groupByNode } from "./node-allocs-store.js";
import { EMPTY_NODE_USAGE, plainNodeUsage, summarizeAllocs } from "./node-usage-summary.js";
import type { PMap } from "./persistent-map.js";
import { StateSnapshot } from "./state-snapshot.js";
import { type Allocation, allocTerminal, isTerminalEvalStatus } from "./structs.js";
import { nsKey, type Tables } from "./tables.js";

/**
 * Checks that every secondary index and counter of a `Tables` version agrees with the primary
 * tables (for tests and simulation `invariants()` steps). O(size of the state); throws an
 * AssertionError naming the first disagreement.
 */
export function checkTablesInvariants(tables: Tables): void {
  checkIndex("jobsByType", tables.jobsByType, tables.jobs, (job) => [job.Type]);
  checkIndex("jobsByParent", tables.jobsByParent, tables.jobs, (job) =>
    job.ParentID === "" ? [] : [nsKey(job.Namespace, job.ParentID)],
  );
  checkIndex("nodesByClass", tables.nodesByClass, tables.nodes, (node) => [node.ComputedClass]);
  checkIndex("allocsByJob", tables.allocsByJob, tables.allocs, (alloc) => [
    nsKey(alloc.Namespace, alloc.JobID),
  ]);
  checkIndex("allocsByEval", tables.allocsByEval, tables.allocs, (alloc) => [alloc.EvalID]);
  checkIndex("evalsByJob", tables.evalsByJob, tables.evals, (e) => [nsKey(e.Namespace, e.JobID)]);
  checkIndex("deploymentsByJob", tables.deploymentsByJob, tables.deployments, (d) => [
    nsKey(d.Namespace, d.JobID),
  ]);

  const liveAllocs = new Map<string, number>();
  tables.allocs.forEach((alloc) => {
    const key = nsKey(alloc.Namespace, alloc.JobID);
    if (!allocTerminal(alloc)) liveAllocs.set(key, (liveAllocs.get(key) ?? 0) + 1);
  });
  checkCounts("liveAllocsByJob", tables.liveAllocsByJob, liveAllocs);
  const liveEvals = new Map<string, number>();
  tables.evals.forEach((e) => {
    const key = nsKey(e.Namespace, e.JobID);
    if (!isTerminalEvalStatus(e.Status)) liveEvals.set(key, (liveEvals.get(key) ?? 0) + 1);
  });
  checkCounts("liveEvalsByJob", tables.liveEvalsByJob, liveEvals);
  const byNode = allocsByNodeOf(tables);
  checkAllocsByNode(tables, byNode);
  checkNodeUsage(tables, byNode);

  tables.jobs.forEach((job, key) => {
    assert(key === nsKey(job.Namespace, job.ID), () => `jobs: key ${key} does not match job ${job.ID}`);
    const versions = tables.jobVersions.get(key);
    assert(
      versions?.some((v) => v.Version === job.Version),
      () => `job ${key}: current version not in versions`,
    );
    assert(tables.jobSummaries.has(key), () => `job ${key}: no summary`);
  });
  tables.allocs.forEach((alloc, key) => {
    assert(key === alloc.ID, () => `allocs: key ${key} holds alloc ${alloc.ID}`);
    assert(
      alloc.ModifyIndex <= tables.tableIndexes.allocs,
      () => `alloc ${key}: ModifyIndex after table index`,
    );
    assert(alloc.CreateIndex <= alloc.ModifyIndex, () => `alloc ${key}: created after modified`);
  });
  for (const [table, index] of Object.entries(tables.tableIndexes)) {
    assert(index <= tables.index, () => `table ${table} index ${index} after state index ${tables.index}`);
  }
}

function checkIndex<T extends object>(
  name: string,
  index: PMap<PMap<T>>,
  primary: PMap<T>,
  keysOf: (value: T) => string[],
): void {
  let expected = 0;
  primary.forEach((value, id) => {
    for (const outer of keysOf(value)) {
      expected += 1;
      assert(
        index.get(outer)?.get(id) === value,
        () => `${name}: ${id} missing or stale under ${JSON.stringify(outer)}`,
      );
    }
  });
  let actual = 0;
  index.forEach((inner, outer) => {
    assert(inner.size > 0, () => `${name}: empty bucket ${JSON.stringify(outer)} kept`);
    actual += inner.size;
  });
  assert(actual === expected, () => `${name}: holds ${actual} entries, primary implies ${expected}`);
}

function checkCounts(name: string, counts: PMap<number>, expected: Map<string, number>): void {
  assert(counts.size === expected.size, () => `${name}: ${counts.size} keys, expected ${expected.size}`);
  for (const [key, count] of expected) {
    assert(
      counts.get(key) === count,
      () => `${name}: ${JSON.stringify(key)} is ${counts.get(key)}, expected ${count}`,
    );
  }
}

/** Node ID → its allocations (by ID), from the allocs table. */
function allocsByNodeOf(tables: Tables): Map<string, Allocation[]> {
  const byNode = groupByNode(tables.allocs);
  for (const list of byNode.values()) list.sort(compareAllocIds);
  return byNode;
}

/** Each node lists exactly its allocations, by ID; a node without any lists none. */
function checkAllocsByNode(tables: Tables, byNode: ReadonlyMap<string, readonly Allocation[]>): void {
  const reader = new StateSnapshot(tables);
  for (const [nodeId, allocs] of byNode) {
    const listed = reader.allocsByNode(nodeId);
    assert(
      listed.length === allocs.length && listed.every((alloc, i) => alloc === allocs[i]),
      () =>
        `allocsByNode: node ${nodeId} lists ${listed.map((a) => a.ID).join(",")}, ` +
        `the allocs table ${allocs.map((a) => a.ID).join(",")}`,
    );
  }
  for (const nodeId of tables.allocsByNode.nodeIds()) {
    if (byNode.has(nodeId)) continue;
    const listed = reader.allocsByNode(nodeId);
    assert(listed.length === 0, () => `allocsByNode: node ${nodeId} lists ${listed.length} it does not hold`);
  }
}

/** Every node's usage summary equals the one recomputed from its allocations; no empty ones kept. */
function checkNodeUsage(tables: Tables, byNode: ReadonlyMap<string, readonly Allocation[]>): void {
  const reader = new StateSnapshot(tables);
  for (const [nodeId, allocs] of byNode) {
    const expected = summarizeAllocs(allocs);
    const stored = reader.nodeUsage(nodeId);
    if (expected.allocs === 0) {
      assert(stored === EMPTY_NODE_USAGE, () => `nodeUsage: node ${nodeId} holds nothing but has a summary`);
      continue;
    }
    const want = JSON.stringify(plainNodeUsage(expected, allocs));
    const got = JSON.stringify(plainNodeUsage(stored, allocs));
    assert(got === want, () => `nodeUsage: node ${nodeId} is ${got}, its allocations sum to ${want}`);
  }
  for (const nodeId of tables.nodeUsage.nodeIds()) {
    if (byNode.has(nodeId)) continue;
    assert(
      reader.nodeUsage(nodeId) === EMPTY_NODE_USAGE,
      () => `nodeUsage: node ${nodeId} has no allocations but has a summary`,
    );
  }
}
