import { describe, expect, it } from "vitest";
import { ALLOCS_OF_NODE, WatchRegistry } from "./watch-registry.js";

/** Registers one waiter per key; returns the keys woken, in order. */
function watching(registry: WatchRegistry, keys: readonly string[]): string[] {
  const woken: string[] = [];
  for (const key of keys) registry.add([key], () => woken.push(key));
  return woken;
}

function records(table: string, keys: readonly string[]): Map<string, Map<string, unknown>> {
  return new Map([[table, new Map(keys.map((key) => [key, {}]))]]);
}

describe("WatchRegistry.fireCommit", () => {
  const ids = Array.from({ length: 50 }, (_, i) => `id-${i}`);

  it("wakes record, table, index and node keys whether waiters or changes are fewer", () => {
    for (const waited of [2, 40]) {
      const registry = new WatchRegistry();
      const keys = [
        ...ids.slice(0, waited).map((id) => `allocs:${id}`),
        "allocs:other",
        "allocs",
        "evals",
        "evals:id-1",
        "allocs:job:default\u0000web",
        `${ALLOCS_OF_NODE}n1`,
        `${ALLOCS_OF_NODE}n2`,
      ];
      const woken = watching(registry, keys);
      registry.fireCommit(
        records("allocs", ids.slice(0, 10)),
        ["allocs:job:default\u0000web"],
        new Set(["n1"]),
      );
      expect(woken.sort()).toEqual(
        [
          ...ids.slice(0, Math.min(waited, 10)).map((id) => `allocs:${id}`),
          "allocs",
          "allocs:job:default\u0000web",
          `${ALLOCS_OF_NODE}n1`,
        ].sort(),
      );
      // Woken waiters are gone; the others still wait, and their keys are still found.
      registry.fireCommit(records("allocs", ["other"]), [], new Set(["n2"]));
      expect(woken).toContain("allocs:other");
      expect(woken).toContain(`${ALLOCS_OF_NODE}n2`);
      registry.fireCommit(records("evals", ["id-1"]), [], new Set());
      expect(registry.size).toBe(Math.max(0, waited - 10));
    }
  });

  it("forgets a table's keys once their waiters are removed", () => {
    const registry = new WatchRegistry();
    let woken = 0;
    const remove = registry.add(["allocs:id-1"], () => {
      woken += 1;
    });
    remove();
    registry.fireCommit(records("allocs", ["id-1"]), [], new Set());
    expect(woken).toBe(0);
    expect(registry.size).toBe(0);
  });
});
