import { describe, expect, it } from "vitest";
import { ReadOnly } from "./read-only.js";
import { message } from "./types.js";

const req = (ctx: string) =>
  message({ type: "readIndex", from: "a", to: "a", context: new TextEncoder().encode(ctx) });
const bytes = (s: string) => new TextEncoder().encode(s);

describe("ReadOnly", () => {
  it("completes requests in order once a later one is acknowledged", () => {
    const ro = new ReadOnly("safe");
    ro.addRequest(5, req("r1"));
    ro.addRequest(6, req("r2"));
    ro.addRequest(6, req("r2")); // duplicate kept once
    expect(ro.size).toBe(2);
    expect(ro.recvAck("b", bytes("r2"))?.size).toBe(1);
    const done = ro.advance(bytes("r2"));
    expect(done.map((s) => s.index)).toEqual([5, 6]);
    expect(ro.size).toBe(0);
    expect(ro.recvAck("b", bytes("r1"))).toBeUndefined();
  });

  it("knows the newest pending context (sent with heartbeats)", () => {
    const ro = new ReadOnly("safe");
    expect(ro.lastPendingContext()).toBeUndefined();
    ro.addRequest(1, req("x"));
    ro.addRequest(1, req("y"));
    expect(new TextDecoder().decode(ro.lastPendingContext())).toBe("y");
    ro.reset();
    expect(ro.size).toBe(0);
  });
});
