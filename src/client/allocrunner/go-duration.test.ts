import { describe, expect, it } from "vitest";
import { formatGoDuration } from "./go-duration.js";

describe("formatGoDuration", () => {
  it.each([
    [0, "0s"],
    [1, "1ns"],
    [1_500, "1.5µs"],
    [250_000_000, "250ms"],
    [1_500_000_000, "1.5s"],
    [2_000_000_000, "2s"],
    [30 * 60e9, "30m0s"],
    [90e9, "1m30s"],
    [3600e9, "1h0m0s"],
    [3600e9 + 61e9 + 5e8, "1h1m1.5s"],
    [-2e9, "-2s"],
  ])("%d ns is %s", (ns, text) => {
    expect(formatGoDuration(ns)).toBe(text);
  });
});
