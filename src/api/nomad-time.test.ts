import { describe, expect, it } from "vitest";
import { GO_ZERO_TIME, parseRfc3339, rfc3339 } from "./nomad-time.js";

describe("Nomad time.Time fields", () => {
  it("formats Unix nanoseconds as Go does, trailing zeros trimmed", () => {
    expect(rfc3339(0)).toBe(GO_ZERO_TIME);
    expect(rfc3339(1_700_000_000_000_000_000)).toBe("2023-11-14T22:13:20Z");
    expect(rfc3339(1_700_000_000_500_000_000)).toBe("2023-11-14T22:13:20.5Z");
    expect(rfc3339(1_700_000_000_123_456_000)).toBe("2023-11-14T22:13:20.123456Z");
  });

  it("parses what it formats, offsets included, and zero time as 0", () => {
    for (const ns of [1_700_000_000_000_000_000, 1_700_000_000_500_000_000, 1_700_000_000_123_456_000]) {
      expect(Math.abs(parseRfc3339(rfc3339(ns)) - ns)).toBeLessThan(1000);
    }
    expect(parseRfc3339("2023-11-14T23:13:20+01:00")).toBe(1_700_000_000_000_000_000);
    expect(parseRfc3339(GO_ZERO_TIME)).toBe(0);
    expect(parseRfc3339("yesterday")).toBe(0);
    expect(parseRfc3339(42)).toBe(42);
  });
});
