import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  drivePuts,
  eventually,
  RaftCluster,
  type RaftProcess,
  type Status,
} from "./fixtures/raft-cluster.js";

/**
 * Real Raft server processes with a small compaction threshold: a cut-off follower that falls
 * behind the leader's compacted log catches up by snapshot; a 4th server joins and one is
 * removed while proposals flow.
 */

let cluster: RaftCluster;
let servers: RaftProcess[];
const acknowledged: string[] = [];

beforeAll(async () => {
  cluster = new RaftCluster({ multiplier: 0.5, snapshotEntries: 500, trailing: 100 });
  servers = await cluster.startFounders(3);
});

afterAll(async () => {
  await cluster.cleanup();
});

async function status(server: RaftProcess): Promise<Status> {
  const s = await server.status();
  if (s === undefined) throw new Error(`${server.spec.id} did not answer`);
  return s;
}

async function expectNothingLost(leader: RaftProcess, keys: readonly string[]): Promise<void> {
  const reply = await leader.request("missing", { keys });
  expect(reply.ok, reply.message).toBe(true);
  expect(reply["missing"]).toEqual([]);
}

describe("Raft membership and catch-up with real processes", () => {
  it("catches a cut-off follower up by snapshot once it is past the leader's compaction point", async () => {
    const leader = await cluster.leader();
    const follower = servers.find((s) => s !== leader) as RaftProcess;
    expect((await follower.request("isolate")).ok).toBe(true);

    const { acked, failed } = await drivePuts(cluster, 2000, 32, "behind");
    expect(failed).toBe(0);
    acknowledged.push(...acked);
    const leaderStatus = await status(leader);
    const behind = await status(follower);
    // The follower is missing entries the leader no longer has in its log: only a snapshot helps.
    expect(leaderStatus.snapshots.firstLogIndex).toBeGreaterThan(behind.applied + 1);

    expect((await follower.request("heal")).ok).toBe(true);
    const caughtUp = await eventually("the follower caught up", 30_000, async () => {
      const s = await status(follower);
      return s.count === leaderStatus.count ? s : undefined;
    });
    expect(caughtUp.snapshots.installed).toBeGreaterThanOrEqual(1);
    expect(caughtUp.digest).toBe(leaderStatus.digest);
  });

  it("adds a 4th server (learner, then voter) and removes another while proposals flow", async () => {
    const founders = [...servers];
    const s4 = await cluster.add("s4", 3, () => founders.map((s) => s.address));
    let stop = false;
    const load = drivePuts(cluster, 1_000_000, 16, "churn", { stopWhen: () => stop });

    await s4.start();
    const leader = await cluster.leader();
    await eventually("s4 is a voter", 60_000, async () => {
      const reply = await leader.request("config");
      const config = reply["config"] as { servers: Array<{ id: string; voter: boolean }> } | undefined;
      return config?.servers.some((s) => s.id === "s4" && s.voter) === true ? true : undefined;
    });
    expect(s4.events.find((e) => e["event"] === "started")?.["outcome"]).toBe("join");

    const victim = founders.find((s) => s !== leader) as RaftProcess;
    const removed = await leader.request("remove", { nodeId: victim.spec.id });
    expect(removed.ok, removed.message).toBe(true);
    await victim.stop();

    // Keep writing a little on the new configuration, then stop the load.
    const current = await cluster.leader();
    const mark = (await status(current)).count;
    await eventually("writes continue after the removal", 30_000, async () =>
      (await status(current)).count >= mark + 200 ? true : undefined,
    );
    stop = true;
    const { acked, failed } = await load;
    expect(failed).toBe(0);
    acknowledged.push(...acked);

    const reply = await current.request("config");
    const config = reply["config"] as { servers: Array<{ id: string; voter: boolean }> };
    expect(
      config.servers
        .filter((s) => s.voter)
        .map((s) => s.id)
        .sort(),
    ).toEqual(["s1", "s2", "s3", "s4"].filter((id) => id !== victim.spec.id));
    await expectNothingLost(current, acknowledged);
    const finalCount = (await status(current)).count;
    const members = cluster.running();
    const all = await eventually("every member applied everything", 30_000, async () => {
      const statuses = await Promise.all(members.map(status));
      return statuses.every((s) => s.count === finalCount) ? statuses : undefined;
    });
    expect(new Set(all.map((s) => s.digest)).size).toBe(1);
  });
});
