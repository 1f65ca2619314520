import { describe, expect, it } from "vitest";
import type { HistoryEvent, RegisterOp } from "./history.js";
import { checkLinearizable } from "./linearizability.js";

const MS = 1_000_000;

/** One operation written as [process, op, invoke ms, completion ms | null, outcome]. */
type Spec = [number, RegisterOp, number, number | null, "ok" | "fail" | "info"];

const read = (value: string | null, key = "k"): RegisterOp => ({ f: "read", key, value });
const write = (value: string, key = "k"): RegisterOp => ({ f: "write", key, value });
const cas = (expect: string | null, value: string, key = "k"): RegisterOp => ({
  f: "cas",
  key,
  expect,
  value,
});
const del = (key = "k"): RegisterOp => ({ f: "delete", key });

/** Builds a history: events sorted by time, invokes carry no read value, completions do. */
function history(specs: Spec[]): HistoryEvent[] {
  const events: HistoryEvent[] = [];
  for (const [process, op, start, end, outcome] of specs) {
    const invokeOp = op.f === "read" ? { ...op, value: null } : op;
    events.push({ process, type: "invoke", op: invokeOp, time: start * MS, server: `s${process % 3}` });
    if (end !== null) {
      const done: HistoryEvent = { process, type: outcome, op, time: end * MS, server: `s${process % 3}` };
      if (outcome !== "ok") done.error = "timeout";
      events.push(done);
    }
  }
  return events
    .map((e, i) => ({ e, i }))
    .sort((a, b) => a.e.time - b.e.time || a.i - b.i)
    .map(({ e }) => e);
}

function expectAnomaly(specs: Spec[], ...fragments: string[]): string {
  const result = checkLinearizable(history(specs));
  expect(result.ok).toBe(false);
  expect(result.anomalies).toHaveLength(1);
  const report = result.anomalies[0]?.report ?? "";
  for (const f of fragments) expect(report).toContain(f);
  return report;
}

describe("checkLinearizable: histories that are linearizable", () => {
  it("accepts concurrent overlapping writes and reads in some order", () => {
    const result = checkLinearizable(
      history([
        [0, write("a"), 0, 10, "ok"],
        [1, write("b"), 2, 12, "ok"],
        [2, read("b"), 3, 5, "ok"],
        [3, read("a"), 6, 11, "ok"],
        [2, read("a"), 13, 14, "ok"],
      ]),
    );
    expect(result).toEqual({ ok: true, keys: 1, anomalies: [] });
  });

  it("accepts an info write that happened and one that did not", () => {
    const result = checkLinearizable(
      history([
        [0, write("a"), 0, 1, "ok"],
        [1, write("b"), 2, 3, "info"],
        [2, read("b"), 10, 11, "ok"],
        [1, write("c"), 12, null, "info"],
        [2, read("b"), 20, 21, "ok"],
      ]),
    );
    expect(result.ok).toBe(true);
  });

  it("lets an info write take effect long after it was given up on", () => {
    const result = checkLinearizable(
      history([
        [0, write("a"), 0, 1, "ok"],
        [1, write("b"), 2, 3, "info"],
        [2, read("a"), 10, 11, "ok"],
        [2, read("b"), 20, 21, "ok"],
      ]),
    );
    expect(result.ok).toBe(true);
  });

  it("follows chains of info operations: an info CAS on an info write, then seen", () => {
    const result = checkLinearizable(
      history([
        [0, write("a"), 0, 5, "info"],
        [1, cas("a", "b"), 1, 6, "info"],
        [2, cas("b", "c"), 7, 8, "ok"],
        [2, read("c"), 9, 10, "ok"],
      ]),
    );
    expect(result.ok).toBe(true);
  });

  it("lets an info delete explain a later read of absent, and ignores one nobody could see", () => {
    const result = checkLinearizable(
      history([
        [0, write("a"), 0, 1, "ok"],
        [1, del(), 2, 3, "info"],
        [2, read("a"), 4, 5, "ok"],
        [2, read(null), 6, 7, "ok"],
        [0, write("b"), 8, 9, "ok"],
        [1, del(), 10, null, "info"],
        [2, read("b"), 11, 12, "ok"],
      ]),
    );
    expect(result.ok).toBe(true);
  });

  it("accepts successful and failed CAS, deletes and reads of absent keys", () => {
    const result = checkLinearizable(
      history([
        [0, read(null), 0, 1, "ok"],
        [0, cas(null, "a"), 2, 3, "ok"],
        [1, cas(null, "x"), 4, 5, "fail"],
        [1, cas("a", "b"), 6, 7, "ok"],
        [2, cas("a", "y"), 6, 8, "fail"],
        [0, read("b"), 9, 10, "ok"],
        [0, del(), 11, 12, "ok"],
        [1, read(null), 13, 14, "ok"],
        [1, cas(null, "c"), 15, 16, "ok"],
      ]),
    );
    expect(result.ok).toBe(true);
  });

  it("checks keys independently", () => {
    const result = checkLinearizable(
      history([
        [0, write("a", "x"), 0, 1, "ok"],
        [1, write("a", "y"), 0, 1, "ok"],
        [0, read("a", "x"), 2, 3, "ok"],
        [1, read(null, "z"), 2, 3, "ok"],
      ]),
    );
    expect(result).toEqual({ ok: true, keys: 3, anomalies: [] });
  });
});

