import { describe, expect, it } from "vitest";
import { AssertionError } from "../../common/assert.js";
import { CompactedError } from "./errors.js";
import { RaftLog } from "./log.js";
import { MemoryStorage } from "./storage.js";
import type { Entry } from "./types.js";

const ent = (index: number, term: number, data = ""): Entry => ({
  index,
  term,
  type: "normal",
  data: new TextEncoder().encode(data),
});

/** A log whose storage holds entries with the given terms at indexes 1..n. */
function logWithTerms(terms: number[]): RaftLog {
  const s = new MemoryStorage();
  s.append(terms.map((t, i) => ent(i + 1, t)));
  return new RaftLog(s, Number.POSITIVE_INFINITY);
}

describe("RaftLog", () => {
  it("reads across storage and the unstable tail", () => {
    const log = logWithTerms([1, 1, 2]);
    log.append([ent(4, 3), ent(5, 3)]);
    expect(log.lastIndex()).toBe(5);
    expect(log.term(3)).toBe(2);
    expect(log.term(5)).toBe(3);
    expect(log.slice(2, 6, Number.POSITIVE_INFINITY).map((e) => e.index)).toEqual([2, 3, 4, 5]);
    expect(log.unstable.entriesToPersist().map((e) => e.index)).toEqual([4, 5]);
    log.stableTo(5, 3);
    expect(log.unstable.entriesToPersist()).toEqual([]);
  });

  it("maybeAppend: appends on match, truncates conflicts, refuses on mismatch", () => {
    const log = logWithTerms([1, 1, 2, 2]);
    expect(log.maybeAppend(2, 1, 0, [ent(3, 3)])).toBe(3);
    expect(log.lastIndex()).toBe(3);
    expect(log.term(3)).toBe(3);
    expect(log.maybeAppend(3, 2, 0, [ent(4, 3)])).toBeUndefined();
    // entries already present are not re-appended; commit is capped at the last new index
    expect(log.maybeAppend(1, 1, 10, [ent(2, 1)])).toBe(2);
    expect(log.committed).toBe(2);
    expect(log.lastIndex()).toBe(3);
  });

  it("never truncates committed entries", () => {
    const log = logWithTerms([1, 1, 2]);
    log.commitTo(3);
    expect(() => log.maybeAppend(1, 1, 3, [ent(2, 5)])).toThrow(AssertionError);
  });

  it("commits only entries of the current term (§5.4.2)", () => {
    const log = logWithTerms([1, 2, 2]);
    expect(log.maybeCommit(3, 3)).toBe(false);
    expect(log.committed).toBe(0);
    log.append([ent(4, 3)]);
    expect(log.maybeCommit(4, 3)).toBe(true);
    expect(log.committed).toBe(4);
  });

  it("findConflictByTerm skips a whole term per step", () => {
    const log = logWithTerms([1, 1, 2, 2, 2, 4, 4]);
    expect(log.findConflictByTerm(7, 3)).toEqual({ index: 5, term: 2 });
    expect(log.findConflictByTerm(7, 5)).toEqual({ index: 7, term: 4 });
    expect(log.findConflictByTerm(5, 1)).toEqual({ index: 2, term: 1 });
    expect(log.findConflictByTerm(7, 0)).toEqual({ index: 0, term: 0 });
  });

  it("isUpToDate compares last term, then length (§5.4.1)", () => {
    const log = logWithTerms([1, 2, 2]);
    expect(log.isUpToDate(1, 3)).toBe(true);
    expect(log.isUpToDate(3, 2)).toBe(true);
    expect(log.isUpToDate(2, 2)).toBe(false);
    expect(log.isUpToDate(9, 1)).toBe(false);
  });

  it("hands committed entries to the application once, bounded by bytes", () => {
    const s = new MemoryStorage();
    s.append([ent(1, 1, "a".repeat(50)), ent(2, 1, "b".repeat(50)), ent(3, 1, "c")]);
    const log = new RaftLog(s, 100);
    log.commitTo(3);
    const first = log.nextCommittedEnts(true);
    expect(first.map((e) => e.index)).toEqual([1]);
    log.acceptApplying(1);
    log.appliedTo(1);
    expect(log.nextCommittedEnts(true).map((e) => e.index)).toEqual([2, 3]);
  });

  it("restores from a snapshot and reports compaction below it", () => {
    const log = logWithTerms([1, 1]);
    log.restore({
      metadata: { index: 10, term: 4, confState: { voters: ["a"], learners: [], votersOutgoing: [] } },
      data: new Uint8Array(),
    });
    expect(log.firstIndex()).toBe(11);
    expect(log.lastIndex()).toBe(10);
    expect(log.term(10)).toBe(4);
    expect(log.committed).toBe(10);
    expect(log.hasPendingSnapshot()).toBe(true);
    expect(() => log.term(9)).toThrow(CompactedError);
  });
});
