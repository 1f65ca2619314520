import { describe, expect, it } from "vitest";
import { AssertionError } from "../../common/assert.js";
import { Progress } from "./progress.js";

describe("Progress", () => {
  it("enforces 0 <= match < next", () => {
    expect(() => new Progress(5, 5, 4, false)).toThrow(AssertionError);
    expect(() => new Progress(-1, 1, 4, false)).toThrow(AssertionError);
  });

  it("probe: one append at a time, paused until an answer", () => {
    const pr = new Progress(0, 6, 4, false);
    expect(pr.isPaused()).toBe(false);
    pr.sentEntries(2, 7, 20);
    expect(pr.isPaused()).toBe(true);
    expect(pr.next).toBe(6); // probing does not move next optimistically
    expect(pr.maybeUpdate(7)).toBe(true);
    expect(pr.isPaused()).toBe(false);
    expect(pr.next).toBe(8);
  });

  it("replicate: pipelines up to the inflight window", () => {
    const pr = new Progress(5, 6, 2, false);
    pr.becomeReplicate();
    pr.sentEntries(3, 8, 30);
    expect(pr.next).toBe(9);
    pr.sentEntries(2, 10, 20);
    expect(pr.isPaused()).toBe(true);
    pr.maybeUpdate(8);
    pr.inflights.freeLE(8);
    expect(pr.isPaused()).toBe(false);
  });

  it("maybeDecrTo: replicate falls back to match+1; probe uses the hint; stale rejections ignored", () => {
    const pr = new Progress(5, 10, 4, false);
    pr.becomeReplicate();
    pr.sentEntries(4, 9, 40);
    expect(pr.maybeDecrTo(4, 0)).toBe(false); // at or below match: stale
    expect(pr.maybeDecrTo(7, 0)).toBe(true);
    expect(pr.next).toBe(6);
    const probe = new Progress(0, 20, 4, false);
    expect(probe.maybeDecrTo(10, 3)).toBe(false); // not the index we probed (next-1 = 19)
    expect(probe.maybeDecrTo(19, 3)).toBe(true);
    expect(probe.next).toBe(4);
  });

  it("snapshot: paused until done; then probes after the snapshot index", () => {
    const pr = new Progress(2, 3, 4, false);
    pr.becomeSnapshot(50);
    expect(pr.isPaused()).toBe(true);
    pr.becomeProbe();
    expect(pr.next).toBe(51);
    expect(pr.state).toBe("probe");
  });
});
