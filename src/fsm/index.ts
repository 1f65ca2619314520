// Public surface of src/fsm. Other modules import from here.

export * from "./acl.js";
export * from "./alloc-disconnect.js";
export * from "./alloc-usage.js";
export { namespaceDeleteProblem, readerContents } from "./apply-namespace.js";
export * from "./command-codec.js";
export * from "./commands.js";
export { DroverFsm } from "./drover-fsm.js";
export * from "./errors.js";
export * from "./evaluation.js";
export { nextJobVersion, sameJobSpec } from "./job-version.js";
export { LevelState, type LevelStateOptions } from "./leveldb-state.js";
export * from "./mock.js";
export * from "./namespace.js";
export * from "./node-usage-summary.js";
export { PackedAllocMetric, packedMetric } from "./packed-metric.js";
export { tablesFromSnapshot, writeSnapshotStream } from "./snapshot-stream.js";
export * from "./state-reader.js";
export { StateSnapshot } from "./state-snapshot.js";
export { type Commit, type EntryOutcome, StateStore, type WatchKey } from "./state-store.js";
export * from "./structs.js";
export { emptyTables, isTableName, nsKey, TABLES, type TableName, type Tables } from "./tables.js";
export { checkTablesInvariants } from "./tables-invariants.js";
