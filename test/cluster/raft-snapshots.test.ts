import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalCluster, type ServerProcess } from "../../src/cli/local-cluster.js";
import { eventually } from "./fixtures/raft-cluster.js";

/**
 * Raft snapshots of real server agents. Their FSM keeps its state in LevelDB, so compacting the
 * Raft log writes no snapshot file: a follower that fell behind the compacted log is sent one
 * made for it at the leader's applied index, and every server restarts from its own FSM.
 */
describe("Raft snapshots of server agents", () => {
  let cluster: LocalCluster;
  let configDir: string;

  beforeAll(async () => {
    configDir = await mkdtemp(join(tmpdir(), "drover-snapshots-config-"));
    const config = join(configDir, "server.hcl");
    // Compact every 20 entries, keeping 5 behind: a few dozen writes leave a stopped follower
    // behind the leader's log.
    await writeFile(
      config,
      'server {\n  raft_snapshot_threshold = 20\n  raft_snapshot_interval = "0s"\n  raft_trailing_logs = 5\n}\n',
    );
    cluster = await LocalCluster.start({ servers: 3, extraArgs: ["--config", config] });
    await cluster.waitForLeader(60_000);
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
    await rm(configDir, { recursive: true, force: true });
  });

  const metric = async (server: ServerProcess, name: string): Promise<number> => {
    const text = await (await cluster.fetch(`${server.httpUrl}/v1/metrics?format=prometheus`)).text();
    const match = new RegExp(`^${name}\\{agent="${server.name}"\\} (\\S+)`, "m").exec(text);
    return match === null ? 0 : Number(match[1]);
  };

  const write = async (leader: ServerProcess, i: number): Promise<void> => {
    const put = await cluster.http(leader, "PUT", `/v1/var/snapshots/v${i}`, { Items: { i: String(i) } });
    expect(put.status).toBe(200);
  };

  const hasVariable = async (server: ServerProcess, i: number): Promise<boolean> => {
    const read = await cluster
      .http<{ Items: { i: string } }>(server, "GET", `/v1/var/snapshots/v${i}?stale`)
      .catch(() => undefined);
    return read?.status === 200 && read.body.Items.i === String(i);
  };

  it("sends a follower behind the compacted log a snapshot made for it, and it catches up", async () => {
    const leader = await cluster.waitForLeader(60_000);
    const follower = cluster.servers.find((s) => s.name !== leader.name) as ServerProcess;
    // Compactions counted before the kill: the cluster's own start-up entries may have caused one
    // already, and one may be under way; neither need cover anything the follower lacks.
    const compactedBefore = await metric(leader, "drover_raft_snapshot_seconds_count");
    await cluster.kill(follower.name, "SIGKILL");
    // A compaction starts 20 entries after the previous one and keeps 5 behind. Of those that end
    // after the kill, the first may have started before it and the second just after it; the third
    // started at least 20 entries past the follower's last one and compacted beyond it. Writes
    // go on in batches until it has ended, so a slow compaction never runs out of entries.
    let written = 0;
    await eventually("the leader compacted its log past the stopped follower", 60_000, async () => {
      for (const end = written + 20; written < end; written++) await write(leader, written);
      const compacted = await metric(leader, "drover_raft_snapshot_seconds_count");
      return written >= 60 && compacted >= compactedBefore + 3 ? true : undefined;
    });
    const last = written - 1;
    // The leader wrote no snapshot file to compact: its FSM holds the state.
    expect(await readdir(join(leader.dataDir, "raft", "raft", "snapshots"))).toEqual([]);

    await cluster.restart(follower.name);
    const back = cluster.server(follower.name);
    await eventually(`${follower.name} has the last write`, 60_000, async () =>
      (await hasVariable(back, last)) ? true : undefined,
    );
    expect(await metric(back, "drover_raft_snapshot_installs_total")).toBeGreaterThanOrEqual(1);
    for (const i of [0, 30, 58]) expect(await hasVariable(back, i)).toBe(true);
    // The leader made a file for the follower (kept for the next peer while the log continues it).
    expect((await readdir(join(leader.dataDir, "raft", "raft", "snapshots"))).length).toBeLessThanOrEqual(1);
  });

  it("brings every server back from its own FSM after all of them stop", async () => {
    const leader = await cluster.waitForLeader(60_000);
    for (let i = 60; i < 90; i++) await write(leader, i);
    for (const server of cluster.servers) await cluster.kill(server.name, "SIGKILL");
    for (const server of cluster.servers) await cluster.restart(server.name);
    await cluster.waitForLeader(60_000);
    for (const server of cluster.servers) {
      await eventually(`${server.name} has every write`, 60_000, async () =>
        (await hasVariable(cluster.server(server.name), 89)) ? true : undefined,
      );
      for (const i of [1, 45, 75]) expect(await hasVariable(cluster.server(server.name), i)).toBe(true);
    }
  });
});
