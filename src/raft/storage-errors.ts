/**
 * Errors of the durable log store. The core recognises the storage errors by `instanceof`, so the
 * store throws the core's own classes (re-exported here); corruption is ours alone.
 */
export { CompactedError, UnavailableError } from "./core/errors.js";

/** The stored log is damaged beyond a torn tail record: the server must not start on it. */
export class CorruptLogError extends Error {
  override name = "CorruptLogError";
}
