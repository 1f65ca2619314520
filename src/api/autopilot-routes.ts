import { DROVER_VERSION } from "../common/version.js";
import type { Handler } from "./http-server.js";
import type { Router } from "./router.js";

/** One server as autopilot on the leader sees it (the RaftOperator service's message). */
export interface AutopilotServerView {
  readonly id: string;
  readonly address: string;
  readonly voter: boolean;
  readonly leader: boolean;
  readonly lastContactMs: number;
  readonly lastIndex: number;
  readonly lastTerm: number;
  readonly healthy: boolean;
  /** Unix ms (the leader's clock). */
  readonly stableSinceMs: number;
}

/** What a server agent offers the autopilot routes (ServerAgent implements it). */
export interface AutopilotServer {
  /** The leader's view, forwarded by a follower. */
  autopilotHealth(): Promise<{
    readonly healthy: boolean;
    readonly failureTolerance: number;
    readonly servers: readonly AutopilotServerView[];
  }>;
  autopilotConfiguration(): {
    readonly cleanupDeadServers: boolean;
    readonly lastContactThresholdMs: number;
    readonly serverStabilizationTimeMs: number;
    readonly maxTrailingLogs: number;
    readonly minQuorum: number;
  };
}

/** A Go-style duration string, as Nomad writes LastContactThreshold ("200ms", "10s", "1m30s"). */
function goDuration(ms: number): string {
  if (ms === 0) return "0s";
  if (ms < 1000) return `${ms}ms`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = (ms % 60_000) / 1000;
  return `${minutes > 0 ? `${minutes}m` : ""}${seconds > 0 || minutes === 0 ? `${seconds}s` : ""}`;
}

/**
 * Nomad's `/v1/operator/autopilot/*` read routes. The configuration is the agent's own (its
 * `server { autopilot { … } }` block): Drover does not replicate it through Raft, so there is no
 * PUT; set it in every server's configuration file.
 */
export function addAutopilotRoutes(router: Router<Handler>, server: AutopilotServer): Router<Handler> {
  router.add("GET", "/v1/operator/autopilot/health", async () => {
    const health = await server.autopilotHealth();
    return {
      body: {
        Healthy: health.healthy,
        FailureTolerance: health.failureTolerance,
        Servers: health.servers.map((s) => ({
          ID: s.id,
          Name: s.id,
          Address: s.address,
          // Drover has no gossip layer: "alive" while the leader hears from it, as Serf would say.
          SerfStatus: s.healthy || s.leader ? "alive" : "failed",
          // Drover gossips no versions: every server is assumed to run this agent's.
          Version: DROVER_VERSION,
          Leader: s.leader,
          // Nanoseconds, as Go's time.Duration in Nomad's JSON.
          LastContact: Math.round(s.lastContactMs * 1e6),
          LastTerm: s.lastTerm,
          LastIndex: s.lastIndex,
          Healthy: s.healthy,
          Voter: s.voter,
          StableSince: new Date(s.stableSinceMs).toISOString(),
        })),
      },
    };
  });

  router.add("GET", "/v1/operator/autopilot/configuration", async () => {
    const c = server.autopilotConfiguration();
    return {
      body: {
        CleanupDeadServers: c.cleanupDeadServers,
        LastContactThreshold: goDuration(c.lastContactThresholdMs),
        MaxTrailingLogs: c.maxTrailingLogs,
        MinQuorum: c.minQuorum,
        ServerStabilizationTime: goDuration(c.serverStabilizationTimeMs),
        EnableRedundancyZones: false,
        DisableUpgradeMigration: false,
        EnableCustomUpgrades: false,
      },
    };
  });
  return router;
}
