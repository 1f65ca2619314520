import fc from "fast-check";
import { Packr } from "msgpackr";
import { describe, expect, it } from "vitest";
import { decodeCommand, encodeCommand } from "./command-codec.js";
import { fastDecode, stringsOwned } from "./fast-decode.js";
import { mockAlloc, mockId } from "./mock.js";
import { randomCommands } from "./random-commands.js";

// command-codec.ts's options: what the fast decoder must agree with.
const packr = new Packr({ useRecords: true, mapsAsObjects: true, moreTypes: false });

/** Equal values with own keys in the same order, all the way down. */
function expectSame(actual: unknown, expected: unknown, path = "$"): void {
  if (typeof expected !== "object" || expected === null) {
    expect(Object.is(actual, expected), `${path}: ${String(actual)} vs ${String(expected)}`).toBe(true);
    return;
  }
  expect(typeof actual, path).toBe("object");
  expect(Array.isArray(actual), path).toBe(Array.isArray(expected));
  expect(Object.keys(actual as object), path).toEqual(Object.keys(expected));
  for (const key of Object.keys(expected)) {
    expectSame(
      (actual as Record<string, unknown>)[key],
      (expected as Record<string, unknown>)[key],
      `${path}.${key}`,
    );
  }
}

describe("fastDecode", () => {
  it("decodes every random command exactly as msgpackr does, or leaves it to msgpackr", () => {
    let fast = 0;
    for (const seed of [1, 2, 3, 4, 5]) {
      for (const command of randomCommands(seed, 300)) {
        const bytes = encodeCommand(command);
        const value = fastDecode(bytes);
        if (value === undefined) continue;
        fast += 1;
        expectSame(value, packr.unpack(bytes));
        expect(stringsOwned(value as object)).toBe(true);
      }
    }
    // Commands without binary, non-ASCII or 64-bit values all take the fast path.
    expect(fast).toBeGreaterThan(1000);
  });

  it("agrees with msgpackr on arbitrary JSON-like values, and refuses what it does not handle", () => {
    fc.assert(
      fc.property(
        fc.jsonValue(),
        fc.array(fc.constantFrom("a", "b", "ID", "Name", "NodeID"), { maxLength: 4 }),
        (value, keys) => {
          // Repeated shapes (records referred to again) and repeated strings (the intern cache).
          const message = { value, again: value, keyed: Object.fromEntries(keys.map((k) => [k, k])) };
          const bytes = packr.pack(message);
          const decoded = fastDecode(bytes);
          if (decoded !== undefined) expectSame(decoded, packr.unpack(bytes));
        },
      ),
      { numRuns: 500 },
    );
  });

  it("keeps structures apart whose keys join alike, and reads wide ones", () => {
    const message = [{ "a\u0000b": 1 }, { a: 2, b: 3 }, { "a\u0000b": 4 }];
    const wide = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`node-${i}`, [i]]));
    for (const value of [message, { wide, again: { ...wide } }]) {
      const bytes = packr.pack(value);
      expectSame(fastDecode(bytes), packr.unpack(bytes));
    }
  });

  it("hands bad or unsupported bytes to msgpackr", () => {
    const plan = encodeCommand({
      type: "alloc-client-update",
      Allocs: [mockAlloc({ ID: mockId(1, 0xa) })],
      Evals: [],
    });
    for (let cut = 0; cut < plan.length; cut += 7) expect(fastDecode(plan.subarray(0, cut))).toBeUndefined();
    expect(fastDecode(packr.pack({ name: "héllo" }))).toBeUndefined();
    expect(fastDecode(packr.pack({ big: 2 ** 64 + 1 }))).toBeDefined();
    expect(fastDecode(packr.pack({ bytes: new Uint8Array([1, 2]) }))).toBeUndefined();
    expect(fastDecode(new Uint8Array([0x45]))).toBeUndefined();
    expect(decodeCommand(packr.pack({ type: "eval-upsert", Evals: [{ Name: "ünï" }] }))).toMatchObject({
      Evals: [{ Name: "ünï" }],
    });
  });

  it("interns repeated strings and keeps allocation ids and names apart", () => {
    const allocs = [1, 2].map((i) =>
      mockAlloc({ ID: mockId(i, 0xa), Name: `web.web[${i}]`, NodeID: mockId(1, 1), JobID: "web" }),
    );
    const bytes = encodeCommand({ type: "alloc-client-update", Allocs: allocs, Evals: [] });
    const decoded = fastDecode(bytes) as { Allocs: Array<{ ID: string; NodeID: string }> };
    expectSame(decoded, packr.unpack(bytes));
    expect(decoded.Allocs[0]?.ID).toBe(mockId(1, 0xa));
    expect(decoded.Allocs[1]?.NodeID).toBe(mockId(1, 1));
  });

  it("reads a repeated allocation field once per run of equal encodings, frozen", () => {
    type Decoded = {
      Allocs: Array<{ DesiredTransition: object; AllocatedResources: { Tasks: object; Shared: object } }>;
    };
    const allocs = [1, 2, 3, 4].map((i) =>
      mockAlloc({
        ID: mockId(i, 0xa),
        DesiredTransition: { Migrate: i === 3, Reschedule: false, ForceReschedule: false },
      }),
    );
    const bytes = encodeCommand({ type: "alloc-client-update", Allocs: allocs, Evals: [] });
    const first = fastDecode(bytes) as Decoded;
    expectSame(first, packr.unpack(bytes));
    const [a, b, c, d] = first.Allocs as [
      Decoded["Allocs"][0],
      Decoded["Allocs"][0],
      Decoded["Allocs"][0],
      Decoded["Allocs"][0],
    ];
    // Equal encodings after the first (which defined the structures): one shared frozen value.
    expect(c.AllocatedResources.Tasks).toBe(b.AllocatedResources.Tasks);
    expect(d.AllocatedResources.Tasks).toBe(b.AllocatedResources.Tasks);
    expect(Object.isFrozen(b.AllocatedResources.Tasks)).toBe(true);
    expect(b.DesiredTransition).not.toBe(c.DesiredTransition);
    expect(d.DesiredTransition).not.toBe(c.DesiredTransition);
    // What is not a repeated field stays each allocation's own.
    expect(b.AllocatedResources.Shared).not.toBe(c.AllocatedResources.Shared);
    expect(Object.isFrozen(c.AllocatedResources.Shared)).toBe(false);
    expect(a.AllocatedResources.Tasks).toEqual(b.AllocatedResources.Tasks);
    // Another message never gets the values of an earlier one.
    const second = fastDecode(bytes) as Decoded;
    expect(second.Allocs[1]?.AllocatedResources.Tasks).not.toBe(b.AllocatedResources.Tasks);
  });
});
