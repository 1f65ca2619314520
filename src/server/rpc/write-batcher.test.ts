import { afterEach, describe, expect, it, vi } from "vitest";
import { ServerStoppingError } from "../../common/errors.js";
import { WriteBatcher } from "./write-batcher.js";

/** A flush whose writes the test completes by hand, recording each batch it was given. */
function manualFlush(): {
  batches: string[][];
  flush: (items: string[]) => Promise<number>;
  complete: (index: number) => void;
} {
  const batches: string[][] = [];
  const waiting: Array<(index: number) => void> = [];
  return {
    batches,
    flush: (items) => {
      batches.push(items);
      return new Promise<number>((resolve) => waiting.push(resolve));
    },
    complete: (index) => waiting.shift()?.(index),
  };
}

describe("WriteBatcher", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("writes the items of one window as one batch, in arrival order", async () => {
    vi.useFakeTimers();
    const f = manualFlush();
    const batcher = new WriteBatcher(f.flush, 5, 100);
    const first = batcher.add(["a", "b"]);
    const second = batcher.add(["c"]);
    await vi.advanceTimersByTimeAsync(4);
    expect(f.batches).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(f.batches).toEqual([["a", "b", "c"]]);
    f.complete(7);
    expect(await first).toBe(7);
    expect(await second).toBe(7);
  });

  it("writes at once when a batch is full", async () => {
    const f = manualFlush();
    const batcher = new WriteBatcher(f.flush, 60_000, 2);
    const full = batcher.add(["a", "b"]);
    await Promise.resolve();
    expect(f.batches).toEqual([["a", "b"]]);
    f.complete(3);
    expect(await full).toBe(3);
    await batcher.close();
  });

  it("on close, refuses what still waits for its window and lets the batch being written finish", async () => {
    const f = manualFlush();
    const batcher = new WriteBatcher(f.flush, 60_000, 2);
    const writing = batcher.add(["a", "b"]); // full: its flush starts now
    const waiting = batcher.add(["c"]); // waits for a window that never comes
    await Promise.resolve();
    let closed = false;
    const closing = batcher.close().then(() => {
      closed = true;
    });
    await expect(waiting).rejects.toBeInstanceOf(ServerStoppingError);
    expect(closed).toBe(false);
    f.complete(9);
    await closing;
    expect(await writing).toBe(9);
    expect(f.batches).toEqual([["a", "b"]]);
    await expect(batcher.add(["d"])).rejects.toThrow("the server is shutting down");
    expect(f.batches).toHaveLength(1);
  });
});
