import { describe, expect, it } from "vitest";
import { applyConfChangeTo, decodeConfChange, encodeConfChange, validateConfChange } from "./confchange.js";
import type { ConfChange, ConfState } from "./types.js";

const cs = (voters: string[], learners: string[] = []): ConfState => ({
  voters,
  learners,
  votersOutgoing: [],
});
const cc = (type: ConfChange["type"], nodeId: string): ConfChange => ({
  type,
  nodeId,
  context: new Uint8Array(),
});

describe("one-at-a-time conf changes", () => {
  it("adds voters and learners, promotes learners, removes members", () => {
    expect(applyConfChangeTo(cs(["a"]), cc("addVoter", "b"))).toEqual(cs(["a", "b"]));
    expect(applyConfChangeTo(cs(["a"]), cc("addLearner", "b"))).toEqual(cs(["a"], ["b"]));
    expect(applyConfChangeTo(cs(["a"], ["b"]), cc("addVoter", "b"))).toEqual(cs(["a", "b"]));
    expect(applyConfChangeTo(cs(["a", "b"], ["c"]), cc("removeNode", "c"))).toEqual(cs(["a", "b"]));
    expect(applyConfChangeTo(cs(["a", "b"]), cc("removeNode", "a"))).toEqual(cs(["b"]));
  });

  it("refuses invalid changes and leaves the configuration unchanged when one is applied anyway", () => {
    expect(validateConfChange(cs(["a"]), cc("removeNode", "a"))).toMatch(/last voter/);
    expect(validateConfChange(cs(["a", "b"]), cc("addLearner", "b"))).toMatch(/demoting/);
    expect(validateConfChange(cs(["a"]), cc("removeNode", "z"))).toMatch(/not a member/);
    expect(validateConfChange(cs(["a"]), cc("addVoter", "a"))).toMatch(/already/);
    const before = cs(["a"]);
    expect(applyConfChangeTo(before, cc("removeNode", "a"))).toBe(before);
  });

  it("round-trips through its entry encoding", () => {
    const change: ConfChange = {
      type: "addLearner",
      nodeId: "s4",
      context: new TextEncoder().encode("127.0.0.1:4647"),
    };
    expect(decodeConfChange(encodeConfChange(change))).toEqual(change);
    expect(() => decodeConfChange(new TextEncoder().encode('{"t":"bogus"}'))).toThrow(/malformed/);
  });
});
