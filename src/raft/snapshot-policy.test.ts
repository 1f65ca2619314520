import { describe, expect, it } from "vitest";
import { nextSnapshotCheck, type SnapshotInputs, snapshotDue } from "./snapshot-policy.js";

const policy = { thresholdEntries: 100, thresholdBytes: 1000, intervalMs: 60_000 };
const base: SnapshotInputs = {
  entriesSince: 100,
  logBytes: 500,
  lastSnapshotBytes: 400,
  now: 10,
  nextCheckAt: 0,
};

describe("snapshot policy", () => {
  it("takes a snapshot once enough entries, log bytes and time have passed", () => {
    expect(snapshotDue(policy, base)).toBe(true);
    expect(snapshotDue(policy, { ...base, entriesSince: 99 })).toBe(false);
    // The log has not caught up with the size of the state yet.
    expect(snapshotDue(policy, { ...base, logBytes: 399 })).toBe(false);
    // The interval since the last check has not passed.
    expect(snapshotDue(policy, { ...base, nextCheckAt: 11 })).toBe(false);
  });

  it("takes one whenever the log passes the byte threshold, and never with nothing new", () => {
    expect(snapshotDue(policy, { ...base, entriesSince: 1, logBytes: 1000, nextCheckAt: 99 })).toBe(true);
    expect(snapshotDue(policy, { ...base, entriesSince: 0, logBytes: 5000 })).toBe(false);
  });

  it("waits past the byte threshold until the log is as large as the last snapshot", () => {
    const large = { ...base, entriesSince: 1, lastSnapshotBytes: 7000, nextCheckAt: 99 };
    expect(snapshotDue(policy, { ...large, logBytes: 6999 })).toBe(false);
    expect(snapshotDue(policy, { ...large, logBytes: 7000 })).toBe(true);
  });

  it("draws the next check from [interval, 2 x interval), or checks always with interval 0", () => {
    expect(nextSnapshotCheck(policy, 1000, 0)).toBe(61_000);
    expect(nextSnapshotCheck(policy, 1000, 0.5)).toBe(91_000);
    expect(nextSnapshotCheck({ ...policy, intervalMs: 0 }, 1000, 0.5)).toBe(0);
  });
});
