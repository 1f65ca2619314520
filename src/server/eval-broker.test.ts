import { describe, expect, it } from "vitest";
import { StaleEvalTokenError } from "../common/errors.js";
import { AgentMetrics } from "../common/metrics.js";
import type { Evaluation } from "../fsm/structs.js";
import { DEFAULT_EVAL_BROKER_CONFIG, EvalBroker, FAILED_QUEUE } from "./eval-broker.js";
import { ManualClock } from "./manual-clock.js";
import { testEval } from "./test-fixtures.js";

function broker(clock = new ManualClock()): { broker: EvalBroker; clock: ManualClock } {
  const b = new EvalBroker(clock, {
    ...DEFAULT_EVAL_BROKER_CONFIG,
    nackTimeoutMs: 5_000,
    initialNackDelayMs: 100,
    subsequentNackDelayMs: 1_000,
  });
  b.setEnabled(true);
  return { broker: b, clock };
}

async function take(
  b: EvalBroker,
  schedulers: string[] = ["service", "batch"],
): Promise<{ eval: Evaluation; token: string }> {
  const got = await b.dequeue(schedulers, 0);
  if (got === null) throw new Error("nothing ready");
  return got;
}

describe("EvalBroker", () => {
  it("orders ready evals by priority, then by age, across scheduler types", async () => {
    const { broker: b } = broker();
    b.enqueue(testEval({ ID: "low", JobID: "a", Priority: 10, CreateIndex: 1 }));
    b.enqueue(testEval({ ID: "high-new", JobID: "b", Priority: 90, CreateIndex: 7 }));
    b.enqueue(testEval({ ID: "high-old", JobID: "c", Priority: 90, CreateIndex: 3, Type: "batch" }));
    expect((await take(b)).eval.ID).toBe("high-old");
    expect((await take(b)).eval.ID).toBe("high-new");
    expect((await take(b)).eval.ID).toBe("low");
    expect(await b.dequeue(["service"], 0)).toBeNull();
  });

  it("hands out at most one eval per job; on ack releases the newest and cancels the rest", async () => {
    const { broker: b } = broker();
    let cancelNotified = 0;
    b.setCancelableListener(() => cancelNotified++);
    b.enqueue(testEval({ ID: "e1", JobID: "j", ModifyIndex: 1, CreateIndex: 1 }));
    b.enqueue(testEval({ ID: "e2", JobID: "j", ModifyIndex: 2, CreateIndex: 2 }));
    b.enqueue(testEval({ ID: "e3", JobID: "j", ModifyIndex: 3, CreateIndex: 3 }));
    const first = await take(b);
    expect(first.eval.ID).toBe("e1");
    expect(await b.dequeue(["service"], 0)).toBeNull();
    expect(b.stats().pending).toBe(2);
    b.ack(first.eval.ID, first.token);
    const second = await take(b);
    expect(second.eval.ID).toBe("e3");
    expect(cancelNotified).toBe(1);
    expect(b.takeCancelable(10).map((e) => e.ID)).toEqual(["e2"]);
  });

  it("long-polls: a waiting dequeue gets the next enqueued eval, or null at its timeout", async () => {
    const { broker: b, clock } = broker();
    const waiting = b.dequeue(["service"], 1_000);
    b.enqueue(testEval({ ID: "late" }));
    expect((await waiting)?.eval.ID).toBe("late");
    const empty = b.dequeue(["service"], 1_000);
    clock.advance(1_000);
    expect(await empty).toBeNull();
  });

  it("rejects ack and nack with a stale token", async () => {
    const { broker: b } = broker();
    b.enqueue(testEval({ ID: "e" }));
    const got = await take(b);
    expect(() => b.ack("e", "wrong")).toThrow(StaleEvalTokenError);
    expect(() => b.nack("nope", got.token)).toThrow(StaleEvalTokenError);
    b.ack("e", got.token);
    expect(() => b.ack("e", got.token)).toThrow(StaleEvalTokenError);
  });

  it("nack re-enqueues after a delay; the delivery limit sends it to the failed queue", async () => {
    const { broker: b, clock } = broker();
    b.enqueue(testEval({ ID: "e", JobID: "j" }));
    b.enqueue(testEval({ ID: "other", JobID: "j", ModifyIndex: 9 }));
    for (let delivery = 1; delivery <= 3; delivery++) {
      const got = await take(b);
      expect(got.eval.ID).toBe("e");
      b.nack("e", got.token);
      expect(await b.dequeue(["service"], 0)).toBeNull();
      clock.advance(delivery === 1 ? 100 : 1_000);
    }
    expect(await b.dequeue(["service"], 0)).toBeNull();
    expect(b.stats().failed).toBe(1);
    const failed = await take(b, [FAILED_QUEUE]);
    b.ack(failed.eval.ID, failed.token);
    // Only now is the job's next eval released (one eval per job, even through failure).
    expect((await take(b)).eval.ID).toBe("other");
  });

  it("nacks automatically after the nack timeout, except while paused", async () => {
    const { broker: b, clock } = broker();
    b.enqueue(testEval({ ID: "e" }));
    const got = await take(b);
    b.pauseNackTimeout("e", got.token);
    clock.advance(10_000);
    expect(b.outstanding("e")).toBe(got.token);
    b.resumeNackTimeout("e", got.token);
    clock.advance(4_999);
    b.outstandingReset("e", got.token);
    clock.advance(4_999);
    expect(b.outstanding("e")).toBe(got.token);
    clock.advance(1);
    expect(b.outstanding("e")).toBeUndefined();
    clock.advance(100);
    expect((await take(b)).eval.ID).toBe("e");
  });

  it("holds delayed evals until their WaitUntil", async () => {
    const clock = new ManualClock();
    const { broker: b } = broker(clock);
    b.enqueue(testEval({ ID: "later", WaitUntil: clock.now() + 3_000 * 1e6 }));
    expect(await b.dequeue(["service"], 0)).toBeNull();
    clock.advance(3_000);
    expect((await take(b)).eval.ID).toBe("later");
  });

  it("keeps an eval re-enqueued while unacked until its delivery is acked", async () => {
    const { broker: b } = broker();
    b.enqueue(testEval({ ID: "e" }));
    const got = await take(b);
    b.enqueue(testEval({ ID: "e", Status: "blocked" }));
    expect(await b.dequeue(["service"], 0)).toBeNull();
    b.ack("e", got.token);
    expect((await take(b)).eval.Status).toBe("blocked");
  });

  describe("one eval per job when the job is enqueued again after a dequeue", () => {
    it("keeps the second eval pending while the first is unacked, and releases it on ack", async () => {
      const { broker: b } = broker();
      b.enqueue(testEval({ ID: "e1", JobID: "j", CreateIndex: 1, ModifyIndex: 1 }));
      const first = await take(b);
      expect(first.eval.ID).toBe("e1");
      b.enqueue(testEval({ ID: "e2", JobID: "j", CreateIndex: 2, ModifyIndex: 2 }));
      expect(b.stats()).toMatchObject({ ready: 0, unacked: 1, pending: 1 });
      expect(await b.dequeue(["service"], 0)).toBeNull();
      // A waiting worker is not woken with it either.
      const waiting = b.dequeue(["service"], 1_000);
      b.enqueue(testEval({ ID: "other", JobID: "k" }));
      expect((await waiting)?.eval.ID).toBe("other");
      b.ack("e1", first.token);
      expect(b.stats()).toMatchObject({ ready: 1, pending: 0 });
      const second = await take(b);
      expect(second.eval.ID).toBe("e2");
      expect(b.takeCancelable(10)).toEqual([]);
    });

    it("after a nack, hands the first eval out again before the second", async () => {
      const { broker: b, clock } = broker();
      b.enqueue(testEval({ ID: "e1", JobID: "j", CreateIndex: 1, ModifyIndex: 1 }));
      const first = await take(b);
      b.enqueue(testEval({ ID: "e2", JobID: "j", CreateIndex: 2, ModifyIndex: 2 }));
      b.nack("e1", first.token);
      // While e1 waits out its nack delay, the job's slot is still e1's.
      expect(b.stats()).toMatchObject({ ready: 0, unacked: 0, pending: 1, delayed: 1 });
      expect(await b.dequeue(["service"], 0)).toBeNull();
      clock.advance(100);
      const again = await take(b);
      expect(again.eval.ID).toBe("e1");
      expect(await b.dequeue(["service"], 0)).toBeNull();
      b.ack("e1", again.token);
      expect((await take(b)).eval.ID).toBe("e2");
    });

    it("holds the second eval when the first's nack timer fires", async () => {
      const { broker: b, clock } = broker();
      b.enqueue(testEval({ ID: "e1", JobID: "j", CreateIndex: 1, ModifyIndex: 1 }));
      await take(b);
      b.enqueue(testEval({ ID: "e2", JobID: "j", CreateIndex: 2, ModifyIndex: 2 }));
      clock.advance(5_000); // nack timeout: e1 is nacked by the broker itself
      expect(b.outstanding("e1")).toBeUndefined();
      expect(await b.dequeue(["service"], 0)).toBeNull();
      clock.advance(100);
      const again = await take(b);
      expect(again.eval.ID).toBe("e1");
      b.ack("e1", again.token);
      expect((await take(b)).eval.ID).toBe("e2");
    });

    it("releases only the newest of several evals enqueued during the delivery; the rest are cancelable", async () => {
      const { broker: b } = broker();
      let notified = 0;
      b.setCancelableListener(() => notified++);
      b.enqueue(testEval({ ID: "e1", JobID: "j", CreateIndex: 1, ModifyIndex: 1 }));
      const first = await take(b);
      for (const n of [2, 3, 4]) {
        b.enqueue(testEval({ ID: `e${n}`, JobID: "j", CreateIndex: n, ModifyIndex: n }));
      }
      expect(await b.dequeue(["service"], 0)).toBeNull();
      b.ack("e1", first.token);
      const next = await take(b);
      expect(next.eval.ID).toBe("e4");
      expect(notified).toBe(1);
      expect(
        b
          .takeCancelable(10)
          .map((e) => e.ID)
          .sort(),
      ).toEqual(["e2", "e3"]);
      expect(await b.dequeue(["service"], 0)).toBeNull();
    });

    it("keeps a delayed second eval pending if it comes due while the first is unacked", async () => {
      const { broker: b, clock } = broker();
      b.enqueue(testEval({ ID: "e1", JobID: "j", CreateIndex: 1, ModifyIndex: 1 }));
      const first = await take(b);
      b.enqueue(
        testEval({ ID: "e2", JobID: "j", CreateIndex: 2, ModifyIndex: 2, WaitUntil: clock.now() + 50e6 }),
      );
      clock.advance(50);
      expect(b.stats()).toMatchObject({ ready: 0, pending: 1, delayed: 0 });
      expect(await b.dequeue(["service"], 0)).toBeNull();
      b.ack("e1", first.token);
      expect((await take(b)).eval.ID).toBe("e2");
    });

    it("keeps the slot through the failed queue until the failed eval is acked", async () => {
      const { broker: b, clock } = broker();
      b.enqueue(testEval({ ID: "e1", JobID: "j", CreateIndex: 1, ModifyIndex: 1 }));
      for (let delivery = 1; delivery <= 3; delivery++) {
        const got = await take(b);
        if (delivery === 2) b.enqueue(testEval({ ID: "e2", JobID: "j", CreateIndex: 2, ModifyIndex: 2 }));
        b.nack("e1", got.token);
        clock.advance(1_000);
      }
      expect(await b.dequeue(["service"], 0)).toBeNull();
      const failed = await take(b, [FAILED_QUEUE]);
      expect(await b.dequeue(["service"], 0)).toBeNull();
      b.ack(failed.eval.ID, failed.token);
      expect((await take(b)).eval.ID).toBe("e2");
    });

    it("treats the same job ID in two namespaces as two jobs", async () => {
      const { broker: b } = broker();
      b.enqueue(testEval({ ID: "a", JobID: "j", Namespace: "default" }));
      await take(b);
      b.enqueue(testEval({ ID: "b", JobID: "j", Namespace: "other" }));
      expect((await take(b)).eval.ID).toBe("b");
    });
  });

  it("ignores enqueues while disabled, flushes on disable, and waiters survive a leader change", async () => {
    const { broker: b } = broker();
    b.enqueue(testEval({ ID: "e" }));
    b.setEnabled(false);
    const waiting = b.dequeue(["service"], 10_000);
    b.enqueue(testEval({ ID: "ignored" }));
    expect(b.stats().ready).toBe(0);
    b.setEnabled(true);
    b.enqueue(testEval({ ID: "after" }));
    expect((await waiting)?.eval.ID).toBe("after");
  });

  it("publishes ready and unacked gauges", async () => {
    const metrics = new AgentMetrics("t", { processMetrics: false });
    const b = new EvalBroker(new ManualClock(), DEFAULT_EVAL_BROKER_CONFIG, metrics);
    b.setEnabled(true);
    b.enqueue(testEval({ ID: "a", JobID: "a" }));
    b.enqueue(testEval({ ID: "b", JobID: "b" }));
    await take(b);
    const text = await metrics.text();
    expect(text).toMatch(/drover_broker_ready\{agent="t"\} 1/);
    expect(text).toMatch(/drover_broker_unacked\{agent="t"\} 1/);
  });
});
