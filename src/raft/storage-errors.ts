import type { LogIndex } from "./core/types.js";

/** Asked for a log position that compaction has already dropped (the core sends a snapshot instead). */
export class CompactedError extends Error {
  override name = "CompactedError";
  constructor(
    readonly index: LogIndex,
    readonly compactedIndex: LogIndex,
  ) {
    super(`log index ${index} is compacted (compaction point ${compactedIndex})`);
  }
}

/** Asked for a log position after the last entry. */
export class UnavailableError extends Error {
  override name = "UnavailableError";
  constructor(
    readonly index: LogIndex,
    readonly lastIndex: LogIndex,
  ) {
    super(`log index ${index} is beyond the last index ${lastIndex}`);
  }
}

/** The stored log is damaged beyond a torn tail record: the server must not start on it. */
export class CorruptLogError extends Error {
  override name = "CorruptLogError";
}
