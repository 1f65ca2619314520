import type { Counter, Gauge, Histogram } from "prom-client";
import type { AgentMetrics } from "../common/metrics.js";

/** The Raft metrics the agent exports (drover_raft_*), registered on the agent's registry. */
export class RaftMetrics {
  readonly leader: Gauge;
  readonly term: Gauge;
  readonly commitIndex: Gauge;
  readonly appliedIndex: Gauge;
  readonly leaderChanges: Counter;
  /** From propose to applied on the proposing server (what a client waits for). */
  readonly commitSeconds: Histogram;
  /** Taking one snapshot: from the state machine's view to the file written and the log compacted. */
  readonly snapshotSeconds: Histogram;
  readonly snapshotBytes: Gauge;
  readonly snapshotInstalls: Counter;
  /** Bytes of log entries held since the last compaction (on disk). */
  readonly logBytes: Gauge;
  /** The part of those whose bytes are also in memory (the newest, up to logCacheBytes). */
  readonly logMemoryBytes: Gauge;
  readonly autopilotHealthy: Gauge;
  readonly autopilotFailureTolerance: Gauge;

  constructor(metrics: AgentMetrics) {
    this.leader = metrics.gauge("drover_raft_leader", "1 while this server is the Raft leader, else 0");
    this.term = metrics.gauge("drover_raft_term", "Current Raft term");
    this.commitIndex = metrics.gauge("drover_raft_commit_index", "Highest log index known committed");
    this.appliedIndex = metrics.gauge("drover_raft_applied_index", "Highest log index applied to the FSM");
    this.leaderChanges = metrics.counter(
      "drover_raft_leader_changes_total",
      "Times this server observed a new leader (or lost the known one)",
    );
    this.commitSeconds = metrics.histogram(
      "drover_raft_commit_seconds",
      "Seconds from proposal to applied, on the proposing server",
    );
    this.snapshotSeconds = metrics.histogram(
      "drover_raft_snapshot_seconds",
      "Seconds taking one Raft snapshot took (writing the state to disk and compacting the log)",
      [],
      [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    );
    this.snapshotBytes = metrics.gauge(
      "drover_raft_snapshot_bytes",
      "Size in bytes of the latest Raft snapshot this server took",
    );
    this.snapshotInstalls = metrics.counter(
      "drover_raft_snapshot_installs_total",
      "Snapshots received from the leader and installed in place of the state",
    );
    this.logBytes = metrics.gauge(
      "drover_raft_log_bytes",
      "Bytes of Raft log entries kept since the last compaction (on disk)",
    );
    this.logMemoryBytes = metrics.gauge(
      "drover_raft_log_memory_bytes",
      "Bytes of the newest Raft log entries also held in memory (older ones are read from disk)",
    );
    // Set by the leader each tick (as Nomad's autopilot gauges, meaningful on the leader only).
    this.autopilotHealthy = metrics.gauge(
      "drover_autopilot_healthy",
      "1 if autopilot sees every server healthy (set on the leader)",
    );
    this.autopilotFailureTolerance = metrics.gauge(
      "drover_autopilot_failure_tolerance",
      "Voters that may fail with a quorum of healthy voters left (set on the leader)",
    );
  }
}
