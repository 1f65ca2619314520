import { describe, expect, it } from "vitest";
import { NotFoundError } from "../../common/errors.js";
import { silentLogger } from "../../common/log.js";
import type { ServerApi } from "../../rpc/server-api.js";
import { FakeCluster } from "./fake-servers.test-support.js";
import { serverApiProxy } from "./server-api-proxy.js";
import { ServerList } from "./server-list.js";

function setup() {
  const cluster = new FakeCluster();
  const servers = new ServerList(["a:1", "b:1"], silentLogger(), { connect: cluster.connect });
  return { cluster, servers, api: serverApiProxy(servers) };
}

describe("serverApiProxy", () => {
  it("sends a call to the current server", async () => {
    const { cluster, api } = setup();
    expect((await api.statusLeader()).leaderRpcAddress).toBe("a:1");
    expect(cluster.calls).toEqual(["a:1 statusLeader"]);
  });

  it("passes the arguments and the answer through", async () => {
    const { cluster, api } = setup();
    const fields = { ID: "x", NodeID: "n", ClientStatus: "running" as const, ClientDescription: "" };
    expect(await api.allocClientUpdate([fields], { n: "s" })).toBe(1);
    expect(cluster.allocUpdates).toEqual([{ server: "a:1", allocs: [fields], nodeSecrets: { n: "s" } }]);
  });

  it("fails over as the client's own calls do", async () => {
    const { cluster, servers, api } = setup();
    cluster.server("a:1").down = true;
    expect((await api.statusLeader()).leaderRpcAddress).toBe("b:1");
    expect(servers.currentAddress()).toBe("b:1");
    // A typed answer is the cluster's verdict: thrown as is, and no failover.
    const notFound = new NotFoundError("no such job");
    cluster.server("b:1").failures.push(notFound);
    await expect(api.statusLeader()).rejects.toBe(notFound);
    expect(servers.currentAddress()).toBe("b:1");
  });

  it("opens alloc watches on the current server", () => {
    const { cluster, servers, api } = setup();
    servers.failover("a:1", new Error("x"));
    const request = { nodeId: "n", secretId: "s", minIndex: 0, stale: true };
    const indexes: number[] = [];
    const watch = api.watchClientAllocs(request, (update) => {
      indexes.push(update.index);
    });
    expect(cluster.server("b:1").lastWatch()).toBe(watch);
    expect(cluster.server("b:1").lastWatch().request).toEqual(request);
    expect(cluster.server("a:1").watches).toHaveLength(0);
    cluster.server("b:1").lastWatch().push({ index: 7 });
    expect(indexes).toEqual([7]);
  });

  it("is neither a thenable nor symbol-keyed: awaiting it calls no server", async () => {
    const { cluster, api } = setup();
    const loose = api as unknown as Record<PropertyKey, unknown>;
    expect(loose["then"]).toBeUndefined();
    expect(loose[Symbol.iterator]).toBeUndefined();
    expect(loose[Symbol.toStringTag]).toBeUndefined();
    const give = async (): Promise<ServerApi> => api;
    expect(await give()).toBe(api);
    expect(cluster.calls).toEqual([]);
  });
});
