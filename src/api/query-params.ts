import { parseDurationMs } from "../common/duration.js";
import { ValidationError } from "../common/errors.js";
import type { QueryOptions } from "../rpc/server-api.js";

/** Nomad's default and maximum wait of a blocking query. */
const DEFAULT_WAIT_MS = 5 * 60_000;
const MAX_WAIT_MS = 10 * 60_000;

/** A flag parameter: present without a value (`?stale`) or with anything but "false". */
export function flagParam(params: URLSearchParams, name: string): boolean {
  const value = params.get(name);
  return value !== null && value !== "false";
}

export function intParam(params: URLSearchParams, name: string): number | undefined {
  const value = params.get(name);
  if (value === null || value === "") return undefined;
  if (!/^\d+$/.test(value))
    throw new ValidationError(`expected a non-negative integer, got ${JSON.stringify(value)}`, `?${name}`);
  return Number(value);
}

/** `?stale`, `?index=&wait=` (blocking queries), `?prefix=`, `?namespace=`. */
export function queryOptions(params: URLSearchParams): QueryOptions {
  const options: QueryOptions = { stale: flagParam(params, "stale") };
  const index = intParam(params, "index");
  if (index !== undefined && index > 0) {
    options.minIndex = index;
    const wait = params.get("wait");
    options.maxWaitMs = Math.min(
      MAX_WAIT_MS,
      wait === null ? DEFAULT_WAIT_MS : parseDurationMs(wait, "?wait"),
    );
  }
  const prefix = params.get("prefix");
  if (prefix !== null) options.prefix = prefix;
  const namespace = params.get("namespace");
  if (namespace !== null && namespace !== "") options.namespace = namespace;
  return options;
}
