import { afterEach, describe, expect, it } from "vitest";
import { eventually, RaftCluster, type RaftProcess } from "./fixtures/raft-cluster.js";

/**
 * Autopilot with real processes (raft-kv fixture: contact threshold 500 ms, stabilization
 * 1 s, dead-server cleanup on): a killed server is removed once unreachable for longer than
 * both, and added back when it returns; killing a majority removes nothing.
 */

let cluster: RaftCluster | undefined;

afterEach(async () => {
  await cluster?.cleanup();
  cluster = undefined;
});

interface Health {
  healthy: boolean;
  failureTolerance: number;
  servers: Array<{ id: string; voter: boolean; healthy: boolean; leader: boolean }>;
}

async function config(server: RaftProcess): Promise<Array<{ id: string; voter: boolean }>> {
  const reply = await server.request("config");
  expect(reply.ok, reply.message).toBe(true);
  return (reply["config"] as { servers: Array<{ id: string; voter: boolean }> }).servers;
}

const DEAD_AFTER_MS = 500 + 1000;

describe("autopilot (real processes)", () => {
  it("removes a killed voter after threshold + stabilization, and re-adds it when it returns", async () => {
    const c = new RaftCluster({ multiplier: 0.5, cleanupDeadServers: true, stabilizationMs: 1000 });
    cluster = c;
    const servers = await c.startFounders(3);
    const leader = await c.leader();
    const health = await eventually("every server healthy", 30_000, async () => {
      const reply = await leader.request("health");
      const h = reply["health"] as Health | undefined;
      return h?.healthy === true ? h : undefined;
    });
    expect(health.failureTolerance).toBe(1);
    expect(health.servers.map((s) => s.id).sort()).toEqual(["s1", "s2", "s3"]);

    const victim = servers.find((s) => s !== leader) as RaftProcess;
    const killedAt = Date.now();
    await victim.kill9();
    await eventually(`${victim.spec.id} removed`, 60_000, async () =>
      (await config(leader)).some((s) => s.id === victim.spec.id) ? undefined : true,
    );
    // Not before it had been silent for threshold + stabilization (less the heartbeat it may
    // have missed before the kill).
    expect(Date.now() - killedAt).toBeGreaterThanOrEqual(DEAD_AFTER_MS - 200);
    const put = await leader.request("put", { key: "after-removal", value: "1" });
    expect(put.ok, put.message).toBe(true);

    // Back on its data directory and port: it finds itself dropped and asks to be added again.
    await victim.start();
    // Once back in the configuration it stays there: its silence while it was down belongs to
    // its previous membership and must not get it removed again as soon as it is added.
    let back = false;
    await eventually(`${victim.spec.id} a voter again`, 60_000, async () => {
      const current = await c.leader();
      const entry = (await config(current)).find((s) => s.id === victim.spec.id);
      if (back) expect(entry, `${victim.spec.id} removed again after it was re-added`).toBeDefined();
      back ||= entry !== undefined;
      return entry?.voter === true ? true : undefined;
    });
    await eventually(`${victim.spec.id} caught up`, 30_000, async () =>
      (await victim.status())?.count === 1 ? true : undefined,
    );
  });

  it("removes nothing when a majority (2 of 3) is killed, and the cluster recovers whole", async () => {
    const c = new RaftCluster({ multiplier: 0.5, cleanupDeadServers: true, stabilizationMs: 1000 });
    cluster = c;
    const servers = await c.startFounders(3);
    const leader = await c.leader();
    const victims = servers.filter((s) => s !== leader);
    await Promise.all(victims.map((s) => s.kill9()));
    // Wait (on the clock, the condition here) well past the point where a lone dead voter
    // would have been removed.
    const since = Date.now();
    await eventually("three times the removal delay", 60_000, async () =>
      Date.now() - since > 3 * DEAD_AFTER_MS ? true : undefined,
    );
    expect((await config(leader)).map((s) => s.id).sort()).toEqual(["s1", "s2", "s3"]);

    await Promise.all(victims.map((s) => s.start()));
    const next = await c.leader();
    expect(
      (await config(next))
        .filter((s) => s.voter)
        .map((s) => s.id)
        .sort(),
    ).toEqual(["s1", "s2", "s3"]);
  });
});
