import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BagDraft, bagCount, bagEntries, bagOf, bagPrefixSum, type CountBag, emptyBag } from "./count-bag.js";

describe("CountBag", () => {
  it("counts as a map does, across drafts, merges and untouched earlier versions", () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.tuple(fc.integer({ min: 0, max: 40 }), fc.boolean()), { maxLength: 60 }), {
          maxLength: 12,
        }),
        (batches) => {
          const model = new Map<number, number>();
          let bag: CountBag<number> = emptyBag();
          const versions: Array<[CountBag<number>, Array<[number, number]>]> = [];
          for (const batch of batches) {
            const draft = new BagDraft(bag);
            for (const [key, up] of batch) {
              const before = model.get(key) ?? 0;
              if (!up && before === 0) continue;
              expect(draft.add(key, up ? 1 : -1)).toBe(before);
              if (up || before > 1) model.set(key, before + (up ? 1 : -1));
              else model.delete(key);
              expect(draft.count(key)).toBe(model.get(key) ?? 0);
            }
            bag = draft.finish();
            const expected = [...model].sort((a, b) => a[0] - b[0]);
            expect([...bagEntries(bag)]).toEqual(expected);
            for (let key = 0; key <= 40; key++) expect(bagCount(bag, key)).toBe(model.get(key) ?? 0);
            expect([...bagEntries(bagOf(model))]).toEqual(expected);
            versions.push([bag, expected]);
          }
          for (const [version, expected] of versions) expect([...bagEntries(version)]).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });
  it("keeps sibling drafts of one version apart", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 30 }), { maxLength: 40 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 30 })), {
          maxLength: 80,
        }),
        (start, writes) => {
          const model = new Map<number, number>();
          const first = new BagDraft<number>(emptyBag());
          for (const key of start) {
            first.add(key, 1);
            model.set(key, (model.get(key) ?? 0) + 1);
          }
          const base = first.finish();
          const expectedBase = [...model].sort((a, b) => a[0] - b[0]);
          const left = new BagDraft(base);
          const right = new BagDraft(base);
          const leftModel = new Map(model);
          const rightModel = new Map(model);
          for (const [l, r] of writes) {
            left.add(l, 1);
            leftModel.set(l, (leftModel.get(l) ?? 0) + 1);
            right.add(r, 1);
            rightModel.set(r, (rightModel.get(r) ?? 0) + 1);
          }
          // Interleaved drafts, then both published: neither sees the other's writes.
          expect([...bagEntries(left.finish())]).toEqual([...leftModel].sort((a, b) => a[0] - b[0]));
          expect([...bagEntries(right.finish())]).toEqual([...rightModel].sort((a, b) => a[0] - b[0]));
          expect([...bagEntries(base)]).toEqual(expectedBase);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("shares the changes of the version a write starts from", () => {
    let bag: CountBag<string> = bagOf(new Map(Object.entries({ a: 1, b: 2, c: 3 })));
    const draft = new BagDraft(bag);
    draft.add("b", 1);
    draft.add("d", 1);
    draft.add("b", 1);
    const next = draft.finish();
    // Two keys changed: two new cells (the second write of "b" changed its own cell in place).
    expect(next.changeCount).toBe(2);
    expect(next.keys).toBe(bag.keys);
    bag = next;
    const again = new BagDraft(bag);
    again.add("a", -1);
    const last = again.finish();
    expect(last.changeCount).toBe(3);
    expect(last.changes?.next).toBe(bag.changes);
    expect(bagCount(bag, "b")).toBe(4);
    expect(bagCount(last, "a")).toBe(0);
    expect([...bagEntries(last)]).toEqual([
      ["b", 4],
      ["c", 3],
      ["d", 1],
    ]);
    expect(bagPrefixSum(last, "")).toBe(8);
  });

  it("folds a long run of one draft's changes as it goes", () => {
    const draft = new BagDraft<number>(emptyBag());
    for (let key = 0; key < 1000; key++) draft.add(key, 1);
    for (let key = 0; key < 1000; key += 2) expect(draft.add(key, -1)).toBe(1);
    const bag = draft.finish();
    expect(bag.changeCount).toBeLessThanOrEqual(4 * 32);
    expect([...bagEntries(bag)]).toEqual(Array.from({ length: 500 }, (_, i) => [2 * i + 1, 1]));
  });
});
