/**
 * Errors of the durable log store. The core recognises the storage errors by `instanceof`, so the
 * store throws the core's own classes (re-exported here); corruption is ours alone.
 */
export { CompactedError, UnavailableError } from "./core/errors.js";

/** The stored log is damaged beyond a torn tail record: the server must not start on it. */
export class CorruptLogError extends Error {
  override name = "CorruptLogError";
}

/**
 * The state machine's durable state ends before the log's snapshot, and no snapshot file holds
 * the state between (a state machine that keeps its own state was lost or replaced): the server
 * must not start, or it would serve a state with entries missing.
 */
export class LostStateError extends Error {
  override name = "LostStateError";
}
