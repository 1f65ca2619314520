/**
 * When a server takes a snapshot and compacts its log (pure; RaftNode feeds it and acts on it).
 *
 * Due once `thresholdEntries` entries were applied since the last snapshot AND the retained log
 * is at least as large as the last snapshot was AND the check interval has passed, or once the
 * log passes both `thresholdBytes` and the last snapshot's size. A snapshot costs the whole state
 * while the log costs what was written, so taking one only after the log has caught up with the
 * state keeps the snapshots' total cost within that of the log (Redis' AOF rewrite follows the
 * same rule) instead of rewriting a large state every few thousand writes: with a fixed byte
 * threshold, a state of 1M allocations (~700 MB) would be rewritten for every 64 MB of log. The
 * interval (as in Nomad and HashiCorp Raft) keeps a busy server from snapshotting every few
 * seconds: each one cost the write path its tail latency and ~10% of its throughput (bench/raft
 * at 64 outstanding); the byte rule bounds the log's disk between snapshots to about twice the
 * state. Memory does not depend on it: the log store keeps only its newest bytes in memory.
 */

export interface SnapshotPolicyOptions {
  /** Nomad's raft_snapshot_threshold (default 8192). */
  readonly thresholdEntries: number;
  /** The log's size (beyond the last snapshot's) that makes a snapshot due (default 64 MiB). */
  readonly thresholdBytes: number;
  /** Nomad's raft_snapshot_interval (default 120 s); 0 checks the entry threshold every time. */
  readonly intervalMs: number;
}

export interface SnapshotInputs {
  /** Entries applied since the last snapshot. */
  readonly entriesSince: number;
  /** Log bytes written since the last compaction (the trailing window kept behind it excluded). */
  readonly logBytes: number;
  /** Size of the last snapshot this server wrote (0 before its first). */
  readonly lastSnapshotBytes: number;
  /** Date.now(), and the time before which the entry threshold is not checked. */
  readonly now: number;
  readonly nextCheckAt: number;
}

export function snapshotDue(o: SnapshotPolicyOptions, i: SnapshotInputs): boolean {
  if (i.entriesSince <= 0) return false;
  if (i.logBytes >= Math.max(o.thresholdBytes, i.lastSnapshotBytes)) return true;
  return i.entriesSince >= o.thresholdEntries && i.logBytes >= i.lastSnapshotBytes && i.now >= i.nextCheckAt;
}

/**
 * When the entry threshold may next be checked, from `now`: each wait is drawn from
 * [interval, 2 × interval) (`random` in [0, 1)) so that servers, which reach the threshold at
 * about the same index, do not snapshot in step. 0 when the interval is 0 (always).
 */
export function nextSnapshotCheck(o: SnapshotPolicyOptions, now: number, random: number): number {
  return o.intervalMs <= 0 ? 0 : now + o.intervalMs * (1 + random);
}
