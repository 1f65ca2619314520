import { describe, expect, it } from "vitest";
import { AssertionError } from "../../common/assert.js";
import { Inflights } from "./inflights.js";

describe("Inflights", () => {
  it("fills up to its capacity and frees acknowledged messages", () => {
    const f = new Inflights(3);
    f.add(5, 10);
    f.add(7, 10);
    expect(f.full()).toBe(false);
    f.add(9, 10);
    expect(f.full()).toBe(true);
    expect(() => f.add(11, 1)).toThrow(AssertionError);
    f.freeLE(7);
    expect(f.count).toBe(1);
    expect(f.full()).toBe(false);
    f.freeLE(100);
    expect(f.count).toBe(0);
  });

  it("is bounded by bytes too", () => {
    const f = new Inflights(100, 25);
    f.add(1, 10);
    f.add(2, 10);
    expect(f.full()).toBe(false);
    f.add(3, 10);
    expect(f.full()).toBe(true);
    f.freeFirstOne();
    expect(f.full()).toBe(false);
  });

  it("requires increasing indexes", () => {
    const f = new Inflights(4);
    f.add(5, 1);
    expect(() => f.add(5, 1)).toThrow(AssertionError);
  });

  it("stays correct across many add/free cycles (compaction of its queue)", () => {
    const f = new Inflights(8);
    let next = 1;
    for (let round = 0; round < 1000; round++) {
      while (!f.full()) f.add(next++, 1);
      f.freeLE(next - 3);
      expect(f.count).toBe(2);
    }
  });
});
