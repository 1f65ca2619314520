/**
 * The history a chaos run records and the linearizability checker reads, in the shape Jepsen and
 * Porcupine use: every operation is an `invoke` event followed by exactly one completion (`ok`,
 * `fail` or `info`) from the same process, or by nothing if the run ended first (treated as
 * `info`). A process has at most one operation outstanding, so pairing needs no operation ids.
 *
 * `info` means "we do not know whether it took effect" (timeout, connection reset): the checker
 * must allow it to have taken effect at any point after its invocation, or never.
 *
 * Variables are modelled as one register per key whose value is a string, or null when absent.
 * Every write in a run writes a value never written before, so "the modify index read earlier is
 * still current" (Nomad's `?cas=<index>`) is the same as "the value read earlier is still current".
 */
export type EventType = "invoke" | "ok" | "fail" | "info";

export type RegisterOp =
  /** invoke: value unused; ok: value is what was read (null: absent). */
  | { f: "read"; key: string; value: string | null }
  /** invoke and ok: the value written. */
  | { f: "write"; key: string; value: string }
  /** Compare-and-set: succeeds only if the current value is `expect` (null: only if absent). */
  | { f: "cas"; key: string; expect: string | null; value: string }
  /** Delete: the key becomes absent. */
  | { f: "delete"; key: string };

export interface HistoryEvent {
  /** The client that issued the operation; one outstanding operation per process. */
  process: number;
  type: EventType;
  op: RegisterOp;
  /** Monotonic nanoseconds (process.hrtime.bigint() as a number of ns since the run began). */
  time: number;
  /** The server the request went to, for the report. */
  server?: string;
  /** Why a fail/info happened, for the report. */
  error?: string;
}
