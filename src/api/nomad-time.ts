/**
 * Nomad's JSON has two kinds of time: `int64` fields (CreateTime, SubmitTime, TaskEvent.Time, in
 * Unix nanoseconds) and Go `time.Time` fields, which encoding/json writes as RFC 3339 strings with
 * up to nine fractional digits, trailing zeros trimmed. Drover stores every instant as Unix
 * nanoseconds; the API converts the `time.Time` ones here, so that Nomad's own API clients decode
 * them. Go's zero time ("0001-01-01T00:00:00Z") stands for "never", which Drover stores as 0.
 */

export const GO_ZERO_TIME = "0001-01-01T00:00:00Z";

/** Unix nanoseconds as Go's time.Time JSON (RFC 3339, UTC, nanosecond precision). */
export function rfc3339(ns: number): string {
  if (!Number.isFinite(ns) || ns <= 0) return GO_ZERO_TIME;
  // A double holds today's Unix nanoseconds only to ~256 ns: digits below the microsecond would
  // be noise, so the value is rounded to whole microseconds (BigInt keeps the rest exact).
  const total = BigInt(Math.round(ns / 1000)) * 1000n;
  const seconds = total / 1_000_000_000n;
  const fraction = total % 1_000_000_000n;
  const base = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  if (fraction === 0n) return `${base}Z`;
  const digits = fraction.toString().padStart(9, "0").replace(/0+$/, "");
  return `${base}.${digits}Z`;
}

/**
 * The inverse, for what the API hands back (the CLI reads these): RFC 3339 with any offset, or a
 * number that is already nanoseconds. Go's zero time and anything unparseable are 0.
 */
export function parseRfc3339(value: unknown): number {
  if (typeof value === "number") return value;
  if (typeof value !== "string" || value === GO_ZERO_TIME) return 0;
  const match = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(value);
  if (match === null) return 0;
  const ms = Date.parse(`${match[1]}${match[3]}`);
  if (Number.isNaN(ms) || ms <= 0) return 0;
  return ms * 1e6 + Number((match[2] ?? "").padEnd(9, "0"));
}
