import { type DestinationStream, type Logger, type LoggerOptions, pino } from "pino";
import { formatLogLine } from "./log-format.js";
import { currentRequestId } from "./request-context.js";

export type { Logger };

/** `json`: one JSON object per line (for log shippers); `text`: one readable line per entry. */
export type LogFormat = "json" | "text";

export interface CreateLoggerOptions extends Omit<LoggerOptions, "mixin"> {
  /** Default `json`. */
  format?: LogFormat | undefined;
  /** Where lines go (default stdout, written synchronously). */
  destination?: DestinationStream | undefined;
}

/**
 * Creates the root logger of one agent. Components take a child logger
 * (`root.child({ component: "raft" })`) so that every line says where it came from, and every line
 * written on behalf of a request carries its `requestId` (request-context.ts).
 * The level: `options.level`, else `DROVER_LOG_LEVEL`, else `info` (tests: `silent` unless asked).
 */
export function createLogger(name: string, options: CreateLoggerOptions = {}): Logger {
  const { format = "json", destination, ...rest } = options;
  const level = rest.level ?? process.env["DROVER_LOG_LEVEL"] ?? (process.env["VITEST"] ? "silent" : "info");
  const sink = destination ?? pino.destination({ dest: 1, sync: true });
  const out: DestinationStream =
    format === "json" ? sink : { write: (line) => sink.write(formatLogLine(line)) };
  return pino(
    {
      name,
      base: { agent: name },
      ...rest,
      level,
      // ACL tokens are bearer secrets: whatever logs a request's headers must not write them.
      redact: {
        paths: [
          'req.headers["x-nomad-token"]',
          "req.headers.authorization",
          'headers["x-nomad-token"]',
          "headers.authorization",
          'metadata["x-nomad-token"]',
        ],
        censor: "[redacted]",
      },
      // A fresh object every time: pino merges the line's own fields into it.
      mixin: () => {
        const requestId = currentRequestId();
        return requestId === undefined ? {} : { requestId };
      },
    },
    out,
  );
}

/** A logger that drops everything, for unit tests and pure modules' harnesses. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}

export function componentLogger(root: Logger, component: string): Logger {
  return root.child({ component });
}
