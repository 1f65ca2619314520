import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BuiltInnerMaps, IndexDraft } from "./index-draft.js";
import { hashString, PMap } from "./persistent-map.js";

type Op =
  | { kind: "set"; outer: string; inner: string; value: number }
  | { kind: "delete"; outer: string; inner: string }
  | { kind: "read"; outer: string };

const outerArb = fc.constantFrom("n1", "n2", "n3", "n4");
const innerArb = fc.constantFrom(...Array.from({ length: 24 }, (_, i) => `a${i}`));
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("set" as const),
      outer: outerArb,
      inner: innerArb,
      value: fc.integer(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("delete" as const), outer: outerArb, inner: innerArb }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("read" as const), outer: outerArb }) },
);

type Model = Map<string, Map<string, number>>;

function plain(index: PMap<PMap<number>>): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const [key, inner] of index.entries()) out[key] = Object.fromEntries([...inner.entries()].sort());
  return out;
}

function plainModel(model: Model): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const [key, inner] of model) if (inner.size > 0) out[key] = Object.fromEntries([...inner].sort());
  return out;
}

/** Where each inner key lives, as an allocation's ID lives under its one node. */
function ownerOf(model: Model, inner: string): string | undefined {
  for (const [key, map] of model) if (map.has(inner)) return key;
  return undefined;
}

describe("IndexDraft", () => {
  it("matches a map of maps, whether new inner maps are gathered for a bulk build or not", () => {
    fc.assert(
      fc.property(fc.array(fc.array(opArb, { maxLength: 60 }), { maxLength: 5 }), (transactions) => {
        const model: Model = new Map();
        let index = PMap.empty<PMap<number>>();
        const versions: Array<[PMap<PMap<number>>, Record<string, Record<string, number>>]> = [];
        for (const ops of transactions) {
          const draft = new IndexDraft(index, {});
          for (const op of ops) {
            if (op.kind === "read") {
              const inner = model.get(op.outer);
              const expected =
                inner === undefined || inner.size === 0 ? undefined : Object.fromEntries([...inner].sort());
              const got = draft.get(op.outer);
              expect(got === undefined ? undefined : Object.fromEntries([...got.entries()].sort())).toEqual(
                expected,
              );
              continue;
            }
            if (op.kind === "delete") {
              draft.delete(op.outer, op.inner);
              model.get(op.outer)?.delete(op.inner);
              continue;
            }
            // An inner key lives under one outer key at a time (the txn unindexes it first).
            const at = ownerOf(model, op.inner);
            if (at !== undefined && at !== op.outer) {
              draft.delete(at, op.inner);
              model.get(at)?.delete(op.inner);
            }
            const absent = ownerOf(model, op.inner) === undefined;
            draft.setHashed(op.outer, op.inner, hashString(op.inner), op.value, absent);
            let inner = model.get(op.outer);
            if (inner === undefined) {
              inner = new Map();
              model.set(op.outer, inner);
            }
            inner.set(op.inner, op.value);
          }
          index = draft.finish();
          expect(plain(index)).toEqual(plainModel(model));
          versions.push([index, plain(index)]);
        }
        for (const [version, expected] of versions) expect(plain(version)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it("builds a new inner map in the canonical order of one-at-a-time inserts", () => {
    const ids = Array.from({ length: 1000 }, (_, i) => `alloc-${i}`);
    const draft = new IndexDraft(PMap.empty<PMap<number>>(), {});
    for (const [i, id] of ids.entries()) draft.setHashed("job", id, hashString(id), i, true);
    const built = draft.finish().get("job");
    let oneByOne = PMap.empty<number>();
    for (const [i, id] of ids.entries()) oneByOne = oneByOne.set(id, i);
    expect(built?.size).toBe(1000);
    expect([...(built?.entries() ?? [])]).toEqual([...oneByOne.entries()]);
  });

  it("shares one built inner map between indexes that gathered the same entries", () => {
    const ids = Array.from({ length: 100 }, (_, i) => `alloc-${i}`);
    const owner = {};
    const byJob = new IndexDraft(PMap.empty<PMap<number>>(), owner);
    const byEval = new IndexDraft(PMap.empty<PMap<number>>(), owner);
    const byNode = new IndexDraft(PMap.empty<PMap<number>>(), owner);
    for (const [i, id] of ids.entries()) {
      byJob.setHashed("job", id, hashString(id), i, true);
      byEval.setHashed("eval", id, hashString(id), i, true);
      // Equal keys, one value differs: not the same entries.
      byNode.setHashed("node", id, hashString(id), i === 50 ? -1 : i, true);
    }
    // A second pair in the same transaction.
    for (let i = 0; i < 10; i++) {
      const id = `other-${i}`;
      byJob.setHashed("job2", id, hashString(id), i, true);
      byEval.setHashed("eval2", id, hashString(id), i, true);
    }
    const builds = new BuiltInnerMaps<number>();
    // The node map starts with the same key as the job's: the eval's is told from both.
    const nodes = byNode.finish(builds);
    const jobs = byJob.finish(builds);
    const evals = byEval.finish(builds);
    expect(evals.get("eval")).toBe(jobs.get("job"));
    expect(evals.get("eval2")).toBe(jobs.get("job2"));
    expect(jobs.get("job2")?.size).toBe(10);
    expect(nodes.get("node")).not.toBe(jobs.get("job"));
    expect(nodes.get("node")?.get("alloc-50")).toBe(-1);

    // A later write to one index leaves the other as it was.
    const next = new IndexDraft(evals, {});
    next.set("eval", "alloc-0", -7);
    next.delete("eval", "alloc-1");
    const evalsAfter = next.finish();
    expect(evalsAfter.get("eval")?.get("alloc-0")).toBe(-7);
    expect(evalsAfter.get("eval")?.get("alloc-1")).toBeUndefined();
    expect(jobs.get("job")?.get("alloc-0")).toBe(0);
    expect(jobs.get("job")?.get("alloc-1")).toBe(1);
    expect(jobs.get("job")?.size).toBe(100);
  });
});
