import type { LogIndex, RaftId } from "./core/types.js";

/**
 * Autopilot (Consul's and Nomad's): the leader watches every server's last contact and log lag,
 * promotes a learner once it has been healthy for a while, and removes voters that have been
 * unreachable for long enough, never so many that the rest could not form a quorum.
 *
 * This module is the decision only: a pure function of observations and `now` (the driver,
 * raft-node.ts, feeds it from its progress tracker and its own record of when each peer last
 * answered, and carries out what it decides, one membership change at a time).
 */

export interface AutopilotConfig {
  /** Remove voters unreachable for longer than lastContactThreshold + serverStabilizationTime. */
  readonly cleanupDeadServers: boolean;
  /** A server is healthy only if the leader heard from it within this long. */
  readonly lastContactThresholdMs: number;
  /**
   * How long a learner must stay healthy before it is promoted, and how long a voter must have
   * been unreachable (beyond the threshold) before it is removed.
   */
  readonly serverStabilizationTimeMs: number;
  /** A server is healthy only if its log is at most this many entries behind the leader's. */
  readonly maxTrailingLogs: number;
  /**
   * Never remove a voter if fewer than this many voters would remain (Nomad's min_quorum). The
   * agent defaults it to a majority of bootstrap_expect.
   */
  readonly minQuorum: number;
}

export const DEFAULT_AUTOPILOT_CONFIG: AutopilotConfig = {
  cleanupDeadServers: true,
  lastContactThresholdMs: 200,
  serverStabilizationTimeMs: 10_000,
  maxTrailingLogs: 250,
  minQuorum: 0,
};

/** What the leader knows of one server in its configuration at one moment. */
export interface ServerObservation {
  readonly id: RaftId;
  readonly address: string;
  readonly voter: boolean;
  readonly leader: boolean;
  /** Milliseconds since the leader last heard from it (0 for the leader itself). */
  readonly lastContactMs: number;
  /** Its last log index as the leader knows it (the leader: its own last index). */
  readonly lastIndex: LogIndex;
}

export interface ServerHealth extends ServerObservation {
  readonly healthy: boolean;
  /** When (ms, the caller's clock) `healthy` last changed, or it was first observed. */
  readonly stableSinceMs: number;
}

export interface ClusterHealth {
  /** Every server is healthy. */
  readonly healthy: boolean;
  /** How many voters may fail with a quorum of healthy voters left (never below 0). */
  readonly failureTolerance: number;
  readonly servers: readonly ServerHealth[];
}

export type AutopilotAction =
  | { readonly kind: "promote"; readonly id: RaftId; readonly reason: string }
  | { readonly kind: "remove"; readonly id: RaftId; readonly reason: string };

export class Autopilot {
  private readonly stable = new Map<RaftId, { healthy: boolean; since: number }>();
  private last: ClusterHealth | undefined;

  constructor(private config: AutopilotConfig) {}

  get configuration(): AutopilotConfig {
    return this.config;
  }

  setConfiguration(config: AutopilotConfig): void {
    this.config = config;
  }

  /** Forgets everything observed (a new leadership term: history starts with it). */
  reset(): void {
    this.stable.clear();
    this.last = undefined;
  }

  /** The last health computed by `observe`, if any. */
  health(): ClusterHealth | undefined {
    return this.last;
  }

  /** Records one observation of every server in the configuration; returns the cluster's health. */
  observe(now: number, observations: readonly ServerObservation[]): ClusterHealth {
    const leader = observations.find((o) => o.leader);
    const leaderIndex = leader?.lastIndex ?? 0;
    const seen = new Set<RaftId>();
    const servers = observations.map((o): ServerHealth => {
      seen.add(o.id);
      const healthy =
        o.leader ||
        (o.lastContactMs <= this.config.lastContactThresholdMs &&
          leaderIndex - o.lastIndex <= this.config.maxTrailingLogs);
      const previous = this.stable.get(o.id);
      const record =
        previous === undefined || previous.healthy !== healthy ? { healthy, since: now } : previous;
      this.stable.set(o.id, record);
      return { ...o, healthy, stableSinceMs: record.since };
    });
    for (const id of [...this.stable.keys()]) if (!seen.has(id)) this.stable.delete(id);
    const voters = servers.filter((s) => s.voter);
    const healthyVoters = voters.filter((s) => s.healthy).length;
    const quorum = Math.floor(voters.length / 2) + 1;
    this.last = {
      healthy: servers.every((s) => s.healthy),
      failureTolerance: Math.max(0, healthyVoters - quorum),
      servers,
    };
    return this.last;
  }

  /**
   * The one membership change to make now, if any, from the last observation. Removals come
   * first (a dead voter counts against the quorum), then promotions.
   */
  decide(now: number): AutopilotAction | undefined {
    const health = this.last;
    if (health === undefined) return undefined;
    return this.removal(health) ?? this.promotion(health, now);
  }

  private removal(health: ClusterHealth): AutopilotAction | undefined {
    if (!this.config.cleanupDeadServers) return undefined;
    const deadAfter = this.config.lastContactThresholdMs + this.config.serverStabilizationTimeMs;
    const dead = health.servers.filter((s) => !s.leader && s.lastContactMs > deadAfter);
    // A dead learner holds no vote: removing it never endangers the quorum.
    const learner = dead.find((s) => !s.voter);
    if (learner !== undefined) {
      return {
        kind: "remove",
        id: learner.id,
        reason: `learner unreachable for ${learner.lastContactMs} ms`,
      };
    }
    const voters = health.servers.filter((s) => s.voter).length;
    const deadVoters = dead.filter((s) => s.voter);
    const victim = deadVoters[0];
    if (victim === undefined) return undefined;
    // Consul's rule: never remove more than (voters - 1) / 2 failed voters — if more than that
    // failed, the failure is more likely on our side (or the cluster is about to lose its
    // quorum anyway) and the operator must decide. And never below the minimum quorum.
    if (deadVoters.length > Math.floor((voters - 1) / 2)) return undefined;
    if (voters - 1 < Math.max(this.config.minQuorum, 1)) return undefined;
    // And the voters left must include a quorum of healthy ones (a lagging voter is not dead,
    // but it cannot be counted on either).
    const healthyVoters = health.servers.filter((s) => s.voter && s.healthy).length;
    if (healthyVoters < Math.floor((voters - 1) / 2) + 1) return undefined;
    return { kind: "remove", id: victim.id, reason: `voter unreachable for ${victim.lastContactMs} ms` };
  }

  private promotion(health: ClusterHealth, now: number): AutopilotAction | undefined {
    const ready = health.servers.find(
      (s) => !s.voter && s.healthy && now - s.stableSinceMs >= this.config.serverStabilizationTimeMs,
    );
    if (ready === undefined) return undefined;
    return {
      kind: "promote",
      id: ready.id,
      reason: `healthy for ${now - ready.stableSinceMs} ms`,
    };
  }
}
