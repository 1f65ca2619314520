import { status } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import {
  NotFoundError,
  NotLeaderError,
  PreconditionError,
  TimeoutError,
  ValidationError,
} from "../../common/errors.js";
import { silentLogger } from "../../common/log.js";
import { RpcError } from "../../rpc/rpc-status.js";
import { FakeCluster } from "./fake-servers.test-support.js";
import { callAnyServer, ServerList } from "./server-list.js";

function serverList(configured: string[], cluster = new FakeCluster()): ServerList {
  return new ServerList(configured, silentLogger(), { connect: cluster.connect });
}

const peers = (...addresses: string[]) => addresses.map((a, i) => ({ id: `s${i}`, rpcAddress: a }));

describe("ServerList", () => {
  it("refuses an empty list", () => {
    expect(() => serverList([])).toThrow(/no servers/);
  });

  it("learns servers sorted and deduplicated, dropping empty addresses, keeping the configured ones", () => {
    const servers = serverList(["c:1"]);
    servers.learn(peers("b:1", "a:1", "", "b:1"));
    expect(servers.all()).toEqual(["a:1", "b:1", "c:1"]);

    // The cluster no longer reports c:1, the one this client was configured with: it stays.
    servers.learn(peers("d:1"));
    expect(servers.all()).toEqual(["c:1", "d:1"]);
  });

  it("ignores an empty answer (a server that knows no peers is no reason to forget them)", () => {
    const servers = serverList(["a:1"]);
    servers.learn(peers("b:1"));
    servers.learn([]);
    expect(servers.all()).toEqual(["a:1", "b:1"]);
  });

  it("stays on the server in use when it is still listed, and starts over when it is not", () => {
    const servers = serverList(["c:1"]);
    expect(servers.currentAddress()).toBe("c:1");
    servers.learn(peers("a:1", "b:1"));
    expect(servers.currentAddress()).toBe("c:1");

    servers.failover("c:1", new Error("x")); // c:1 is last: wraps to a:1
    expect(servers.currentAddress()).toBe("a:1");
    servers.failover("a:1", new Error("x"));
    expect(servers.currentAddress()).toBe("b:1");
    // b:1 leaves the cluster: the client moves to the first listed server.
    servers.learn(peers("a:1", "d:1"));
    expect(servers.all()).toEqual(["a:1", "c:1", "d:1"]);
    expect(servers.currentAddress()).toBe("a:1");
  });

  it("fails over once when two calls to the same server fail at once", () => {
    const servers = serverList(["a:1", "b:1", "c:1"]);
    servers.failover("a:1", new Error("first"));
    servers.failover("a:1", new Error("second, from a call made before the first failover"));
    expect(servers.currentAddress()).toBe("b:1");
  });

  it("keeps one connection per server and closes them all", async () => {
    const cluster = new FakeCluster();
    const servers = serverList(["a:1", "b:1"], cluster);
    await servers.current().statusLeader();
    await servers.current().statusLeader();
    servers.failover("a:1", new Error("x"));
    await servers.current().statusLeader();
    expect(cluster.server("a:1").connections).toBe(1);
    expect(cluster.server("b:1").connections).toBe(1);
    servers.close();
    expect(cluster.server("a:1").closed).toBe(1);
    expect(cluster.server("b:1").closed).toBe(1);
  });
});

describe("callAnyServer", () => {
  it("answers from the current server without failing over", async () => {
    const cluster = new FakeCluster();
    const servers = serverList(["a:1", "b:1"], cluster);
    const leader = await callAnyServer(servers, (c) => c.statusLeader());
    expect(leader.leaderRpcAddress).toBe("a:1");
    expect(servers.currentAddress()).toBe("a:1");
  });

  it("moves to the next server when the current one is down", async () => {
    const cluster = new FakeCluster();
    const servers = serverList(["a:1", "b:1", "c:1"], cluster);
    cluster.server("a:1").down = true;
    const leader = await callAnyServer(servers, (c) => c.statusLeader());
    expect(leader.leaderRpcAddress).toBe("b:1");
    expect(servers.currentAddress()).toBe("b:1");
  });

  it.each([
    ["RpcError", () => new RpcError("rpc failed (UNAVAILABLE)", status.UNAVAILABLE, true)],
    ["NotLeaderError", () => new NotLeaderError(undefined)],
    ["TimeoutError", () => new TimeoutError("deadline")],
  ])("tries each server once on %s, then throws the last error", async (_name, makeError) => {
    const cluster = new FakeCluster();
    const servers = serverList(["a:1", "b:1", "c:1"], cluster);
    const errors = [makeError(), makeError(), makeError()];
    for (const [i, address] of ["a:1", "b:1", "c:1"].entries())
      cluster.server(address).failures.push(errors[i]!);
    await expect(callAnyServer(servers, (c) => c.statusLeader())).rejects.toBe(errors[2]);
    expect(cluster.callsOf("statusLeader")).toEqual(["a:1", "b:1", "c:1"]);
  });

  it.each([
    ["NotFoundError", () => new NotFoundError("no such node")],
    ["PreconditionError", () => new PreconditionError("wrong SecretID")],
    ["ValidationError", () => new ValidationError("bad input")],
  ])("throws %s at once, without failing over", async (_name, makeError) => {
    const cluster = new FakeCluster();
    const servers = serverList(["a:1", "b:1"], cluster);
    const error = makeError();
    cluster.server("a:1").failures.push(error);
    await expect(callAnyServer(servers, (c) => c.statusLeader())).rejects.toBe(error);
    expect(cluster.callsOf("statusLeader")).toEqual(["a:1"]);
    expect(servers.currentAddress()).toBe("a:1");
  });
});
