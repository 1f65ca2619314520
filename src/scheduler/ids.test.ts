import { describe, expect, it } from "vitest";
import type { Allocation } from "../fsm/structs.js";
import { hash128, IdSource, schedulingRandom } from "./ids.js";
import { mockGroup, mockJob, mockNode } from "./test-fixtures.js";
import { SchedulerHarness } from "./test-harness.js";

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("IdSource", () => {
  it("gives the same ids for the same inputs, and others for any other input", () => {
    const draw = (seed: number, evalId: string, index: number): string[] => {
      const ids = new IdSource(seed, evalId, index);
      return Array.from({ length: 4 }, () => ids.uuid());
    };
    const base = draw(7, "eval-1", 100);
    expect(draw(7, "eval-1", 100)).toEqual(base);
    for (const other of [draw(8, "eval-1", 100), draw(7, "eval-2", 100), draw(7, "eval-1", 101)]) {
      expect(other.filter((id) => base.includes(id))).toEqual([]);
    }
    for (const id of base) expect(id).toMatch(UUID_V4);
  });

  it("draws ids over many scheduling calls without a duplicate", () => {
    const seen = new Set<string>();
    for (let call = 0; call < 200; call++) {
      const ids = new IdSource(call % 3, `eval-${call % 50}`, 1000 + call);
      for (let i = 0; i < 1000; i++) seen.add(ids.uuid());
    }
    expect(seen.size).toBe(200_000);
  });

  it("hashes inputs that differ in one character to unrelated words", () => {
    const a = hash128("1/eval-a/10");
    const b = hash128("1/eval-b/10");
    let differingBits = 0;
    for (let i = 0; i < 4; i++) {
      let x = ((a[i] as number) ^ (b[i] as number)) >>> 0;
      while (x !== 0) {
        differingBits += x & 1;
        x >>>= 1;
      }
    }
    // About half of the 128 bits flip; far from none or all.
    expect(differingBits).toBeGreaterThan(40);
    expect(differingBits).toBeLessThan(88);
  });
});

/** The PRNG state schedulingRandom starts from (its mixing, step by step). */
function stateOf(seed: number, evalId: string, index: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  const values = [...evalId].map((ch) => ch.charCodeAt(0));
  values.push(index >>> 0, Math.floor(index / 0x100000000));
  for (const value of values) {
    h = Math.imul(h ^ value, 0x85ebca6b) >>> 0;
    h = (h ^ (h >>> 13)) >>> 0;
  }
  return h;
}

/** The seed that makes schedulingRandom(seed, evalId, index) start where `state` says (its steps are bijections). */
function seedForState(state: number, evalId: string, index: number): number {
  const inverse = (c: number): number => {
    let x = c;
    for (let i = 0; i < 5; i++) x = Math.imul(x, 2 - Math.imul(c, x));
    return x;
  };
  const mulInverse = inverse(0x85ebca6b);
  const values = [...evalId].map((ch) => ch.charCodeAt(0));
  values.push(index >>> 0, Math.floor(index / 0x100000000));
  let h = state >>> 0;
  for (const value of values.reverse()) {
    h = (h ^ (h >>> 13) ^ (h >>> 26)) >>> 0;
    h = (Math.imul(h, mulInverse) ^ value) >>> 0;
  }
  return (h ^ 0x9e3779b9) >>> 0;
}

describe("ids of placements", () => {
  it("differ between two evals whose shuffling PRNGs run the same stream", () => {
    // The extreme of two evals whose 32-bit shuffling PRNGs overlap: the same stream from the
    // start. Same-shaped jobs then make the same choices; their allocations must still get their
    // own ids, or the second plan overwrites the first job's allocations.
    const h = new SchedulerHarness();
    h.registerNodes(...Array.from({ length: 8 }, (_, i) => mockNode(`node-${i}`)));
    const jobA = h.registerJob(mockJob("a", { TaskGroups: [mockGroup("web", { Count: 6 })] }));
    const jobB = h.registerJob(mockJob("b", { TaskGroups: [mockGroup("web", { Count: 6 })] }));
    const evalA = h.evalFor(jobA);
    const evalB = h.evalFor(jobB);
    const index = h.snapshot().index;
    const seedB = seedForState(stateOf(42, evalA.ID, index), evalB.ID, index);
    // The premise: both evals' shuffling PRNGs give the same numbers.
    const rngA = schedulingRandom(42, evalA.ID, index);
    const rngB = schedulingRandom(seedB, evalB.ID, index);
    for (let i = 0; i < 8; i++) expect(rngB.next()).toBe(rngA.next());

    const placed = (plan: { NodeAllocation: Record<string, Allocation[]> } | null): Allocation[] =>
      Object.values(plan?.NodeAllocation ?? {}).flat();
    const a = placed(h.process(evalA, { seed: 42, apply: false }).plan);
    const b = placed(h.process(evalB, { seed: seedB, apply: false }).plan);
    expect(a).toHaveLength(6);
    expect(b).toHaveLength(6);
    const idsOfA = new Set(a.map((alloc) => alloc.ID));
    expect(b.filter((alloc) => idsOfA.has(alloc.ID))).toEqual([]);
  });
});
