/**
 * The readable log format: pino's JSON line turned into one line a person reads,
 *
 *   2026-12-03T13:02:38.123Z INFO  s1 http: request failed requestId=4f1c… method=GET path=/v1/x
 *
 * time (UTC), level, agent, component, message, then the other fields as key=value (strings
 * quoted when they hold spaces, quotes or `=`; objects as JSON; an error as its type and message).
 * A line that is not a JSON object passes through unchanged.
 */
export function formatLogLine(json: string): string {
  let entry: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(json);
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return json;
    entry = parsed as Record<string, unknown>;
  } catch {
    return json;
  }
  const {
    time,
    level,
    msg,
    agent,
    component,
    name: _name,
    pid: _pid,
    hostname: _hostname,
    ...fields
  } = entry;
  const parts: string[] = [
    typeof time === "number" ? new Date(time).toISOString() : String(time ?? "-"),
    levelName(level).padEnd(5),
  ];
  if (agent !== undefined) parts.push(String(agent));
  const message = msg === undefined ? "" : String(msg);
  parts.push(component === undefined ? message : `${String(component)}: ${message}`);
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    parts.push(`${key}=${fieldValue(key, value)}`);
  }
  return `${parts.join(" ")}\n`;
}

const LEVELS: Record<number, string> = {
  10: "TRACE",
  20: "DEBUG",
  30: "INFO",
  40: "WARN",
  50: "ERROR",
  60: "FATAL",
};

function levelName(level: unknown): string {
  if (typeof level === "number") return LEVELS[level] ?? `L${level}`;
  return String(level ?? "?").toUpperCase();
}

function fieldValue(key: string, value: unknown): string {
  if (typeof value === "string") return quoteIfNeeded(value);
  if (typeof value === "number" || typeof value === "boolean" || value === null) return String(value);
  if ((key === "err" || key === "error") && typeof value === "object") {
    const err = value as { type?: unknown; message?: unknown };
    if (typeof err.message === "string") {
      const type = typeof err.type === "string" ? `${err.type}: ` : "";
      return quoteIfNeeded(`${type}${err.message}`);
    }
  }
  return JSON.stringify(value);
}

function quoteIfNeeded(text: string): string {
  return text === "" || /[\s"=\\]/.test(text) ? JSON.stringify(text) : text;
}
