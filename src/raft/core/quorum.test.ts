import { describe, expect, it } from "vitest";
import { majorityCommitIndex, majorityVoteResult } from "./quorum.js";

describe("majorityCommitIndex", () => {
  const commit = (voters: string[], acked: Record<string, number>): number =>
    majorityCommitIndex(new Set(voters), (id) => acked[id]);

  it("is the highest index a majority has", () => {
    expect(commit(["a"], { a: 7 })).toBe(7);
    expect(commit(["a", "b", "c"], { a: 5, b: 3, c: 9 })).toBe(5);
    expect(commit(["a", "b", "c", "d"], { a: 5, b: 3, c: 9, d: 4 })).toBe(4);
    expect(commit(["a", "b", "c", "d", "e"], { a: 1, b: 2, c: 3, d: 4, e: 5 })).toBe(3);
  });

  it("counts unknown voters as 0", () => {
    expect(commit(["a", "b", "c"], { a: 5 })).toBe(0);
    expect(commit(["a", "b", "c"], { a: 5, b: 4 })).toBe(4);
  });

  it("commits nothing without voters", () => {
    expect(commit([], {})).toBe(0);
  });
});

describe("majorityVoteResult", () => {
  const result = (voters: string[], votes: Record<string, boolean>): string =>
    majorityVoteResult(new Set(voters), new Map(Object.entries(votes)));

  it("wins with a majority of grants, loses when a majority can no longer be reached", () => {
    expect(result(["a", "b", "c"], { a: true })).toBe("pending");
    expect(result(["a", "b", "c"], { a: true, b: true })).toBe("won");
    expect(result(["a", "b", "c"], { a: true, b: false })).toBe("pending");
    expect(result(["a", "b", "c"], { a: true, b: false, c: false })).toBe("lost");
    expect(result(["a", "b", "c", "d"], { a: true, b: true })).toBe("pending");
    expect(result(["a", "b", "c", "d"], { a: false, b: false })).toBe("lost");
  });

  it("ignores votes from non-voters", () => {
    expect(result(["a", "b", "c"], { a: true, x: true, y: true })).toBe("pending");
  });
});
