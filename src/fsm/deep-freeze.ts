/**
 * Deep freezing, for values that many stored allocations share (alloc-compactor.ts) or that the
 * decoder hands out once for many (fast-decode.ts): a shared value must never change, and one
 * known to be deep-frozen may be recognised again by identity (its meaning cannot have changed).
 */

/** Freezes `value` and everything reachable from it; returns it. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key in value) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}

/** Whether nothing reachable from `value` can change. */
export function isDeepFrozen(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return true;
  if (!Object.isFrozen(value)) return false;
  for (const key in value) if (!isDeepFrozen((value as Record<string, unknown>)[key])) return false;
  return true;
}
