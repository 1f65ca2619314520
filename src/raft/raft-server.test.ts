import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import { KvStateMachine } from "../../test/cluster/fixtures/raft-kv-state-machine.js";
import { NotLeaderError } from "../common/errors.js";
import { createLogger, silentLogger } from "../common/log.js";
import { AgentMetrics } from "../common/metrics.js";
import { raftChannelOptions } from "./grpc-transport.js";
import { type RaftServer, type RaftServerOptions, startRaftServer } from "./raft-server.js";

/**
 * Three real servers in one process (real LevelDB, real gRPC on loopback): the driver, transport,
 * discovery and operator service working together. Multi-process crash tests live in
 * test/cluster/raft-*.test.ts.
 */

interface Member {
  id: string;
  address: string;
  grpcServer: grpc.Server;
  fsm: KvStateMachine;
  raft: RaftServer | undefined;
  dir: string;
}

const members: Member[] = [];
afterEach(async () => {
  for (const m of members.splice(0)) {
    await m.raft?.stop();
    m.grpcServer.forceShutdown();
    rmSync(m.dir, { recursive: true, force: true });
  }
});

async function member(id: string): Promise<Member> {
  const grpcServer = new grpc.Server(raftChannelOptions());
  const port = await new Promise<number>((resolve, reject) =>
    grpcServer.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error === null ? resolve(bound) : reject(error),
    ),
  );
  const m: Member = {
    id,
    address: `127.0.0.1:${port}`,
    grpcServer,
    fsm: new KvStateMachine(),
    raft: undefined,
    dir: mkdtempSync(join(tmpdir(), `drover-raft-${id}-`)),
  };
  members.push(m);
  return m;
}

async function start(
  m: Member,
  join: readonly string[],
  bootstrapExpect: number,
  overrides: Partial<RaftServerOptions> = {},
): Promise<RaftServer> {
  m.raft = await startRaftServer({
    id: m.id,
    address: m.address,
    dataDir: m.dir,
    stateMachine: m.fsm,
    grpcServer: m.grpcServer,
    bootstrapExpect,
    join,
    log: process.env["RAFT_TEST_LOG"] === undefined ? silentLogger() : createLogger(m.id),
    raftMultiplier: 0.3,
    snapshotThresholdEntries: 100,
    snapshotIntervalMs: 0,
    trailingLogs: 10,
    // Three servers share one event loop here: a generous contact threshold; a short
    // stabilization so that a joining server is promoted within the test's patience.
    autopilot: {
      cleanupDeadServers: false,
      lastContactThresholdMs: 1_000,
      serverStabilizationTimeMs: 500,
      maxTrailingLogs: 250,
      minQuorum: 2,
    },
    ...overrides,
  });
  return m.raft;
}

