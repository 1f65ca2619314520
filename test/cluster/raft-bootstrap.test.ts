import { afterEach, describe, expect, it } from "vitest";
import { eventually, RaftCluster, type RaftProcess } from "./fixtures/raft-cluster.js";

/**
 * Bootstrap with a founder that never started, with real processes: the two others (both with
 * bootstrap-expect 3) found the cluster as a majority and elect; the missing one, started late,
 * joins and becomes a voter. In-process versions of the same scenarios: src/raft/raft-server.test.ts.
 */

let cluster: RaftCluster | undefined;

afterEach(async () => {
  await cluster?.cleanup();
  cluster = undefined;
});

async function voters(server: RaftProcess): Promise<string[]> {
  const reply = await server.request("config");
  const config = reply["config"] as { servers: Array<{ id: string; voter: boolean }> } | undefined;
  return (config?.servers ?? [])
    .filter((s) => s.voter)
    .map((s) => s.id)
    .sort();
}

describe("bootstrap with a founder missing (real processes)", () => {
  for (const missing of ["s1", "s2", "s3"]) {
    it(`elects a leader without ${missing}, then adds ${missing} as a voter when it starts`, async () => {
      const c = new RaftCluster({ multiplier: 0.5 });
      cluster = c;
      const servers = await c.startFounders(3, [missing]);
      const leader = await c.leader();
      const put = await leader.request("put", { key: "k", value: "v" });
      expect(put.ok, put.message).toBe(true);
      expect(await voters(leader)).toEqual(["s1", "s2", "s3"].filter((id) => id !== missing));

      const late = servers.find((s) => s.spec.id === missing) as RaftProcess;
      await late.start();
      await eventually(`${missing} is a voter`, 30_000, async () =>
        (await voters(await c.leader())).length === 3 ? true : undefined,
      );
      expect(late.events.find((e) => e["event"] === "started")?.["outcome"]).toBe("join");
      await eventually(`${missing} applied the write`, 30_000, async () =>
        (await late.status())?.count === 1 ? true : undefined,
      );
    });
  }
});
