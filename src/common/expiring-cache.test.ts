import { describe, expect, it } from "vitest";
import { ExpiringCache } from "./expiring-cache.js";

describe("ExpiringCache", () => {
  it("answers an entry until it expires", () => {
    const cache = new ExpiringCache<string>(30, 10);
    expect(cache.get("k", 0)).toBeUndefined();
    cache.set("k", "v", 5);
    expect(cache.get("k", 5)).toBe("v");
    expect(cache.get("k", 34)).toBe("v");
    expect(cache.get("k", 35)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it("drops the oldest entry when full, and a renewed one counts as new", () => {
    const cache = new ExpiringCache<number>(30, 3);
    cache.set("a", 1, 1);
    cache.set("b", 2, 2);
    cache.set("c", 3, 3);
    cache.set("a", 4, 4);
    cache.set("d", 5, 5);
    expect(cache.size).toBe(3);
    expect(cache.get("b", 6)).toBeUndefined();
    expect([cache.get("a", 6), cache.get("c", 6), cache.get("d", 6)]).toEqual([4, 3, 5]);
  });

  it("keeps nothing with a TTL of zero", () => {
    const cache = new ExpiringCache<string>(0, 10);
    cache.set("k", "v", 0);
    expect(cache.get("k", 0)).toBeUndefined();
    expect(cache.size).toBe(0);
  });
});
