import { parseDurationMs } from "../../common/duration.js";
import { TaskConfigError, ValidationError } from "../../common/errors.js";

/**
 * Typed readers for a task's `config` block. Every reader throws TaskConfigError naming the key,
 * so a bad job fails with an event that says which field is wrong. `undefined` means "absent";
 * HCL/JSON `null` counts as absent too.
 */
type Config = Record<string, unknown>;

function present(config: Config, field: string): unknown {
  const value = config[field];
  return value === null ? undefined : value;
}

export function optionalString(config: Config, field: string): string | undefined {
  const value = present(config, field);
  if (value === undefined) return undefined;
  if (typeof value !== "string") throw new TaskConfigError(`must be a string, got ${typeOf(value)}`, field);
  return value;
}

export function requiredString(config: Config, field: string): string {
  const value = optionalString(config, field);
  if (value === undefined || value === "") throw new TaskConfigError("is required", field);
  return value;
}

export function optionalStringList(config: Config, field: string): string[] | undefined {
  const value = present(config, field);
  if (value === undefined) return undefined;
  if (!Array.isArray(value))
    throw new TaskConfigError(`must be a list of strings, got ${typeOf(value)}`, field);
  return value.map((item, i) => {
    if (typeof item !== "string") {
      throw new TaskConfigError(`must be a list of strings (item ${i} is ${typeOf(item)})`, field);
    }
    return item;
  });
}

export function optionalInt(config: Config, field: string): number | undefined {
  const value = present(config, field);
  if (value === undefined) return undefined;
  // HCL numbers may arrive as strings after interpolation ("${NOMAD_…}"); accept digits only.
  const n = typeof value === "string" && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof n !== "number" || !Number.isSafeInteger(n)) {
    throw new TaskConfigError(`must be an integer, got ${JSON.stringify(value)}`, field);
  }
  return n;
}

export function optionalBool(config: Config, field: string): boolean | undefined {
  const value = present(config, field);
  if (value === undefined) return undefined;
  if (typeof value === "boolean") return value;
  if (value === "true" || value === "false") return value === "true";
  throw new TaskConfigError(`must be a boolean, got ${JSON.stringify(value)}`, field);
}

/**
 * A duration in milliseconds: a Go-style string ("10s", "250ms") or, as Nomad's JSON carries
 * durations, a number of nanoseconds.
 */
export function optionalDurationMs(config: Config, field: string): number | undefined {
  const value = present(config, field);
  if (value === undefined) return undefined;
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value < 0) {
      throw new TaskConfigError(`must be a non-negative duration, got ${value}`, field);
    }
    return value / 1e6;
  }
  if (typeof value !== "string") {
    throw new TaskConfigError(`must be a duration such as "10s", got ${typeOf(value)}`, field);
  }
  try {
    return parseDurationMs(value, field);
  } catch (err) {
    if (err instanceof ValidationError) {
      throw new TaskConfigError(`invalid duration ${JSON.stringify(value)} (expected e.g. "10s")`, field);
    }
    throw err;
  }
}

/** Rejects keys the driver does not know, as Nomad's HCL spec does (a typo is not silently ignored). */
export function rejectUnknownKeys(config: Config, known: readonly string[]): void {
  for (const key of Object.keys(config)) {
    if (!known.includes(key)) throw new TaskConfigError("unknown config key", key);
  }
}

function typeOf(value: unknown): string {
  if (Array.isArray(value)) return "a list";
  return typeof value;
}
