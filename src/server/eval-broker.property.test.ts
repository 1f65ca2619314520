import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEFAULT_EVAL_BROKER_CONFIG, type Dequeued, EvalBroker, FAILED_QUEUE } from "./eval-broker.js";
import { ManualClock } from "./manual-clock.js";
import { testEval } from "./test-fixtures.js";

type Op =
  | { kind: "enqueue"; job: number; priority: number; waitMs: number }
  | { kind: "dequeue"; failed: boolean }
  | { kind: "ack"; pick: number }
  | { kind: "nack"; pick: number }
  | { kind: "advance"; ms: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant("enqueue" as const),
    // Few jobs, so that a job is often enqueued again while its eval is out.
    job: fc.integer({ min: 0, max: 2 }),
    priority: fc.integer({ min: 1, max: 3 }),
    waitMs: fc.constantFrom(0, 0, 50),
  }),
  fc.record({ kind: fc.constant("dequeue" as const), failed: fc.constantFrom(false, false, false, true) }),
  fc.record({ kind: fc.constant("ack" as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant("nack" as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant("advance" as const), ms: fc.integer({ min: 1, max: 300 }) }),
);

describe("EvalBroker properties", () => {
  it("never has two evals of one job out at once, and loses no eval it was given", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 20, maxLength: 150 }), async (ops) => {
        const clock = new ManualClock();
        const broker = new EvalBroker(clock, {
          ...DEFAULT_EVAL_BROKER_CONFIG,
          nackTimeoutMs: 200,
          initialNackDelayMs: 10,
          subsequentNackDelayMs: 30,
        });
        broker.setEnabled(true);
        const out: Dequeued[] = [];
        const given = new Set<string>();
        const finished = new Set<string>();
        // The model of invariant 4: a job's slot is taken by the first delivery of one of its
        // evals and kept, through nacks and the failed queue, until that eval is acked.
        const slot = new Map<string, string>();
        let seq = 0;
        for (const o of ops) {
          if (o.kind === "enqueue") {
            seq++;
            const id = `e${seq}`;
            given.add(id);
            broker.enqueue(
              testEval({
                ID: id,
                JobID: `job${o.job}`,
                Priority: o.priority,
                CreateIndex: seq,
                ModifyIndex: seq,
                WaitUntil: o.waitMs > 0 ? clock.now() + o.waitMs * 1e6 : 0,
              }),
            );
          } else if (o.kind === "dequeue") {
            const got = await broker.dequeue(o.failed ? [FAILED_QUEUE] : ["service"], 0);
            if (got !== null) {
              const holder = slot.get(got.eval.JobID);
              if (holder !== undefined && holder !== got.eval.ID) {
                throw new Error(
                  `${got.eval.ID} of ${got.eval.JobID} handed out while ${holder} holds its slot`,
                );
              }
              slot.set(got.eval.JobID, got.eval.ID);
              out.push(got);
            }
          } else if (o.kind === "advance") {
            clock.advance(o.ms);
          } else if (out.length > 0) {
            const [d] = out.splice(o.pick % out.length, 1);
            if (d === undefined || broker.outstanding(d.eval.ID) !== d.token) continue;
            if (o.kind === "ack") {
              broker.ack(d.eval.ID, d.token);
              finished.add(d.eval.ID);
              slot.delete(d.eval.JobID);
            } else {
              broker.nack(d.eval.ID, d.token);
            }
          }
          // Invariant 4: the evals currently held by workers belong to distinct jobs.
          const held = out.filter((d) => broker.outstanding(d.eval.ID) === d.token).map((d) => d.eval.JobID);
          expect(new Set(held).size).toBe(held.length);
        }
        // Nothing is lost: every eval is finished, cancelled as superseded, or still in the broker.
        const cancelled = new Set(broker.takeCancelable(1_000).map((e) => e.ID));
        const stats = broker.stats();
        const inBroker = stats.ready + stats.unacked + stats.pending + stats.delayed + stats.failed;
        expect(finished.size + cancelled.size + inBroker).toBe(given.size);
      }),
      { numRuns: 1_000 },
    );
  });
});
