import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  drivePuts,
  eventually,
  RaftCluster,
  type RaftProcess,
  type Status,
} from "./fixtures/raft-cluster.js";

/**
 * Three real Raft server processes (raft-kv fixture: real driver, LevelDB, gRPC on loopback).
 * The scenarios run in order on one cluster: replication under concurrency, kill -9 of the
 * leader mid-stream, kill -9 of the whole cluster and restart from the data directories.
 */

let cluster: RaftCluster;
let servers: RaftProcess[];
const acknowledged: string[] = [];

beforeAll(async () => {
  cluster = new RaftCluster({ multiplier: 0.5, snapshotEntries: 4000, trailing: 500 });
  servers = await cluster.startFounders(3);
});

afterAll(async () => {
  await cluster.cleanup();
});

async function statuses(): Promise<Status[]> {
  const all = await Promise.all(cluster.running().map((s) => s.status()));
  return all.filter((s): s is Status => s !== undefined);
}

/** Waits until every running server applied `count` commands, then checks they agree on the order. */
async function expectSameOrder(count: number): Promise<Status[]> {
  const all = await eventually(`every server applied ${count} commands`, 60_000, async () => {
    const current = await statuses();
    return current.length === cluster.running().length && current.every((s) => s.count === count)
      ? current
      : undefined;
  });
  expect(new Set(all.map((s) => s.digest)).size).toBe(1);
  return all;
}

async function expectNothingLost(keys: readonly string[]): Promise<void> {
  const leader = await cluster.leader();
  for (let i = 0; i < keys.length; i += 2000) {
    const reply = await leader.request("missing", { keys: keys.slice(i, i + 2000) });
    expect(reply.ok, reply.message).toBe(true);
    expect(reply["missing"]).toEqual([]);
  }
}

describe("a 3-server Raft cluster of real processes", () => {
  it("elects one leader that every server follows", async () => {
    const leader = await cluster.leader();
    expect(servers.map((s) => s.spec.id)).toContain(leader.spec.id);
    const outcomes = servers.map((s) => s.events.find((e) => e["event"] === "started")?.["outcome"]);
    expect(outcomes).toContain("bootstrap");
  });

  it("applies 10,000 proposals from 64 concurrent callers in the same order on every server", async () => {
    const { acked, failed } = await drivePuts(cluster, 10_000, 64, "bulk");
    expect(failed).toBe(0);
    expect(acked).toHaveLength(10_000);
    acknowledged.push(...acked);
    const all = await expectSameOrder(10_000);
    // The thresholds were crossed: every server compacted its log at least once.
    expect(all.every((s) => s.snapshots.taken >= 1)).toBe(true);
  });

  it("loses no acknowledged proposal when the leader is killed with SIGKILL mid-stream", async () => {
    const oldLeader = await cluster.leader();
    const before = acknowledged.length;
    let killed = false;
    const run = drivePuts(cluster, 3000, 32, "failover", {
      onAck: (n) => {
        if (n === 500 && !killed) {
          killed = true;
          void oldLeader.kill9();
        }
      },
    });
    const { acked, failed } = await run;
    expect(killed).toBe(true);
    expect(failed).toBe(0);
    acknowledged.push(...acked);
    const newLeader = await cluster.leader();
    expect(newLeader.spec.id).not.toBe(oldLeader.spec.id);
    expect(acknowledged.length - before).toBe(3000);
    await expectNothingLost(acknowledged);

    // The old leader comes back from its data directory and catches up.
    await oldLeader.start();
    const leaderStatus = await newLeader.status();
    await eventually("the old leader caught up", 30_000, async () => {
      const s = await oldLeader.status();
      return s !== undefined && leaderStatus !== undefined && s.applied >= leaderStatus.applied
        ? s
        : undefined;
    });
  });

  it("restarts all three from their data directories after kill -9 of the whole cluster", async () => {
    const before = await statuses();
    const count = Math.max(...before.map((s) => s.count));
    await Promise.all(servers.map((s) => s.kill9()));
    await Promise.all(servers.map((s) => s.start()));
    const leader = await cluster.leader();
    const outcomes = servers.map((s) => s.events.filter((e) => e["event"] === "started").at(-1)?.["outcome"]);
    expect(outcomes).toEqual(["initialized", "initialized", "initialized"]);
    // A new write after the restart, then everything acknowledged is still there, in one order.
    const reply = await leader.request("put", { key: "after-restart", value: "1" });
    expect(reply.ok, reply.message).toBe(true);
    await expectSameOrder(count + 1);
    await expectNothingLost([...acknowledged, "after-restart"]);
  });
});
