import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ApplyHold } from "./apply-hold.js";
import type { Entry } from "./core/types.js";

const entry = (index: number, bytes = 10): Entry => ({
  index,
  term: 1,
  type: "normal",
  data: new Uint8Array(bytes),
});

describe("ApplyHold", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function setup(maxBytes = 100) {
    const released: number[][] = [];
    const hold = new ApplyHold((entries) => released.push(entries.map((e) => e.index)), 20, maxBytes);
    return { hold, released };
  }

  it("hands the entries of one hold over in one call, in order", () => {
    const { hold, released } = setup();
    hold.hold([entry(1)]);
    hold.hold([entry(2), entry(3)]);
    expect(released).toEqual([]);
    vi.advanceTimersByTime(20);
    expect(released).toEqual([[1, 2, 3]]);
    expect(hold.heldCount).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("releases at once past the byte limit", () => {
    const { hold, released } = setup(25);
    hold.hold([entry(1), entry(2)]);
    expect(released).toEqual([]);
    hold.hold([entry(3)]);
    expect(released).toEqual([[1, 2, 3]]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("flushes on demand and starts a new hold after it", () => {
    const { hold, released } = setup();
    hold.hold([entry(1)]);
    hold.flush();
    hold.flush();
    hold.hold([entry(2)]);
    expect(released).toEqual([[1]]);
    vi.advanceTimersByTime(20);
    expect(released).toEqual([[1], [2]]);
  });

  it("drops what it holds without releasing it", () => {
    const { hold, released } = setup();
    hold.hold([entry(1)]);
    hold.drop();
    vi.advanceTimersByTime(100);
    expect(released).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });
});