async function eventually<T>(what: string, probe: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const put = (key: string, value: string): Uint8Array => Buffer.from(JSON.stringify({ key, value }));

describe("RaftServer (3 in one process)", () => {
  it("forms one cluster, replicates in order, serves linearizable reads, compacts and transfers leadership", async () => {
    const ms = await Promise.all(["s1", "s2", "s3"].map(member));
    const addresses = ms.map((m) => m.address);
    const rafts = await Promise.all(ms.map((m) => start(m, addresses, 3)));
    // Founders bootstrap; one that finds the cluster already formed and listing it just starts.
    const kinds = rafts.map((r) => r.outcome.kind);
    expect(kinds).toContain("bootstrap");
    expect(kinds.every((k) => k === "bootstrap" || k === "member")).toBe(true);
    const leader = await eventually("a leader", () => rafts.find((r) => r.node.isLeader()));
    const follower = rafts.find((r) => !r.node.isLeader());
    if (follower === undefined) throw new Error("no follower");

    await expect(follower.node.propose(put("x", "1"))).rejects.toBeInstanceOf(NotLeaderError);

    const results = await Promise.all(
      Array.from({ length: 300 }, (_, i) => leader.node.propose(put(`k${i % 50}`, String(i)))),
    );
    const counts = results.map((r) => (r as { count: number }).count).sort((a, b) => a - b);
    expect(counts).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));

    const readIndex = await leader.node.readBarrier();
    expect(readIndex).toBeGreaterThanOrEqual((results[299] as { index: number }).index);

    await eventually("all servers applied 300", () =>
      ms.every((m) => m.fsm.summary().count === 300) ? true : undefined,
    );
    const digests = new Set(ms.map((m) => m.fsm.summary().digest));
    expect(digests.size).toBe(1);

    const next = await leader.node.transferLeadership();
    expect(next).not.toBe(leader.node.id);
    const newLeader = rafts.find((r) => r.node.id === next);
    await eventually("new leader", () => (newLeader?.node.isLeader() ? true : undefined));
    const after = (await newLeader?.node.propose(put("after", "transfer"))) as { count: number };
    expect(after.count).toBe(301);
  });

  it("checks the entry threshold once per snapshot interval, but the byte threshold after every apply", async () => {
    const registries = new Map<string, AgentMetrics>();
    async function cluster(ids: readonly string[], overrides: Partial<RaftServerOptions>) {
      const ms = await Promise.all(ids.map(member));
      const addresses = ms.map((m) => m.address);
      const rafts = await Promise.all(
        ms.map((m) => {
          const metrics = new AgentMetrics(m.id, { processMetrics: false });
          registries.set(m.id, metrics);
          return start(m, addresses, 3, { ...overrides, metrics });
        }),
      );
      const leader = await eventually("a leader", () => rafts.find((r) => r.node.isLeader()));
      await Promise.all(Array.from({ length: 300 }, (_, i) => leader.node.propose(put(`k${i}`, "v"))));
      await eventually("all servers applied 300", () =>
        ms.every((m) => m.fsm.summary().count === 300) ? true : undefined,
      );
      return rafts;
    }
    // An interval no test outlives: 300 entries pass the 100-entry threshold, yet nothing is taken.
    const patient = await cluster(["s1", "s2", "s3"], { snapshotIntervalMs: 600_000 });
    expect(patient.map((r) => r.node.snapshotStats().taken)).toEqual([0, 0, 0]);
    // The same interval with a small byte threshold: the log's size forces snapshots.
    const bounded = await cluster(["s4", "s5", "s6"], {
      snapshotIntervalMs: 600_000,
      snapshotThresholdBytes: 4096,
    });
    // A follower that lags behind the leader's compaction is sent the leader's snapshot instead of
    // the entries, and may then hold too little log to take one of its own: either way its log was
    // compacted because of its size.
    await eventually("every server compacted its log", () =>
      bounded.every((r) => {
        const stats = r.node.snapshotStats();
        return stats.taken + stats.installed > 0 && stats.firstLogIndex > 1;
      })
        ? true
        : undefined,
    );
    const leader = bounded.find((r) => r.node.isLeader());
    expect(leader?.node.snapshotStats().taken).toBeGreaterThan(0);
    // The snapshot series say the same as the node's own counts.
    const sample = async (id: string, name: string): Promise<number | undefined> => {
      const text = (await registries.get(id)?.text()) ?? "";
      const match = new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, "m").exec(text);
      return match === null ? undefined : Number(match[1]);
    };
    // A follower may still be finishing a snapshot: compare once the node's counts stop moving.
    for (const r of bounded) {
      const deadline = Date.now() + 20_000;
      for (;;) {
        const stats = r.node.snapshotStats();
        const seen = {
          installed: await sample(r.node.id, "drover_raft_snapshot_installs_total"),
          taken: await sample(r.node.id, "drover_raft_snapshot_seconds_count"),
          bytes: await sample(r.node.id, "drover_raft_snapshot_bytes"),
        };
        const same = r.node.snapshotStats();
        if (same.taken === stats.taken && same.installed === stats.installed) {
          expect(seen.installed).toBe(stats.installed);
          expect(seen.taken).toBe(stats.taken);
          if (stats.taken > 0) expect(seen.bytes).toBeGreaterThan(0);
          break;
        }
        if (Date.now() > deadline) throw new Error(`${r.node.id}: snapshot counts never settled`);
      }
    }
  });

  it("removes the leader itself: it hands leadership over first, then the new leader removes it", async () => {
    const ms = await Promise.all(["s1", "s2", "s3"].map(member));
    const addresses = ms.map((m) => m.address);
    const rafts = await Promise.all(ms.map((m) => start(m, addresses, 3)));
    const leader = await eventually("a leader", () => rafts.find((r) => r.node.isLeader()));
    await leader.node.propose(put("before", "1"));

    const refusal = await leader.node.removeServer(leader.node.id).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(NotLeaderError);
    const successorId = (refusal as NotLeaderError).leaderId;
    const successor = rafts.find((r) => r.node.id === successorId);
    if (successor === undefined) throw new Error("no successor named");
    await successor.node.removeServer(leader.node.id);
    expect(
      successor.node
        .configuration()
        .servers.map((s) => s.id)
        .sort(),
    ).toEqual(["s1", "s2", "s3"].filter((id) => id !== leader.node.id));
    const result = (await successor.node.propose(put("after", "2"))) as { count: number };
    expect(result.count).toBe(2);
  });

  // A founder that never starts: its port is bound (so nothing else can take it) but serves
  // nothing, exactly like a server that has not started yet. Whoever is missing, the other two
  // found the cluster with the majority rule, elect, and the late founder joins as a voter.
  for (const missing of ["s1", "s2", "s3"]) {
    it(`elects a leader with founder ${missing} missing, and adds it as a voter when it starts late`, async () => {
      const ms = await Promise.all(["s1", "s2", "s3"].map(member));
      const addresses = ms.map((m) => m.address);
      const present = ms.filter((m) => m.id !== missing);
      const rafts = await Promise.all(present.map((m) => start(m, addresses, 3)));
      const leader = await eventually("a leader", () => rafts.find((r) => r.node.isLeader()));
      const result = (await leader.node.propose(put("x", "1"))) as { count: number };
      expect(result.count).toBe(1);
      expect(
        leader.node
          .configuration()
          .servers.map((s) => s.id)
          .sort(),
      ).toEqual(present.map((m) => m.id));

      const late = ms.find((m) => m.id === missing);
      if (late === undefined) throw new Error("no late member");
      const lateRaft = await start(late, addresses, 3);
      expect(lateRaft.outcome.kind).toBe("join");
      await eventually("the late founder is a voter everywhere", () =>
        [...rafts, lateRaft].every((r) =>
          r.node.configuration().servers.some((s) => s.id === missing && s.voter),
        )
          ? true
          : undefined,
      );
      await eventually("the late founder applied the write", () =>
        late.fsm.summary().count === 1 ? true : undefined,
      );
    });
  }

  it("catches a follower up from entries the leader holds only on disk", async () => {
    const ms = await Promise.all(["s1", "s2", "s3"].map(member));
    const addresses = ms.map((m) => m.address);
    // A 512-byte memory window and no snapshots: the entries a cut-off follower missed are read
    // back from LevelDB by whichever server leads when the link heals.
    const tuning = { logCacheBytes: 512, snapshotThresholdEntries: 1e9, snapshotThresholdBytes: 1e12 };
    const rafts = await Promise.all(ms.map((m) => start(m, addresses, 3, tuning)));
    const leader = await eventually("a leader", () => rafts.find((r) => r.node.isLeader()));
    for (let i = 0; i < 20; i++) await leader.node.propose(put(`a${i}`, "v"));
    const lagging = rafts.find((r) => r !== leader) as RaftServer;
    const lagFsm = ms.find((m) => m.id === lagging.node.id)?.fsm as KvStateMachine;
    await eventually("the follower applied 20", () => (lagFsm.summary().count === 20 ? true : undefined));
    lagging.faults.isolate();
    for (let i = 0; i < 200; i++) await leader.node.propose(put(`b${i}`, "v"));
    lagging.faults.heal();
    await eventually("the follower caught up", () => (lagFsm.summary().count === 220 ? true : undefined));
    expect(lagging.node.snapshotStats().installed).toBe(0);
    // The other follower learns the last commit index from a later append or heartbeat, which
    // may come after the lagging one caught up: compare the states once all three applied it.
    await eventually("every server applied 220", () =>
      ms.every((m) => m.fsm.summary().count === 220) ? true : undefined,
    );
    const digests = ms.map((m) => `${m.id} ${m.fsm.summary().digest}`);
    expect(new Set(ms.map((m) => m.fsm.summary().digest)).size, digests.join(", ")).toBe(1);
  });

  it("restarts a formed cluster with one founder missing from the persisted configuration", async () => {
    const ms = await Promise.all(["s1", "s2", "s3"].map(member));
    const addresses = ms.map((m) => m.address);
    const rafts = await Promise.all(ms.map((m) => start(m, addresses, 3)));
    const leader = await eventually("a leader", () => rafts.find((r) => r.node.isLeader()));
    await leader.node.propose(put("x", "1"));
    await eventually("all applied", () => (ms.every((m) => m.fsm.summary().count === 1) ? true : undefined));
    // Stop every server, then restart all but the old leader (the hardest one to lose): the two
    // others must elect from what they persisted, without discovery.
    for (const m of ms) {
      await m.raft?.stop();
      m.raft = undefined;
    }
    const survivors = ms.filter((m) => m.id !== leader.node.id);
    const restarted: RaftServer[] = [];
    // Each keeps its gRPC server (its address is in the configuration); Raft's services were
    // removed from it on stop and are added again by the restart.
    for (const m of survivors) m.fsm = new KvStateMachine();
    for (const m of survivors) restarted.push(await start(m, addresses, 3));
    expect(restarted.map((r) => r.outcome.kind)).toEqual(["initialized", "initialized"]);
    const next = await eventually("a leader after the restart", () =>
      restarted.find((r) => r.node.isLeader()),
    );
    const result = (await next.node.propose(put("y", "2"))) as { count: number };
    expect(result.count).toBe(2);
  });
});
