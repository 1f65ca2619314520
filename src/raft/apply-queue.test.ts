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
  it("joins the tasks that queued while one ran, where the merge allows, keeping order", async () => {
    const ran: number[][] = [];
    const first = gate();
    const queue = new ApplyQueue<number[]>(
      (task) => {
        ran.push(task);
        // The first task holds the queue until the others are pushed; the rest finish at once.
        return ran.length === 1 ? first.done : Promise.resolve();
      },
      () => undefined,
      () => false,
      // Arrays join unless the next one starts with 0 (a task that must stay apart).
      (a, b) => (b[0] === 0 ? undefined : [...a, ...b]),
    );
    queue.push([1]);
    await flush();
    queue.push([2]);
    queue.push([3, 4]);
    queue.push([0]);
    queue.push([5]);
    first.open();
    await flush();
    expect(ran).toEqual([[1], [2, 3, 4], [0, 5]]);
  });

  it("joins the tasks pushed in one synchronous run into the first call", async () => {
    const ran: number[][] = [];
    const queue = new ApplyQueue<number[]>(
      async (task) => {
        ran.push(task);
      },
      () => undefined,
      () => false,
      (a, b) => [...a, ...b],
    );
    queue.push([1]);
    queue.push([2]);
    queue.push([3]);
    await queue.idle();
    expect(ran).toEqual([[1, 2, 3]]);
  });

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

  it("resolves idle() once every task pushed before or while it waits has run", async () => {
    const started: number[] = [];
    const gates = [gate(), gate()];
    const queue = new ApplyQueue<number>(
      (n) => {
        started.push(n);
        return (gates[n] as ReturnType<typeof gate>).done;
      },
      () => undefined,
      () => false,
    );
    await queue.idle();
    queue.push(0);
    let idle = false;
    const waited = queue.idle().then(() => {
      idle = true;
    });
    gates[0]?.open();
    queue.push(1);
    await flush();
    expect(idle).toBe(false);
    gates[1]?.open();
    await waited;
    expect(started).toEqual([0, 1]);
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
    await flush();
    queue.push(2);
    stopped = true;
    first.open();
    await flush();
    expect(started).toEqual([1]);
  });
});
