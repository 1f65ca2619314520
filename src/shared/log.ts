import { type Logger, type LoggerOptions, pino } from "pino";

export type { Logger };

/**
 * Creates the root logger of one agent. Components take a child logger
 * (`root.child({ component: "raft" })`) so that every line says where it came from.
 * `DROVER_LOG_LEVEL` overrides the level (default `info`; tests use `silent` unless asked).
 */
export function createLogger(name: string, options: LoggerOptions = {}): Logger {
  const level = process.env["DROVER_LOG_LEVEL"] ?? (process.env["VITEST"] ? "silent" : "info");
  return pino({ name, level, base: { agent: name }, ...options });
}

/** A logger that drops everything, for unit tests and pure modules' harnesses. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}

export function componentLogger(root: Logger, component: string): Logger {
  return root.child({ component });
}
