import type { StateReader } from "../fsm/state-reader.js";
import type { Evaluation } from "../fsm/structs.js";
import { TABLES } from "../fsm/tables.js";
import type { ScheduleOptions, ScheduleResult } from "../scheduler/schedule-types.js";

/** Messages from the agent's thread to a scheduler thread. */
export type ThreadRequest =
  | { type: "init"; chunks: Uint8Array[] }
  | { type: "apply"; index: number; data: Uint8Array }
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

/** Messages from a scheduler thread back. */
export type ThreadResponse =
  | { type: "result"; id: number; result: ScheduleResult; snapshotIndex: number }
  | { type: "error"; id: number; message: string }
  /** The replica does not match the agent's state: the agent sends init again and retries. */
  | { type: "drift"; id: number };

/**
 * A cheap summary of a state (O(number of tables)): the index, every table's modify index and the
 * node and alloc counts. Replica and agent compare it before each schedule, so a replica that
 * missed a restore is caught rather than trusted.
 */
export function replicaFingerprint(reader: StateReader): string {
  const parts = [String(reader.index), String(reader.nodeCount()), String(reader.allocCount())];
  for (const table of TABLES) parts.push(String(reader.tableIndex(table)));
  return parts.join(",");
}
