import { describe, expect, it } from "vitest";
import { parseDurationMs } from "./duration.js";
import { SeededRandom } from "./rand.js";

describe("parseDurationMs", () => {
  it.each([
    ["10s", 10_000],
    ["1m30s", 90_000],
    ["250ms", 250],
    ["1h", 3_600_000],
    ["1.5s", 1500],
    ["42", 42],
  ])("%s → %d ms", (text, ms) => {
    expect(parseDurationMs(text)).toBe(ms);
  });

  it("rejects garbage with the place it came from", () => {
    expect(() => parseDurationMs("10 parsecs", "job.update.min_healthy_time")).toThrow(
      /job\.update\.min_healthy_time: invalid duration/,
    );
  });
});

describe("SeededRandom", () => {
  it("replays the same sequence for the same seed", () => {
    const a = new SeededRandom(7);
    const b = new SeededRandom(7);
    expect(Array.from({ length: 5 }, () => a.next())).toEqual(Array.from({ length: 5 }, () => b.next()));
  });
});
