import { describe, expect, it } from "vitest";
import { CompactedError, UnavailableError } from "./errors.js";
import { bootstrapSnapshot, entrySize, limitSize, MemoryStorage } from "./storage.js";
import type { Entry } from "./types.js";

const ent = (index: number, term: number, data = ""): Entry => ({
  index,
  term,
  type: "normal",
  data: new TextEncoder().encode(data),
});

describe("MemoryStorage", () => {
  it("starts empty at index 0 and appends", () => {
    const s = new MemoryStorage();
    expect(s.firstIndex()).toBe(1);
    expect(s.lastIndex()).toBe(0);
    expect(s.term(0)).toBe(0);
    s.append([ent(1, 1), ent(2, 1), ent(3, 2)]);
    expect(s.lastIndex()).toBe(3);
    expect(s.term(3)).toBe(2);
    expect(s.entries(1, 4, Number.POSITIVE_INFINITY).map((e) => e.index)).toEqual([1, 2, 3]);
  });

  it("truncates a conflicting suffix on append", () => {
    const s = new MemoryStorage();
    s.append([ent(1, 1), ent(2, 1), ent(3, 1)]);
    s.append([ent(2, 2)]);
    expect(s.lastIndex()).toBe(2);
    expect(s.term(2)).toBe(2);
  });

  it("compacts and reports compacted / unavailable ranges with typed errors", () => {
    const s = new MemoryStorage();
    s.append([ent(1, 1), ent(2, 1), ent(3, 2), ent(4, 2)]);
    s.createSnapshot(3, { voters: ["a"], learners: [], votersOutgoing: [] }, new Uint8Array([1]));
    s.compact(3);
    expect(s.firstIndex()).toBe(4);
    expect(s.term(3)).toBe(2);
    expect(() => s.term(2)).toThrow(CompactedError);
    expect(() => s.entries(3, 5, 100)).toThrow(CompactedError);
    expect(() => s.entries(4, 6, 100)).toThrow(UnavailableError);
    expect(() => s.term(5)).toThrow(UnavailableError);
    expect(s.snapshot().metadata.index).toBe(3);
  });

  it("limits entries by bytes but always returns at least one", () => {
    const s = new MemoryStorage();
    s.append([ent(1, 1, "x".repeat(100)), ent(2, 1, "y".repeat(100)), ent(3, 1)]);
    expect(s.entries(1, 4, 1).length).toBe(1);
    expect(s.entries(1, 4, entrySize(ent(1, 1, "x".repeat(100))) * 2).length).toBe(2);
    expect(limitSize([], 0)).toEqual([]);
  });

  it("bootstraps a founding member at snapshot 1/1 with the voters", () => {
    const s = MemoryStorage.bootstrap(["a", "b", "c"]);
    expect(s.firstIndex()).toBe(2);
    expect(s.lastIndex()).toBe(1);
    expect(s.initialState().confState.voters).toEqual(["a", "b", "c"]);
    expect(s.initialState().hardState).toEqual({ term: 1, vote: "", commit: 1 });
    expect(bootstrapSnapshot(["a"]).metadata).toMatchObject({ index: 1, term: 1 });
  });

  it("replaces the log when a snapshot is applied", () => {
    const s = new MemoryStorage();
    s.append([ent(1, 1), ent(2, 1)]);
    s.applySnapshot({
      metadata: { index: 10, term: 3, confState: bootstrapSnapshot(["a"]).metadata.confState },
      data: new Uint8Array(),
    });
    expect(s.firstIndex()).toBe(11);
    expect(s.lastIndex()).toBe(10);
    expect(s.term(10)).toBe(3);
  });
});
