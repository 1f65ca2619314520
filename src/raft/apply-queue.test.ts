import { describe, expect, it } from "vitest";
import { ApplyQueue } from "./apply-queue.js";

/** A promise and the function that settles it, so a test decides when each task finishes. */
function gate(): { done: Promise<void>; open: () => void; fail: (error: Error) => void } {
  let open = (): void => undefined;
  let fail = (_error: Error): void => undefined;
  const done = new Promise<void>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { done, open, fail };
}

const flush = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

describe("ApplyQueue", () => {
  it("runs tasks one at a time, in push order", async () => {
    const started: number[] = [];
    const gates = new Map<number, ReturnType<typeof gate>>();
    const queue = new ApplyQueue<number>(
      (n) => {
        started.push(n);
        const g = gate();
        gates.set(n, g);
        return g.done;
      },
      (error) => {
        throw error;
      },
      () => false,
    );
    queue.push(1);
    queue.push(2);
    await flush();
    expect(started).toEqual([1]);
    expect(queue.busy).toBe(true);
    gates.get(1)?.open();
    await flush();
    expect(started).toEqual([1, 2]);
    gates.get(2)?.open();
    await flush();
    expect(queue.busy).toBe(false);
    queue.push(3);
    await flush();
    expect(started).toEqual([1, 2, 3]);
  });

  it("stops at the first failure, reports it once and applies nothing more", async () => {
    const errors: unknown[] = [];
    const started: number[] = [];
    const first = gate();
    const queue = new ApplyQueue<number>(
      (n) => {
        started.push(n);
        return n === 1 ? first.done : Promise.resolve();
      },
      (error) => errors.push(error),
      () => false,
    );
    queue.push(1);
    queue.push(2);
    first.fail(new Error("disk"));
    await flush();
    queue.push(3);
    await flush();
    expect(started).toEqual([1]);
    expect(errors).toHaveLength(1);
  });

  it("applies nothing once the server is stopped", async () => {
    let stopped = false;
    const started: number[] = [];
    const first = gate();
    const queue = new ApplyQueue<number>(
      (n) => {
        started.push(n);
        return first.done;
      },
      () => undefined,
      () => stopped,
    );
    queue.push(1);
    queue.push(2);
    stopped = true;
    first.open();
    await flush();
    expect(started).toEqual([1]);
  });
});
