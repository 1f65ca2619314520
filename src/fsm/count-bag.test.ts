import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BagDraft, bagCount, bagEntries, bagOf, type CountBag, emptyBag } from "./count-bag.js";

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
});
