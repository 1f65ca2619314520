import { ValidationError } from "./errors.js";

const UNITS_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * Parses a Go-style duration ("10s", "1m30s", "250ms", "1h") into milliseconds, as Nomad's
 * job files and flags spell them. A bare number is taken as milliseconds.
 */
export function parseDurationMs(text: string, where = "duration"): number {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let consumed = 0;
  for (let match = re.exec(trimmed); match !== null; match = re.exec(trimmed)) {
    const [, value, unit] = match;
    total += Number(value) * (UNITS_MS[unit as string] as number);
    consumed = re.lastIndex;
  }
  if (consumed === 0 || consumed !== trimmed.length) {
    throw new ValidationError(
      `invalid duration ${JSON.stringify(text)} (expected e.g. "10s", "1m30s")`,
      where,
    );
  }
  return total;
}

/** Nanoseconds, as Nomad's JSON API carries durations. */
export const msToNs = (ms: number): number => Math.round(ms * 1e6);
export const nsToMs = (ns: number): number => ns / 1e6;
