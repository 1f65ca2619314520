import { describe, expect, it } from "vitest";
import { TimeoutError } from "../common/errors.js";
import { ReadBarriers } from "./read-barriers.js";

function setup() {
  const reads = new ReadBarriers(42);
  const sent: string[] = [];
  const sink = { readIndex: (ctx: Uint8Array) => sent.push(Buffer.from(ctx).toString("hex")) };
  return { reads, sent, sink };
}

describe("ReadBarriers", () => {
  it("answers every read queued before the request once the applied index reaches it", async () => {
    const { reads, sent, sink } = setup();
    const a = reads.add(Number.POSITIVE_INFINITY);
    const b = reads.add(Number.POSITIVE_INFINITY);
    expect(reads.issue(sink)).toBe(true);
    expect(sent).toHaveLength(1);
    // One request in flight at a time: a later read waits for the next one.
    const c = reads.add(Number.POSITIVE_INFINITY);
    expect(reads.issue(sink)).toBe(false);
    expect(reads.onReadState(sent[0] as string, 10, 8)).toBe(true);
    let settled = false;
    void a.then(() => {
      settled = true;
    });
    await Promise.resolve();
    expect(settled).toBe(false);
    reads.serve(10);
    await expect(a).resolves.toBe(10);
    await expect(b).resolves.toBe(10);
    expect(reads.issue(sink)).toBe(true);
    reads.onReadState(sent[1] as string, 11, 12);
    await expect(c).resolves.toBe(12);
  });

  it("ignores read states of other requests", () => {
    const { reads, sink } = setup();
    void reads.add(Number.POSITIVE_INFINITY);
    reads.issue(sink);
    expect(reads.onReadState("00", 5, 5)).toBe(false);
  });

  it("rejects unconfirmed reads on leadership loss but keeps confirmed ones", async () => {
    const { reads, sent, sink } = setup();
    const confirmed = reads.add(Number.POSITIVE_INFINITY);
    reads.issue(sink);
    reads.onReadState(sent[0] as string, 10, 5);
    const unconfirmed = reads.add(Number.POSITIVE_INFINITY);
    reads.issue(sink);
    reads.rejectUnconfirmed(new Error("not leader"));
    await expect(unconfirmed).rejects.toThrow("not leader");
    reads.serve(10);
    await expect(confirmed).resolves.toBe(10);
  });

  it("times out a request only once all its callers' deadlines passed", async () => {
    const { reads, sink } = setup();
    const a = reads.add(100);
    const b = reads.add(300);
    reads.issue(sink);
    expect(reads.expire(200)).toBe(false);
    expect(reads.expire(300)).toBe(true);
    await expect(a).rejects.toBeInstanceOf(TimeoutError);
    await expect(b).rejects.toBeInstanceOf(TimeoutError);
  });
});