describe("checkLinearizable: histories that are not", () => {
  it("flags a stale read", () => {
    const report = expectAnomaly(
      [
        [0, write("a"), 0, 1, "ok"],
        [0, write("b"), 2, 3, "ok"],
        [1, read("a"), 4, 5, "ok"],
      ],
      'key "k"',
      'op 2 process 1 read -> "a" ok [0.004s .. 0.005s] on s1: reads "a" but the register holds "b"',
      "longest linearizable prefix found has 2 operations",
    );
    expect(report).toContain('write "b" ok [0.002s .. 0.003s]');
  });

  it("flags a lost write: acknowledged, never seen, later reads see the older value", () => {
    expectAnomaly(
      [
        [0, write("a"), 0, 1, "ok"],
        [1, write("b"), 2, 3, "ok"],
        [2, read("a"), 4, 5, "ok"],
        [2, read("a"), 6, 7, "ok"],
      ],
      'reads "a" but the register holds "b"',
    );
  });

  it("flags a double create: two CAS from absent both succeed", () => {
    expectAnomaly(
      [
        [0, cas(null, "a"), 0, 10, "ok"],
        [1, cas(null, "b"), 1, 11, "ok"],
      ],
      "longest linearizable prefix found has 1 operations",
      "expects absent but the register holds",
    );
  });

  it("flags a read of a value nobody wrote", () => {
    expectAnomaly(
      [
        [0, write("a"), 0, 1, "ok"],
        [1, read("ghost"), 2, 3, "ok"],
      ],
      '"ghost" was never written by any operation',
    );
  });

  it("flags a CAS that succeeded against a stale value", () => {
    expectAnomaly(
      [
        [0, write("a"), 0, 1, "ok"],
        [0, write("b"), 2, 3, "ok"],
        [1, cas("a", "c"), 4, 5, "ok"],
      ],
      'cas "a" -> "c" ok',
      'expects "a" but the register holds "b"',
    );
  });

  it("does not let a failed write take effect", () => {
    expectAnomaly(
      [
        [0, write("a"), 0, 1, "ok"],
        [1, write("b"), 2, 3, "fail"],
        [2, read("b"), 4, 5, "ok"],
      ],
      '"b" was never written by any operation',
    );
  });

  it("rejects malformed histories with a message", () => {
    const events: HistoryEvent[] = [{ process: 1, type: "ok", op: write("a"), time: 0 }];
    expect(() => checkLinearizable(events)).toThrow(/process 1 completes \(ok\) with nothing invoked/);
  });
});

/**
 * Histories from a real sequential register: each operation takes effect at one instant between
 * its invocation and completion, so the history is linearizable by construction.
 */
interface Generated {
  events: HistoryEvent[];
  /** ok state changes (write/cas/delete): [invoke, complete] ms. */
  changes: { key: string; start: number; end: number }[];
  /** ok writes with their span, to pick a surely stale value. */
  writes: { key: string; value: string; start: number; end: number }[];
}

