import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hashString, PMap } from "./persistent-map.js";

type Op = { kind: "set"; key: string; value: number } | { kind: "delete"; key: string };

const keyArb = fc.oneof(fc.constantFrom("a", "b", "c", "d", "e", "f"), fc.string({ maxLength: 6 }));
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("set" as const), key: keyArb, value: fc.integer() }),
  fc.record({ kind: fc.constant("delete" as const), key: keyArb }),
);

function contents(map: PMap<number>): Array<[string, number]> {
  return [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Finds `count` pairs of distinct keys with equal 32-bit hashes (birthday search). */
function collidingPairs(count: number): Array<[string, string]> {
  const seen = new Map<number, string>();
  const pairs: Array<[string, string]> = [];
  for (let i = 0; pairs.length < count; i++) {
    const key = `k${i}`;
    const h = hashString(key);
    const other = seen.get(h);
    if (other === undefined) seen.set(h, key);
    else pairs.push([other, key]);
  }
  return pairs;
}

describe("PMap", () => {
  it("behaves like a Map, with and without an edit owner, and never changes old versions", () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 200 }), fc.boolean(), (ops, useOwner) => {
        const owner = useOwner ? {} : null;
        const model = new Map<string, number>();
        let map = PMap.empty<number>();
        const frozen = map;
        const versions: Array<[PMap<number>, Array<[string, number]>]> = [];
        for (const op of ops) {
          if (op.kind === "set") {
            map = map.set(op.key, op.value, owner);
            model.set(op.key, op.value);
          } else {
            map = map.delete(op.key, owner);
            model.delete(op.key);
          }
          expect(map.size).toBe(model.size);
          if (!useOwner) versions.push([map, contents(map)]);
        }
        for (const [key, value] of model) expect(map.get(key)).toBe(value);
        expect(contents(map)).toEqual([...model].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
        expect(frozen.size).toBe(0);
        for (const [version, snapshot] of versions) expect(contents(version)).toEqual(snapshot);
      }),
      { numRuns: 300 },
    );
  });

  it("an owned batch leaves versions taken before it untouched", () => {
    let base = PMap.empty<number>();
    for (let i = 0; i < 2000; i++) base = base.set(`k${i}`, i);
    const before = contents(base);
    const owner = {};
    let next = base;
    for (let i = 0; i < 2000; i += 3) next = next.delete(`k${i}`, owner);
    for (let i = 0; i < 3000; i += 2) next = next.set(`k${i}`, -i, owner);
    expect(contents(base)).toEqual(before);
    expect(next.get("k2")).toBe(-2);
    expect(next.get("k3")).toBeUndefined();
    expect(next.get("k2500")).toBe(-2500);
  });

  it("iterates in the same order whatever the insertion order or history", () => {
    fc.assert(
      fc.property(fc.uniqueArray(keyArb, { maxLength: 100 }), fc.integer(), (keys, seed) => {
        let a = PMap.empty<number>();
        for (const key of keys) a = a.set(key, 1);
        const shuffled = [...keys].sort((x, y) => hashString(x + seed) - hashString(y + seed));
        let b = PMap.empty<number>().set("extra-key", 2);
        for (const key of shuffled) b = b.set(key, 1);
        b = b.delete("extra-key");
        expect([...b.keys()]).toEqual([...a.keys()]);
      }),
    );
  });

  it("handles full 32-bit hash collisions", () => {
    const pairs = collidingPairs(3);
    let map = PMap.empty<string>();
    for (const [x, y] of pairs) {
      expect(hashString(x)).toBe(hashString(y));
      map = map.set(x, x).set(y, y);
    }
    for (let i = 0; i < 500; i++) map = map.set(`other${i}`, "o");
    for (const [x, y] of pairs) {
      expect(map.get(x)).toBe(x);
      expect(map.get(y)).toBe(y);
    }
    expect(map.size).toBe(506);
    const [first] = pairs;
    if (first === undefined) throw new Error("no collision found");
    const without = map.delete(first[0]);
    expect(without.get(first[0])).toBeUndefined();
    expect(without.get(first[1])).toBe(first[1]);
    expect(without.size).toBe(505);
    // Same keys, other insertion order: same iteration order (collisions sorted by key).
    let reversed = PMap.empty<string>();
    for (const [key, value] of [...map.entries()].reverse()) reversed = reversed.set(key, value);
    expect([...reversed.keys()]).toEqual([...map.keys()]);
  });

  it("builds in bulk the map, and the order, that one-by-one inserts make", () => {
    const pairs = collidingPairs(4).flat();
    fc.assert(
      fc.property(
        fc.uniqueArray(keyArb, { maxLength: 300 }),
        fc.subarray(pairs),
        fc.integer({ min: 0, max: 2000 }),
        (keys, colliding, many) => {
          const all = [
            ...new Set([...keys, ...colliding, ...Array.from({ length: many }, (_, i) => `m${i}`)]),
          ];
          let inserted = PMap.empty<number>();
          all.forEach((key, i) => {
            inserted = inserted.set(key, i);
          });
          const built = PMap.build(
            all,
            all.map((_, i) => i),
          );
          expect(built.size).toBe(all.length);
          expect([...built.entries()]).toEqual([...inserted.entries()]);
          for (const [i, key] of all.entries()) expect(built.get(key)).toBe(i);
          // A built map is an ordinary one: later writes and deletes, old version untouched.
          const before = [...built.entries()];
          const owner = {};
          let next = built;
          for (const key of all.slice(0, 50)) next = next.delete(key, owner).set(`${key}!`, -1, owner);
          expect([...built.entries()]).toEqual(before);
          expect(next.size).toBe(all.length);
        },
      ),
      { numRuns: 60 },
    );
    expect(PMap.build([], []).size).toBe(0);
  });

  it("refuses to build with a repeated key", () => {
    const keys = Array.from({ length: 200 }, (_, i) => `k${i}`);
    expect(() => PMap.build([...keys, "k17"], [...keys.map((_, i) => i), 0])).toThrow(/k17.*twice/);
    const [a, b] = collidingPairs(1)[0] as [string, string];
    expect(PMap.build([a, b], [1, 2]).size).toBe(2);
    expect(() => PMap.build([a, b, a], [1, 2, 3])).toThrow(/twice/);
  });
});
