import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { CommitHold } from "./commit-hold.js";
import { type Entry, type Message, message } from "./core/types.js";

const ent: Entry = { index: 5, term: 2, type: "normal", data: new Uint8Array([1]) };
const commitOnly = (to: string, commit: number): Message => message({ type: "app", from: "s1", to, commit });
const withEntries = (to: string, commit: number): Message =>
  message({ type: "app", from: "s1", to, commit, entries: [ent] });

describe("CommitHold", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function setup(leading = true) {
    const sent: Message[] = [];
    const hold = new CommitHold(
      (ms) => sent.push(...ms),
      5,
      () => leading,
    );
    return { hold, sent };
  }

  it("replaces a held commit-only append with the next append carrying entries", () => {
    const { hold, sent } = setup();
    hold.sendAsLeader([commitOnly("s2", 4), message({ type: "heartbeat", from: "s1", to: "s3" })]);
    expect(sent.map((m) => m.type)).toEqual(["heartbeat"]);
    hold.sendAsLeader([withEntries("s2", 5)]);
    expect(sent.map((m) => `${m.type}:${m.entries.length}`)).toEqual(["heartbeat:0", "app:1"]);
    expect(hold.heldCount).toBe(0);
    vi.advanceTimersByTime(10);
    expect(sent).toHaveLength(2);
  });

  it("sends a held append nothing replaced when the hold ends", () => {
    const { hold, sent } = setup();
    hold.sendAsLeader([commitOnly("s2", 4), commitOnly("s3", 4)]);
    expect(sent).toHaveLength(0);
    vi.advanceTimersByTime(5);
    expect(sent.map((m) => m.to).sort()).toEqual(["s2", "s3"]);
  });

  it("drops held appends when no longer leading", () => {
    const { hold, sent } = setup(false);
    hold.sendAsLeader([commitOnly("s2", 4)]);
    vi.advanceTimersByTime(5);
    expect(sent).toHaveLength(0);
    hold.sendAsLeader([commitOnly("s2", 4)]);
    hold.drop();
    vi.advanceTimersByTime(5);
    expect(sent).toHaveLength(0);
  });
});
