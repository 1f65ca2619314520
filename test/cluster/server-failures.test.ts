import { afterEach, describe, expect, it } from "vitest";
import { LocalCluster } from "../../src/cli/local-cluster.js";
import { NodeSimulator } from "../../src/client/node-sim/node-simulator.js";
import { silentLogger } from "../../src/common/log.js";
import {
  type AllocStub,
  allAllocs,
  converged,
  expectNoOvercommit,
  expectUniqueNames,
  live,
  serviceJob,
  submit,
  waitForAllocs,
} from "./scheduling-helpers.js";

// Failures with real processes: a client node that goes silent, and a leader killed with -9 while
// it schedules. Heartbeat TTLs are shortened with --min-heartbeat-ttl/--heartbeat-grace.
describe("server agent: failures", () => {
  let cluster: LocalCluster | undefined;
  let sim: NodeSimulator | undefined;

  afterEach(async () => {
    sim?.close();
    sim = undefined;
    await cluster?.stop();
    cluster = undefined;
  });

  it("a node that stops heartbeating is marked down after TTL + grace and its allocs are replaced elsewhere", async () => {
    const c = await LocalCluster.start({
      servers: 3,
      extraArgs: ["--min-heartbeat-ttl", "1s", "--heartbeat-grace", "1s"],
    });
    cluster = c;
    const leader = await c.waitForLeader(60_000);
    sim = new NodeSimulator({
      servers: c.rpcAddresses(),
      logger: silentLogger(),
      namePrefix: "hb",
      cpuMhz: 1000,
    });
    await sim.addNodes(4);
    await submit(c, leader, serviceJob("hb", 8, 100, 64));
    const before = await waitForAllocs(c, (a) => converged(a, ["hb"], 8), 60_000, "hb converges");
    const victim = (before.find((a) => a.JobID === "hb" && live(a)) as AllocStub).NodeID;
    const victimAllocs = before.filter((a) => a.NodeID === victim && live(a)).map((a) => a.ID);
    expect(victimAllocs.length).toBeGreaterThan(0);
    const silencedAt = Date.now();
    sim.silence(victim);

    // Down within the TTL (≤ 2 × min TTL with the stagger) + grace, plus scheduling slack.
    // Blocking queries: each read answers once the node table moves past the last one seen.
    const deadline = Date.now() + 30_000;
    let status = "";
    let nodeIndex = 0;
    while (Date.now() < deadline) {
      const waitMs = Math.max(1, Math.min(5_000, deadline - Date.now()));
      const node = await c.http<{ Status: string }>(
        await c.waitForLeader(),
        "GET",
        `/v1/node/${victim}?index=${nodeIndex}&wait=${waitMs}ms`,
      );
      status = node.body.Status;
      nodeIndex = node.index;
      if (status === "down") break;
    }
    expect(status).toBe("down");
    expect(Date.now() - silencedAt).toBeGreaterThanOrEqual(1_000);

    const after = await waitForAllocs(
      c,
      (a) =>
        converged(a, ["hb"], 8) &&
        a.filter((x) => x.JobID === "hb" && live(x)).every((x) => x.NodeID !== victim) &&
        victimAllocs.every((id) => a.find((x) => x.ID === id)?.ClientStatus === "lost"),
      60_000,
      "allocs of the down node replaced",
    );
    const hb = after.filter((a) => a.JobID === "hb");
    expectUniqueNames(hb);
    expectNoOvercommit(hb, 100, 1000);
  });

  it("the leader is killed mid-scheduling: every job still converges, with no duplicate allocation names", async () => {
    const c = await LocalCluster.start({ servers: 3, extraArgs: ["--num-schedulers", "2"] });
    cluster = c;
    const leader = await c.waitForLeader(60_000);
    sim = new NodeSimulator({
      servers: c.rpcAddresses(),
      logger: silentLogger(),
      namePrefix: "kill",
      cpuMhz: 4000,
    });
    await sim.addNodes(25);
    const jobIds = Array.from({ length: 20 }, (_, i) => `kill-${i}`);
    const follower = c.servers.find((s) => s !== leader);
    if (follower === undefined) throw new Error("no follower");
    // Submit through a follower (forwarded), and kill the leader while evals are in flight.
    const submissions = jobIds.map((id) => submit(c, follower, serviceJob(id, 20, 100, 64)));
    await Promise.all(submissions.slice(0, 10));
    await c.kill(leader.name, "SIGKILL");
    await Promise.all(submissions.slice(10));
    const newLeader = await c.waitForLeader(60_000);
    expect(newLeader.name).not.toBe(leader.name);
    const allocs = await waitForAllocs(
      c,
      (a) => converged(a, jobIds, 20),
      180_000,
      "jobs converge after leader kill",
    );
    const mine = allocs.filter((a) => a.JobID.startsWith("kill-"));
    expectUniqueNames(mine);
    expectNoOvercommit(mine, 100, 4000);
    // The killed server comes back with its data and catches up.
    await c.restart(leader.name);
    await c.waitForLeader(60_000);
    // Stale blocking queries against the restarted server: each answers once its alloc table moves
    // past the last one seen; only while it is not up yet does the loop pause between attempts.
    const deadline = Date.now() + 60_000;
    let seen = 0;
    let allocIndex = 0;
    while (Date.now() < deadline) {
      const waitMs = Math.max(1, Math.min(5_000, deadline - Date.now()));
      const res = await c
        .http<AllocStub[]>(
          c.server(leader.name),
          "GET",
          `/v1/allocations?stale&index=${allocIndex}&wait=${waitMs}ms`,
        )
        .catch(() => undefined);
      if (res === undefined || res.status !== 200) {
        await new Promise((r) => setTimeout(r, 250));
        continue;
      }
      allocIndex = res.index;
      seen = res.body.filter((a) => a.JobID.startsWith("kill-") && live(a)).length;
      if (seen === 400) break;
    }
    expect(seen).toBe(400);
    expect((await allAllocs(c)).filter((a) => a.JobID.startsWith("kill-") && live(a))).toHaveLength(400);
  });
});