function generate(
  seed: number,
  processes: number,
  opsPerProcess: number,
  keys: string[],
  infoRate = 0.05,
): Generated {
  let s = seed >>> 0;
  const next = (): number => {
    // mulberry32: a small seeded generator, enough for test data.
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number): number => Math.floor(next() * n);
  type Planned = { process: number; op: RegisterOp; start: number; at: number; end: number; lost: boolean };
  const planned: Planned[] = [];
  let fresh = 0;
  for (let p = 0; p < processes; p++) {
    let t = int(5);
    for (let i = 0; i < opsPerProcess; i++) {
      const key = keys[int(keys.length)] as string;
      const start = t + int(3);
      const at = start + int(8);
      const end = at + int(8);
      const r = next();
      let op: RegisterOp;
      if (r < 0.45) op = read(null, key);
      else if (r < 0.75) op = write(`v${fresh++}`, key);
      else if (r < 0.93) op = cas(null, `v${fresh++}`, key);
      else op = del(key);
      planned.push({ process: p, op, start, at, end, lost: false });
      t = end + 1;
    }
  }
  const state = new Map<string, string | null>();
  const lastWritten = new Map<string, string[]>();
  const out: { process: number; type: "invoke" | "ok" | "fail" | "info"; op: RegisterOp; time: number }[] =
    [];
  const changes: Generated["changes"] = [];
  const writes: Generated["writes"] = [];
  for (const pl of [...planned].sort((a, b) => a.at - b.at)) {
    const key = pl.op.key;
    const current = state.get(key) ?? null;
    let op = pl.op;
    // Some operations end unknown: a third of those never take effect at all.
    const info = op.f !== "read" && next() < infoRate;
    const applied = !info || next() < 0.66;
    let type: "ok" | "fail" | "info" = info ? "info" : "ok";
    if (op.f === "cas") {
      const seen = lastWritten.get(key) ?? [];
      const expectValue = next() < 0.6 ? current : (seen[int(seen.length + 1)] ?? null);
      op = { ...op, expect: expectValue };
      if (expectValue !== current && !info) type = "fail";
    }
    const invokeOp = op.f === "read" ? { ...op, value: null } : op;
    out.push({ process: pl.process, type: "invoke", op: invokeOp, time: pl.start });
    if (op.f === "read") op = { ...op, value: current };
    if (applied && type !== "fail") {
      if (op.f === "write" || (op.f === "cas" && op.expect === current)) {
        state.set(key, op.value);
        lastWritten.set(key, [...(lastWritten.get(key) ?? []), op.value]);
      }
      if (op.f === "delete") state.set(key, null);
      if (type === "ok" && op.f !== "read") changes.push({ key, start: pl.start, end: pl.end });
      if (type === "ok" && op.f === "write")
        writes.push({ key, value: op.value, start: pl.start, end: pl.end });
    }
    out.push({ process: pl.process, type, op, time: pl.end });
  }
  const events = out
    .map((e, i) => ({ e: { ...e, time: e.time * MS }, i }))
    .sort((a, b) => a.e.time - b.e.time || a.i - b.i)
    .map(({ e }) => e);
  return { events, changes, writes };
}

describe("checkLinearizable: randomized histories from a real register", () => {
  const seeds = [1, 7, 42, 1234, 99991];

  it.each(seeds)("accepts the generated history (seed %i) and rejects it with one read corrupted", (seed) => {
    const keys = ["a", "b", "c"];
    const g = generate(seed, 6, 120, keys);
    const good = checkLinearizable(g.events);
    expect(good.anomalies.map((a) => a.report)).toEqual([]);
    expect(good.ok).toBe(true);

    // Corrupt one read to return a value that was surely overwritten before it began: written by
    // an ok write that completed before another ok change that itself completed before the read.
    const key = "a";
    const candidates: { index: number; stale: string }[] = [];
    g.events.forEach((e, index) => {
      if (e.type !== "ok" || e.op.f !== "read" || e.op.key !== key) return;
      const invoke = g.events.findLast((x, j) => j < index && x.process === e.process && x.type === "invoke");
      if (invoke === undefined) return;
      const stale = g.writes.find(
        (w) =>
          w.key === key &&
          g.changes.some((c) => c.key === key && c.start > w.end && c.end * MS < invoke.time),
      );
      if (stale !== undefined && e.op.value !== stale.value) candidates.push({ index, stale: stale.value });
    });
    expect(candidates.length).toBeGreaterThan(0);
    const pick = candidates[Math.floor(candidates.length / 2)] as { index: number; stale: string };
    const corrupted = g.events.map((e, i) =>
      i === pick.index && e.op.f === "read" ? { ...e, op: { ...e.op, value: pick.stale } } : e,
    );
    const bad = checkLinearizable(corrupted);
    expect(bad.ok).toBe(false);
    expect(bad.anomalies.map((a) => a.key)).toEqual([key]);
  });

  it("checks 10,000 operations on one key within its budget", () => {
    const g = generate(2026, 8, 1250, ["hot"]);
    const result = checkLinearizable(g.events, { timeoutMs: 30_000 });
    expect(result.keys).toBe(1);
    expect(result.timedOut).toBeUndefined();
    expect(result.ok).toBe(true);
  });

  it("checks a history where a fifth of the changes end unknown (many open info deletes)", () => {
    const g = generate(77, 8, 500, ["hot"], 0.2);
    expect(g.events.filter((e) => e.type === "info" && e.op.f === "delete").length).toBeGreaterThan(50);
    const result = checkLinearizable(g.events, { timeoutMs: 30_000 });
    expect(result.timedOut).toBeUndefined();
    expect(result.ok).toBe(true);
  });

  it("reports a timeout rather than searching forever", () => {
    // 40 concurrent writes, then two reads of different values in sequence: no order fits, and
    // the search must visit every subset of the writes (2^40) before it can say so.
    const specs: Spec[] = [];
    for (let p = 0; p < 40; p++) specs.push([p, write(`w${p}`), 0, 100, "ok"]);
    specs.push([0, read("w0"), 101, 102, "ok"], [0, read("w1"), 103, 104, "ok"]);
    const result = checkLinearizable(history(specs), { timeoutMs: 200 });
    expect(result).toEqual({ ok: false, keys: 1, anomalies: [], timedOut: ["k"] });
  });
});
