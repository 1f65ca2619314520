import { describe, expect, it } from "vitest";
import { Autopilot, type AutopilotConfig, type ServerObservation } from "./autopilot.js";

const CONFIG: AutopilotConfig = {
  cleanupDeadServers: true,
  lastContactThresholdMs: 200,
  serverStabilizationTimeMs: 10_000,
  maxTrailingLogs: 250,
  minQuorum: 2,
};

/** Servers s1…sN, s1 leading at index 1000; `over` changes some of them. */
function servers(
  n: number,
  over: Record<string, Partial<ServerObservation>> = {},
  learners: readonly string[] = [],
): ServerObservation[] {
  const ids = [...Array.from({ length: n }, (_, i) => `s${i + 1}`), ...learners];
  return ids.map((id) => ({
    id,
    address: `127.0.0.1:${7000 + ids.indexOf(id)}`,
    voter: !learners.includes(id),
    leader: id === "s1",
    lastContactMs: id === "s1" ? 0 : 50,
    lastIndex: 1000,
    ...over[id],
  }));
}

describe("Autopilot health", () => {
  it("is healthy within the contact threshold and the trailing-log bound, and says since when", () => {
    const ap = new Autopilot(CONFIG);
    const h = ap.observe(1_000, servers(3, { s2: { lastIndex: 750 }, s3: { lastContactMs: 200 } }));
    expect(h.healthy).toBe(true);
    expect(h.failureTolerance).toBe(1);
    expect(h.servers.map((s) => s.stableSinceMs)).toEqual([1_000, 1_000, 1_000]);

    const later = ap.observe(2_000, servers(3, { s2: { lastIndex: 749 }, s3: { lastContactMs: 201 } }));
    expect(later.servers.map((s) => [s.id, s.healthy, s.stableSinceMs])).toEqual([
      ["s1", true, 1_000],
      ["s2", false, 2_000],
      ["s3", false, 2_000],
    ]);
    expect(later.healthy).toBe(false);
    // 1 healthy voter of 3: below a quorum of 2.
    expect(later.failureTolerance).toBe(0);
  });

  it("counts failure tolerance over healthy voters only (5 voters, 1 down: 4 - 3 = 1)", () => {
    const ap = new Autopilot(CONFIG);
    const h = ap.observe(0, servers(5, { s5: { lastContactMs: 5_000 } }, ["s6"]));
    expect(h.failureTolerance).toBe(1);
  });
});

describe("Autopilot decisions", () => {
  it("removes a voter unreachable for longer than threshold + stabilization, not before", () => {
    const ap = new Autopilot(CONFIG);
    ap.observe(0, servers(3, { s3: { lastContactMs: 10_200 } }));
    expect(ap.decide(0)).toBeUndefined();
    ap.observe(1, servers(3, { s3: { lastContactMs: 10_201 } }));
    expect(ap.decide(1)).toMatchObject({ kind: "remove", id: "s3" });
  });

  it("removes nothing when more than (voters - 1) / 2 voters are dead (3 voters, 2 dead)", () => {
    const ap = new Autopilot(CONFIG);
    ap.observe(0, servers(3, { s2: { lastContactMs: 60_000 }, s3: { lastContactMs: 60_000 } }));
    expect(ap.decide(0)).toBeUndefined();
  });

  it("removes nothing when 3 of 5 voters are dead, but one at a time when 2 of 5 are", () => {
    const dead = { lastContactMs: 60_000 };
    const ap = new Autopilot({ ...CONFIG, minQuorum: 3 });
    ap.observe(0, servers(5, { s3: dead, s4: dead, s5: dead }));
    expect(ap.decide(0)).toBeUndefined();
    ap.observe(1, servers(5, { s4: dead, s5: dead }));
    expect(ap.decide(1)).toMatchObject({ kind: "remove", id: "s4" });
    // After s4 left: 4 voters, 1 dead ≤ (4 - 1) / 2, and 3 remain ≥ min quorum 3.
    ap.observe(
      2,
      servers(5, { s5: dead }).filter((s) => s.id !== "s4"),
    );
    expect(ap.decide(2)).toMatchObject({ kind: "remove", id: "s5" });
  });

  it("never goes below the minimum quorum, and not at all with cleanup off", () => {
    const dead = { lastContactMs: 60_000 };
    const strict = new Autopilot({ ...CONFIG, minQuorum: 3 });
    strict.observe(0, servers(3, { s3: dead }));
    expect(strict.decide(0)).toBeUndefined();
    const off = new Autopilot({ ...CONFIG, cleanupDeadServers: false });
    off.observe(0, servers(3, { s3: dead }));
    expect(off.decide(0)).toBeUndefined();
  });

  it("removes nothing when the voters left would not hold a quorum of healthy ones", () => {
    const dead = { lastContactMs: 60_000 };
    const ap = new Autopilot(CONFIG);
    // 5 voters: s4, s5 dead, s3 lagging: after removing s4, 2 healthy of 4 voters < 3.
    ap.observe(0, servers(5, { s3: { lastIndex: 10 }, s4: dead, s5: dead }));
    expect(ap.decide(0)).toBeUndefined();
  });

  it("removes a dead learner whatever the voters", () => {
    const ap = new Autopilot(CONFIG);
    ap.observe(0, servers(3, { s2: { lastContactMs: 60_000 }, s4: { lastContactMs: 60_000 } }, ["s4"]));
    expect(ap.decide(0)).toMatchObject({ kind: "remove", id: "s4" });
  });

  it("promotes a learner only after it stayed healthy for the stabilization time", () => {
    const ap = new Autopilot(CONFIG);
    ap.observe(0, servers(3, { s4: { lastIndex: 10 } }, ["s4"]));
    expect(ap.decide(0)).toBeUndefined();
    ap.observe(1_000, servers(3, {}, ["s4"]));
    expect(ap.decide(1_000)).toBeUndefined();
    // A blip resets the clock.
    ap.observe(5_000, servers(3, { s4: { lastContactMs: 900 } }, ["s4"]));
    ap.observe(6_000, servers(3, {}, ["s4"]));
    ap.observe(15_999, servers(3, {}, ["s4"]));
    expect(ap.decide(15_999)).toBeUndefined();
    ap.observe(16_000, servers(3, {}, ["s4"]));
    expect(ap.decide(16_000)).toMatchObject({ kind: "promote", id: "s4" });
  });

  it("forgets its history on reset (a new leadership term)", () => {
    const ap = new Autopilot(CONFIG);
    ap.observe(0, servers(3, {}, ["s4"]));
    ap.reset();
    expect(ap.decide(20_000)).toBeUndefined();
    ap.observe(20_000, servers(3, {}, ["s4"]));
    expect(ap.decide(20_000)).toBeUndefined();
  });
});
