import type { SnapshotRestoreCommand, SnapshotRestoreResult } from "./commands.js";
import { InvalidCommandError } from "./errors.js";
import { readSnapshotBytes } from "./snapshot-stream.js";
import type { StateTxn } from "./state-txn.js";
import { addRecord } from "./tables-builder.js";

/**
 * Replaces the whole state with the snapshot the command carries: every record goes, then every
 * record of the snapshot is written as it is (no command semantics), all at this entry's index.
 * A damaged snapshot rejects the command and, as for any rejection, leaves the state untouched
 * (the proposer validated it first; this is the check every server repeats).
 */
export function applySnapshotRestore(txn: StateTxn, command: SnapshotRestoreCommand): SnapshotRestoreResult {
  txn.deleteEverything();
  let restored: { records: number };
  try {
    restored = readSnapshotBytes(
      command.Snapshot,
      () => undefined,
      (table, records) => {
        for (const [key, value] of records) addRecord(txn, table, key, value);
      },
    );
  } catch (error) {
    throw new InvalidCommandError(`snapshot-restore: ${(error as Error).message}`);
  }
  return { Index: txn.index, Records: restored.records };
}
