import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { silentLogger } from "../../common/log.js";
import { mockNode } from "../../fsm/index.js";
import type { NodeUpdateResult } from "../../rpc/server-api.js";
import { deferred, FakeCluster, unavailableError } from "./fake-servers.test-support.js";
import { Heartbeater } from "./heartbeater.js";
import { ServerList } from "./server-list.js";

const node = mockNode();

function setup(addresses = ["a:1", "b:1"]) {
  const cluster = new FakeCluster();
  const servers = new ServerList(addresses, silentLogger(), { connect: cluster.connect });
  const registered: NodeUpdateResult[] = [];
  const heartbeater = new Heartbeater({
    servers,
    node: () => node,
    logger: silentLogger(),
    onRegistered: (result) => registered.push(result),
  });
  return { cluster, servers, heartbeater, registered };
}

describe("Heartbeater", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("registers through the first server that answers and learns the cluster's servers", async () => {
    const { cluster, servers, heartbeater, registered } = setup();
    cluster.server("a:1").down = true;
    cluster.peers = [
      { id: "s1", rpcAddress: "a:1" },
      { id: "s2", rpcAddress: "b:1" },
      { id: "s3", rpcAddress: "c:1" },
    ];
    await heartbeater.start();
    expect(cluster.callsOf("nodeRegister")).toEqual(["a:1", "b:1"]);
    expect(cluster.nodes.get(node.ID)).toBe(node);
    expect(registered).toHaveLength(1);
    expect(servers.currentAddress()).toBe("b:1");
    expect(servers.all()).toEqual(["a:1", "b:1", "c:1"]);
    heartbeater.stop();
  });

  it("beats at half the TTL, again and again", async () => {
    const { cluster, heartbeater } = setup();
    cluster.heartbeatTtlMs = 10_000;
    await heartbeater.start();
    await vi.advanceTimersByTimeAsync(4_999);
    expect(heartbeater.heartbeats).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(heartbeater.heartbeats).toBe(1);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(heartbeater.heartbeats).toBe(2);
    expect(cluster.callsOf("nodeRegister")).toHaveLength(1);
    heartbeater.stop();
  });

  it("registers again when a server no longer knows the node", async () => {
    const { cluster, heartbeater, registered } = setup();
    await heartbeater.start();
    cluster.nodes.clear(); // garbage collected while this client was away
    await vi.advanceTimersByTimeAsync(5_000);
    expect(cluster.callsOf("nodeHeartbeat")).toHaveLength(1);
    expect(cluster.callsOf("nodeRegister")).toHaveLength(2);
    expect(cluster.nodes.has(node.ID)).toBe(true);
    expect(registered).toHaveLength(2);
    // And carries on beating.
    await vi.advanceTimersByTimeAsync(5_000);
    expect(heartbeater.heartbeats).toBe(1);
    heartbeater.stop();
  });

  it("beats through the next server when the current one fails", async () => {
    const { cluster, servers, heartbeater } = setup();
    await heartbeater.start();
    cluster.server("a:1").down = true;
    await vi.advanceTimersByTimeAsync(5_000);
    expect(cluster.callsOf("nodeHeartbeat")).toEqual(["a:1", "b:1"]);
    expect(heartbeater.heartbeats).toBe(1);
    expect(servers.currentAddress()).toBe("b:1");
    heartbeater.stop();
  });

  it("retries a heartbeat soon when no server answers", async () => {
    const { cluster, heartbeater } = setup();
    await heartbeater.start();
    cluster.server("a:1").down = true;
    cluster.server("b:1").down = true;
    await vi.advanceTimersByTimeAsync(5_000);
    expect(heartbeater.heartbeats).toBe(0);
    cluster.server("a:1").down = false;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(heartbeater.heartbeats).toBe(1);
    heartbeater.stop();
  });

  it("beats again within a second when the servers consider the node down (TTL 0)", async () => {
    const { cluster, heartbeater } = setup();
    cluster.heartbeatTtlMs = 0;
    await heartbeater.start();
    await vi.advanceTimersByTimeAsync(999);
    expect(heartbeater.heartbeats).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(heartbeater.heartbeats).toBe(1);
    // Once the node is back the servers give a real TTL again.
    cluster.heartbeatTtlMs = 10_000;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(heartbeater.heartbeats).toBe(2);
    await vi.advanceTimersByTimeAsync(4_999);
    expect(heartbeater.heartbeats).toBe(2);
    heartbeater.stop();
  });

  it("keeps trying to register, backing off, until a server accepts", async () => {
    const { cluster, heartbeater, registered } = setup();
    cluster.server("a:1").down = true;
    cluster.server("b:1").down = true;
    let started = false;
    const starting = heartbeater.start().then(() => {
      started = true;
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(cluster.callsOf("nodeRegister")).toEqual(["a:1", "b:1"]);
    await vi.advanceTimersByTimeAsync(1_000); // second round after 1 s
    expect(cluster.callsOf("nodeRegister")).toHaveLength(4);
    await vi.advanceTimersByTimeAsync(1_999); // third after 2 s more
    expect(cluster.callsOf("nodeRegister")).toHaveLength(4);
    cluster.server("b:1").down = false;
    await vi.advanceTimersByTimeAsync(1);
    await starting;
    expect(started).toBe(true);
    expect(registered).toHaveLength(1);
    heartbeater.stop();
  });

  it("stop() during the pause between register attempts ends start() at once", async () => {
    const { cluster, heartbeater } = setup();
    cluster.server("a:1").down = true;
    cluster.server("b:1").down = true;
    let started = false;
    const starting = heartbeater.start().then(() => {
      started = true;
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(cluster.callsOf("nodeRegister")).toHaveLength(2); // now pausing
    heartbeater.stop();
    await vi.advanceTimersByTimeAsync(0); // no time passes: only the wake-up runs
    expect(started).toBe(true);
    await starting;
    expect(vi.getTimerCount()).toBe(0);
    expect(cluster.callsOf("nodeRegister")).toHaveLength(2);
  });

  it("stop() while a register call is in flight: its failure ends start() without another pause", async () => {
    const { cluster, heartbeater } = setup(["a:1"]);
    const answer = deferred<NodeUpdateResult>();
    cluster.server("a:1").override("nodeRegister", () => answer.promise);
    let started = false;
    const starting = heartbeater.start().then(() => {
      started = true;
    });
    await vi.advanceTimersByTimeAsync(0);
    heartbeater.stop();
    answer.reject(unavailableError("a:1"));
    await vi.advanceTimersByTimeAsync(0);
    expect(started).toBe(true);
    await starting;
    expect(vi.getTimerCount()).toBe(0);
  });

  it("stop() while a heartbeat is in flight: its answer schedules no further beat", async () => {
    const { cluster, heartbeater } = setup();
    await heartbeater.start();
    const answer = deferred<NodeUpdateResult>();
    cluster.server("a:1").override("nodeHeartbeat", () => answer.promise);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(cluster.callsOf("nodeHeartbeat")).toHaveLength(1);
    heartbeater.stop();
    answer.resolve(cluster.answer());
    await vi.advanceTimersByTimeAsync(60_000);
    expect(cluster.callsOf("nodeHeartbeat")).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("stop() ends the heartbeats", async () => {
    const { cluster, heartbeater } = setup();
    await heartbeater.start();
    heartbeater.stop();
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(cluster.callsOf("nodeHeartbeat")).toHaveLength(0);
  });
});
