/** The public surface of Drover's pure Raft core. */

export { applyConfChangeTo, decodeConfChange, encodeConfChange, validateConfChange } from "./confchange.js";
export type { RaftConfig, RaftLogger } from "./config.js";
export type { ConfChangeRejection } from "./errors.js";
export {
  CompactedError,
  ConfChangeRejectedError,
  ProposalDroppedError,
  SnapshotTemporarilyUnavailableError,
  UnavailableError,
} from "./errors.js";
export type { ProgressState } from "./progress.js";
export { RawNode } from "./raw-node.js";
export type { ProgressStatus, RaftStatus } from "./status.js";
export {
  BOOTSTRAP_HARD_STATE,
  bootstrapSnapshot,
  EMPTY_CONF_STATE,
  EMPTY_HARD_STATE,
  entrySize,
  limitSize,
  MemoryStorage,
  type RaftStorage,
} from "./storage.js";
export * from "./types.js";
