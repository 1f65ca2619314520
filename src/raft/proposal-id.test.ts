import { describe, expect, it } from "vitest";
import { decodeProposal, encodeProposal, proposalKey } from "./proposal-id.js";

describe("proposal header", () => {
  it("round-trips the proposer's id and leaves the payload untouched", () => {
    const payload = new TextEncoder().encode("the application's bytes");
    const id = { node: "server-ä", incarnation: 1_795_000_000_123, seq: 4_000_000_001 };
    const decoded = decodeProposal(encodeProposal(id, payload));
    expect(decoded.id).toEqual(id);
    expect(Buffer.from(decoded.payload).toString()).toBe("the application's bytes");
    expect(proposalKey(decoded.id)).toBe(proposalKey(id));
  });

  it("refuses data that carries no header instead of guessing", () => {
    expect(() => decodeProposal(new TextEncoder().encode("{}"))).toThrow(/proposal header/);
  });
});
