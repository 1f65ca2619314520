/**
 * Go's `time.Duration.String()` for a number of nanoseconds ("2s", "1.5s", "30m0s", "1h0m0s",
 * "250ms"), because Nomad's task event messages print durations that way and users (and tools)
 * read them in that form. Exact for durations below 2^53 ns (about 104 days).
 */
export function formatGoDuration(ns: number): string {
  const total = Math.round(Math.abs(ns));
  const sign = ns < 0 && total !== 0 ? "-" : "";
  if (total === 0) return "0s";
  if (total < 1_000) return `${sign}${total}ns`;
  if (total < 1_000_000) return `${sign}${withFraction(total, 1_000)}µs`;
  if (total < 1_000_000_000) return `${sign}${withFraction(total, 1_000_000)}ms`;
  const seconds = Math.floor(total / 1e9);
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const secondsPart = withFraction((seconds % 60) * 1e9 + (total % 1e9), 1e9);
  if (hours > 0) return `${sign}${hours}h${minutes}m${secondsPart}s`;
  if (minutes > 0) return `${sign}${minutes}m${secondsPart}s`;
  return `${sign}${secondsPart}s`;
}

/** `value / unit` with the fraction's trailing zeros dropped, as Go prints it ("1.5", "2"). */
function withFraction(value: number, unit: number): string {
  const whole = Math.floor(value / unit);
  const fraction = value % unit;
  if (fraction === 0) return String(whole);
  const digits = String(unit).length - 1;
  return `${whole}.${String(fraction).padStart(digits, "0").replace(/0+$/, "")}`;
}
