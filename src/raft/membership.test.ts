import { describe, expect, it } from "vitest";
import { TimeoutError } from "../common/errors.js";
import type { ConfState } from "./core/types.js";
import type { Membership } from "./leveldb-log-store.js";
import { bestTransferTarget, ConfWaiters, describeConfiguration, membershipAfter } from "./membership.js";

const conf = (voters: string[], learners: string[] = []): ConfState => ({
  voters,
  learners,
  votersOutgoing: [],
});
const three: Membership = {
  confState: conf(["s1", "s2", "s3"]),
  index: 1,
  addresses: { s1: "a:1", s2: "a:2", s3: "a:3" },
};
const addr = (s: string) => new TextEncoder().encode(s);

describe("membership", () => {
  it("follows a change: an added server's address from its context, a removed one's dropped", () => {
    const added = membershipAfter(
      three,
      { type: "addLearner", nodeId: "s4", context: addr("a:4") },
      conf(["s1", "s2", "s3"], ["s4"]),
      9,
    );
    expect(added).toEqual({
      confState: conf(["s1", "s2", "s3"], ["s4"]),
      index: 9,
      addresses: { ...three.addresses, s4: "a:4" },
    });
    // A promotion without a context keeps the address it had.
    const promoted = membershipAfter(
      added,
      { type: "addVoter", nodeId: "s4", context: new Uint8Array(0) },
      conf(["s1", "s2", "s3", "s4"]),
      10,
    );
    expect(promoted.addresses["s4"]).toBe("a:4");
    const removed = membershipAfter(
      promoted,
      { type: "removeNode", nodeId: "s2", context: new Uint8Array(0) },
      conf(["s1", "s3", "s4"]),
      11,
    );
    expect(removed.addresses).toEqual({ s1: "a:1", s3: "a:3", s4: "a:4" });
    expect(three.addresses["s4"]).toBeUndefined();
  });

  it("describes voters then learners, marking the leader", () => {
    const m: Membership = { ...three, confState: conf(["s1", "s2"], ["s3"]) };
    expect(describeConfiguration(m, "s2")).toEqual({
      index: 1,
      servers: [
        { id: "s1", address: "a:1", voter: true, leader: false },
        { id: "s2", address: "a:2", voter: true, leader: true },
        { id: "s3", address: "a:3", voter: false, leader: false },
      ],
    });
  });

  it("picks the most caught-up other voter for a transfer", () => {
    const match: Record<string, number> = { s1: 10, s2: 7, s3: 9 };
    expect(bestTransferTarget(["s1", "s2", "s3"], "s1", (id) => match[id])).toBe("s3");
    expect(bestTransferTarget(["s1"], "s1", (id) => match[id])).toBeUndefined();
  });

  it("resolves waiters when an applied configuration satisfies them, expires the rest", async () => {
    const waiters = new ConfWaiters();
    await expect(waiters.wait(three, (c) => c.voters.includes("s1"), 0)).resolves.toBe(1);
    const joined = waiters.wait(three, (c) => c.voters.includes("s4"), 100);
    const never = waiters.wait(three, (c) => c.voters.includes("s9"), 100);
    waiters.onApplied({ ...three, confState: conf(["s1", "s2", "s3", "s4"]), index: 12 });
    await expect(joined).resolves.toBe(12);
    waiters.expire(99);
    waiters.expire(100);
    await expect(never).rejects.toBeInstanceOf(TimeoutError);
  });
});
