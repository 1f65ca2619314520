import type { Command } from "../fsm/commands.js";
import type { StateReader } from "../fsm/state-reader.js";
import type { Evaluation } from "../fsm/structs.js";
import { TABLES, type TableName } from "../fsm/tables.js";
import type { ScheduleOptions, ScheduleResult } from "../scheduler/schedule-types.js";

/** Messages from the agent's thread to a scheduler thread. */
export type ThreadRequest =
  | { type: "init"; chunks: Uint8Array[] }
  /** Applied commands in index order (several per message: one post per applied batch). */
  | { type: "apply"; entries: AppliedEntry[] }
  | {
      type: "schedule";
      id: number;
      evaluation: Evaluation;
      options: ScheduleOptions;
      /** The agent's applied index when it sent the request (≥ the worker's wait index). */
      mainIndex: number;
      /** replicaFingerprint of the agent's state at mainIndex. */
      fingerprint: string;
    };

/** One applied command's entry bytes, at its Raft index. */
export interface AppliedEntry {
  index: number;
  data: Uint8Array;
}

/**
 * Tables the replica does not keep current: no scheduler reads them, so their commands are not
 * posted (variables: a 1 KiB variable write would otherwise cost every server a structured-clone
 * copy, a thread wake-up and a second decode and apply). The replica's index still advances (the
 * schedule request carries the agent's index), and the fingerprint leaves these tables out.
 */
export const REPLICA_SKIPPED_TABLES: ReadonlySet<TableName> = new Set<TableName>(["variables"]);

/** Command types that change only REPLICA_SKIPPED_TABLES (never posted to the replica). */
export const REPLICA_SKIPPED_COMMANDS: ReadonlySet<Command["type"]> = new Set<Command["type"]>([
  "var-put",
  "var-delete",
]);

/** Messages from a scheduler thread back. */
export type ThreadResponse =
  | { type: "result"; id: number; result: ScheduleResult; snapshotIndex: number }
  | { type: "error"; id: number; message: string }
  /** The replica does not match the agent's state: the agent sends init again and retries. */
  | { type: "drift"; id: number };

/**
 * A cheap summary of a state (O(number of tables)): the index, every replicated table's modify
 * index (REPLICA_SKIPPED_TABLES aside) and the node and alloc counts. Replica and agent compare it before each schedule, so a replica that
 * missed a restore is caught rather than trusted.
 */
export function replicaFingerprint(reader: StateReader): string {
  const parts = [String(reader.index), String(reader.nodeCount()), String(reader.allocCount())];
  for (const table of TABLES) {
    if (!REPLICA_SKIPPED_TABLES.has(table)) parts.push(String(reader.tableIndex(table)));
  }
  return parts.join(",");
}
