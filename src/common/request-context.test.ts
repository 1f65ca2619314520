import { describe, expect, it } from "vitest";
import {
  currentRequestId,
  currentToken,
  outsideRequest,
  withRequestId,
  withToken,
} from "./request-context.js";

/** Resolves with what `read` answers in a callback that `start` schedules. */
function later<T>(start: (callback: () => void) => void, read: () => T): Promise<T> {
  return new Promise((resolve) => start(() => resolve(read())));
}

describe("request context", () => {
  it("carries a request's ID into the work it starts, and none into work started outside it", async () => {
    const seen = await withRequestId("r-1", async () => {
      const inside = await later((cb) => setImmediate(cb), currentRequestId);
      const outside = await outsideRequest(() => later((cb) => setImmediate(cb), currentRequestId));
      const outsideNow = outsideRequest(currentRequestId);
      const after = currentRequestId();
      return { inside, outside, outsideNow, after };
    });
    expect(seen).toEqual({ inside: "r-1", outside: undefined, outsideNow: undefined, after: "r-1" });
    expect(outsideRequest(currentRequestId)).toBeUndefined();
  });

  it("runs work without a token inside a request that carries one", async () => {
    const seen = await withToken("secret", async () => {
      const withIt = await later((cb) => setTimeout(cb, 0), currentToken);
      const without = await withToken(undefined, () => later((cb) => setTimeout(cb, 0), currentToken));
      return { withIt, without, after: currentToken() };
    });
    expect(seen).toEqual({ withIt: "secret", without: undefined, after: "secret" });
    expect(withToken(undefined, currentToken)).toBeUndefined();
  });
});
